// Image uploads, as a new user sends them (a PNG or JPEG body, a multipart form of several files,
// bigger than the model's input, grey models, 16-bit and alpha PNGs) and as an attacker does
// (decompression bombs declared in the header, garbage, truncated files, other formats, malformed
// forms, too many or too large files). Answers are checked against ONNX Runtime on the same
// pixels preprocessed as the run said; every refusal is a 4xx with a reason, never a 5xx.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { expect } from 'chai';
import sharp from 'sharp';
import { publishForServing } from '../../lib/serve/deploy';
import { startServer, InferenceServer } from '../../lib/serve/server';
import { metricValue } from '../../lib/serve/metrics';
import { tinyRegistry } from './fixtures';
import {
  CLASS_NAMES,
  MOBILENET,
  RunFolder,
  SIZE,
  imageClassifier,
  jpeg,
  oracle,
  pixels,
  png,
  writeRunFolder,
} from './run-fixtures';
import { resolvePreprocessing } from '../../lib/data/preprocess';

const MAX_IMAGE_BYTES = 256 * 1024;

async function send(
  url: string,
  body: Buffer | FormData,
  type?: string,
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${url}/v1/predict`, {
    method: 'POST',
    ...(type ? { headers: { 'content-type': type } } : {}),
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

const form = (
  files: { bytes: Buffer; name: string; type?: string }[],
  fields: Record<string, string> = {},
): FormData => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  for (const file of files) f.append('image', new Blob([file.bytes], { type: file.type ?? 'image/png' }), file.name);
  return f;
};

/** A real PNG whose header is rewritten to declare `width` x `height` (CRC fixed): a decompression bomb's header. */
async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const b = Buffer.from(await png(pixels(1)));
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  b.writeUInt32BE(zlib.crc32(b.subarray(12, 29)) >>> 0, 29);
  return b;
}

/** A real JPEG whose SOF0 header declares `width` x `height`. */
async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const b = Buffer.from(await jpeg(pixels(1)));
  for (let i = 2; i < b.length - 9; i++) {
    if (b[i] === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2)) {
      b.writeUInt16BE(height, i + 5);
      b.writeUInt16BE(width, i + 7);
      return b;
    }
  }
  throw new Error('no SOF marker');
}

describe('serve: image uploads (PNG/JPEG bodies and multipart forms, decoded off the event loop)', () => {
  let run: RunFolder;
  let server: InferenceServer;
  before(async () => {
    const m = imageClassifier(1);
    run = await writeRunFolder(m);
    m.dispose();
    const registry = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-reg-'));
    const p = await publishForServing(run.dir, { registryDir: registry });
    server = await startServer({
      registryDir: registry,
      model: p.name,
      version: p.version,
      workers: 2,
      maxBatchSize: 4,
      maxImageBytes: MAX_IMAGE_BYTES,
    });
  });
  after(async () => {
    await server.close();
  });

  it('answers a PNG body and a JPEG body with class names and top-k, equal to ONNX Runtime on the preprocessed pixels', async () => {
    const px = pixels(11);
    const r = await send(server.url, await png(px), 'image/png');
    expect(r.status).to.equal(200);
    const want = await oracle(run.int8, px, MOBILENET);
    r.body.probabilities.forEach((p: number, i: number) => expect(p).to.be.closeTo(want[i] as number, 1e-5));
    expect(r.body.className).to.equal(CLASS_NAMES[r.body.label]);
    const j = await jpeg(px);
    const decoded = new Uint8Array(await sharp(j).raw().toBuffer());
    const rj = await send(server.url, j, 'image/jpeg');
    const wantJ = await oracle(run.int8, decoded, MOBILENET);
    rj.body.probabilities.forEach((p: number, i: number) => expect(p).to.be.closeTo(wantJ[i] as number, 1e-5));
    const top1 = await send(`${server.url}`, await png(px), 'image/png');
    expect(top1.body.top).to.have.length(3);
    const res = await fetch(`${server.url}/v1/predict?top=1`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: await png(px),
    });
    expect(((await res.json()) as { top: unknown[] }).top).to.have.length(1);
    const bad = await fetch(`${server.url}/v1/predict?top=0x3`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: await png(px),
    });
    expect(bad.status).to.equal(400);
  });

  it('answers a multipart form of several images as a batch, in order, each as it would be alone', async () => {
    const imgs = [pixels(1), pixels(2), pixels(3)];
    const files = [
      { bytes: await png(imgs[0] as Uint8Array), name: 'a.png' },
      { bytes: await jpeg(imgs[1] as Uint8Array), name: 'b.jpg', type: 'image/jpeg' },
      { bytes: await png(imgs[2] as Uint8Array), name: 'c.png' },
    ];
    const r = await send(server.url, form(files, { note: 'ignored' }));
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.predictions).to.have.length(3);
    for (let i = 0; i < 3; i++) {
      const alone = await send(server.url, files[i]?.bytes as Buffer, files[i]?.type ?? 'image/png');
      r.body.predictions[i].probabilities.forEach((p: number, k: number) =>
        expect(p).to.be.closeTo(alone.body.probabilities[k], 1e-6),
      );
      expect(r.body.predictions[i].className).to.equal(alone.body.className);
    }
  });

  it('resizes a larger image to the model input, drops an opaque alpha channel, and reads 16-bit PNGs', async () => {
    const uniform = (n: number) => new Uint8Array(n * n * 3).map((_, i) => [200, 30, 90][i % 3] as number);
    const big = await png(uniform(64), 64, 64);
    const r = await send(server.url, big, 'image/png');
    const want = await oracle(run.int8, uniform(SIZE), MOBILENET);
    r.body.probabilities.forEach((p: number, i: number) => expect(p).to.be.closeTo(want[i] as number, 1e-5));
    const px = pixels(21);
    const rgba = Buffer.alloc(SIZE * SIZE * 4);
    for (let p = 0; p < SIZE * SIZE; p++) {
      rgba.set(px.subarray(3 * p, 3 * p + 3), 4 * p);
      rgba[4 * p + 3] = 255;
    }
    const alpha = await sharp(rgba, { raw: { width: SIZE, height: SIZE, channels: 4 } })
      .png()
      .toBuffer();
    const ra = await send(server.url, alpha, 'image/png');
    const wantA = await oracle(run.int8, px, MOBILENET);
    ra.body.probabilities.forEach((p: number, i: number) => expect(p).to.be.closeTo(wantA[i] as number, 1e-5));
    const sixteen = await sharp(Buffer.from(px), { raw: { width: SIZE, height: SIZE, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    const r16 = await send(server.url, sixteen, 'image/png');
    expect(r16.status, JSON.stringify(r16.body)).to.equal(200);
    r16.body.probabilities.forEach((p: number, i: number) => expect(p).to.be.closeTo(wantA[i] as number, 1e-3));
  });

  it('refuses decompression bombs from the header, other formats, garbage and truncated files with 4xx and a reason', async () => {
    const huge = await sharp({ create: { width: 5000, height: 4000, channels: 3, background: '#808080' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const cases: [string, Buffer, string, number, RegExp][] = [
      [
        'a PNG declaring 7000x7000 (1 KB)',
        await pngDeclaring(7000, 7000),
        'image/png',
        413,
        /at most 16000000 pixels, got 7000x7000/,
      ],
      [
        'a JPEG declaring 7000x7000 (1 KB)',
        await jpegDeclaring(7000, 7000),
        'image/jpeg',
        413,
        /at most 16000000 pixels, got 7000x7000/,
      ],
      ['a PNG declaring 65535x65535', await pngDeclaring(65535, 65535), 'image/png', 413, /pixels/],
      ['a real 20-megapixel PNG', huge, 'image/png', 413, /got 5000x4000/],
      [
        'garbage bytes',
        Buffer.from('definitely not an image, just text'),
        'image/png',
        415,
        /a PNG, JPEG or WebP image/,
      ],
      ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'image/gif', 415, /starting 47494638/],
      ['a truncated PNG', (await png(pixels(4))).subarray(0, 60), 'image/png', 400, /does not decode/],
      ['a truncated JPEG', (await jpeg(pixels(4))).subarray(0, 300), 'image/jpeg', 400, /does not decode/],
      ['an empty body', Buffer.alloc(0), 'image/png', 415, /got 0 bytes/],
      ['an image over maxImageBytes', Buffer.alloc(MAX_IMAGE_BYTES + 1, 1), 'image/png', 413, /at most 262144 bytes/],
    ];
    for (const [what, body, type, status, message] of cases) {
      const r = await send(server.url, body, type);
      expect(r.status, `${what}: ${JSON.stringify(r.body)}`).to.equal(status);
      expect(r.body.error, what).to.match(message);
    }
    expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
  });

  it('refuses malformed or oversized forms: too many files, a file too large, no file, no boundary, a cut form', async () => {
    const one = { bytes: await png(pixels(1)), name: 'a.png' };
    const cases: [string, Buffer | FormData, string | undefined, number, RegExp][] = [
      ['5 files (at most 4)', form([one, one, one, one, one]), undefined, 413, /at most 4 image files/],
      [
        'a file over maxImageBytes',
        form([{ bytes: Buffer.alloc(MAX_IMAGE_BYTES + 10, 7), name: 'big.png' }]),
        undefined,
        413,
        /at most 262144 bytes/,
      ],
      ['text fields only', form([], { a: '1' }), undefined, 400, /at least one image file/],
      ['no boundary', Buffer.from('--x\r\n'), 'multipart/form-data', 400, /boundary/],
      [
        'a form cut before its end',
        Buffer.from(
          '--b\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG',
        ),
        'multipart/form-data; boundary=b',
        400,
        /./,
      ],
      [
        'a file that is not an image',
        form([{ bytes: Buffer.from('hello'), name: 'a.txt', type: 'text/plain' }]),
        undefined,
        415,
        /PNG, JPEG or WebP/,
      ],
    ];
    for (const [what, body, type, status, message] of cases) {
      const r = await send(server.url, body as Buffer, type);
      expect(r.status, `${what}: ${JSON.stringify(r.body)}`).to.equal(status);
      expect(r.body.error, what).to.match(message);
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).to.not.match(/tfc_requests_total\{[^}]*code="5\d\d"/);
  });

  it('answers /healthz while a 15-megapixel image decodes (libuv threads, not the event loop)', async () => {
    const big = await sharp({ create: { width: 3800, height: 3800, channels: 3, background: '#406080' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(big.length).to.be.below(MAX_IMAGE_BYTES);
    for (let round = 0; round < 3; round++) {
      const order: string[] = [];
      const image = send(server.url, big, 'image/png').then((r) => {
        order.push('image');
        return r.status;
      });
      await new Promise((r) => setTimeout(r, 15));
      const health = fetch(`${server.url}/healthz`).then((r) => {
        order.push('healthz');
        return r.status;
      });
      expect(await Promise.all([image, health])).to.deep.equal([200, 200]);
      expect(order).to.deep.equal(['healthz', 'image']);
    }
  });

  it("takes colour images for a grey model (ITU-R 601 luma, as the run's image folders) and refuses images for a non-image model", async () => {
    const m = imageClassifier(4, 1);
    const unit = resolvePreprocessing({ preset: 'unit' });
    const grey = await writeRunFolder(m, { preprocessing: unit });
    m.dispose();
    const registry = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-reg-'));
    const p = await publishForServing(grey.dir, { registryDir: registry });
    const s = await startServer({ registryDir: registry, model: p.name, version: p.version, workers: 1 });
    try {
      const px = pixels(31);
      const r = await send(s.url, await png(px), 'image/png');
      const want = await oracle(grey.int8, px, unit, 1);
      r.body.probabilities.forEach((v: number, i: number) => expect(v).to.be.closeTo(want[i] as number, 1e-5));
    } finally {
      await s.close();
    }
    const tiny = await startServer({ registryDir: await tinyRegistry(), model: 'tiny', workers: 1 });
    try {
      const r = await send(tiny.url, await png(pixels(1)), 'image/png');
      expect(r.status).to.equal(415);
      expect(r.body.error).to.match(/a model that takes images, got one for a model with input \[4\]/);
      const text = await (await fetch(`${tiny.url}/metrics`)).text();
      expect(metricValue(text, 'tfc_errors_total', { route: '/v1/predict', kind: 'media_type' })).to.equal(1);
    } finally {
      await tiny.close();
    }
  });
});
