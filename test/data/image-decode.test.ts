// Decoding as a new user's folder and an attacker's files meet it: real PNG, JPEG and WebP bytes
// written by sharp (RGB, RGBA, grey, grey + alpha, 16-bit, palette), resized against the
// reference (tf.image.resizeBilinear with half-pixel centres, what Keras applies), and
// decompression bombs that declare 7000x7000 in a 1 KB file.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { expect } from 'chai';
import { VIPS_RESIZE_MIN_PIXELS, decodeImage, imageFormat } from '../../lib/data/image-decode';
import { resizeBilinear, roundHalfEven } from '../../lib/data/bilinear';
import { ConfigError, DataError } from '../../lib/errors';
import { resolvePreprocessing } from '../../lib/data/preprocess';
import { onBackend } from '../helpers/backends';

/** Seeded smooth-plus-noise RGB pixels. */
export function pixels(h: number, w: number, c = 3, seed = 1): Uint8Array {
  const out = new Uint8Array(h * w * c);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    out[i] = Math.max(0, Math.min(255, Math.round(120 + 90 * Math.sin(i / (7 * c)) + (s % 41) - 20)));
  }
  return out;
}

export const encode = (data: Uint8Array, h: number, w: number, c: 1 | 2 | 3 | 4) =>
  sharp(data, { raw: { width: w, height: h, channels: c } });

/** tf.image.resizeBilinear (half-pixel centres), rounded and clipped as an ImageSet stores it. */
function reference(data: Uint8Array, h: number, w: number, c: number, oh: number, ow: number): Uint8Array {
  const t = tf.tidy(() =>
    tf
      .clipByValue(
        tf.round(tf.image.resizeBilinear(tf.tensor3d(data, [h, w, c], 'int32').toFloat(), [oh, ow], false, true)),
        0,
        255,
      )
      .toInt(),
  );
  const out = Uint8Array.from(t.dataSync());
  t.dispose();
  return out;
}

const maxDiff = (a: Uint8Array, b: Uint8Array) => {
  expect(a.length).to.equal(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

/** A PNG whose IHDR declares `w` x `h` (valid CRC) around the pixels of a tiny image. */
async function pngDeclaring(w: number, h: number): Promise<Buffer> {
  const png = Buffer.from(await encode(pixels(8, 8), 8, 8, 3).png().toBuffer());
  png.writeUInt32BE(w, 16);
  png.writeUInt32BE(h, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}

/** A JPEG whose SOF0 declares `w` x `h` (the 8x8 scan data left as it is). */
async function jpegDeclaring(w: number, h: number): Promise<Buffer> {
  const jpg = Buffer.from(await encode(pixels(8, 8), 8, 8, 3).jpeg({ quality: 90 }).toBuffer());
  const sof = jpg.findIndex((b, i) => b === 0xff && (jpg[i + 1] === 0xc0 || jpg[i + 1] === 0xc2));
  expect(sof).to.be.greaterThan(0);
  jpg.writeUInt16BE(h, sof + 5);
  jpg.writeUInt16BE(w, sof + 7);
  return jpg;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('data/image-decode (sharp)', function () {
  this.timeout(60000);

  it('sniffs PNG, JPEG and WebP from the bytes, not the name', async () => {
    const px = pixels(4, 4);
    expect(imageFormat(await encode(px, 4, 4, 3).png().toBuffer())).to.equal('png');
    expect(imageFormat(await encode(px, 4, 4, 3).jpeg().toBuffer())).to.equal('jpeg');
    expect(imageFormat(await encode(px, 4, 4, 3).webp().toBuffer())).to.equal('webp');
    expect(imageFormat(await encode(px, 4, 4, 3).gif().toBuffer())).to.equal(undefined);
    expect(imageFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).to.equal(undefined);
  });

  it('PNG and lossless WebP decode exactly; RGBA drops alpha, grey repeats into RGB, 16-bit scales to 8', async () => {
    const px = pixels(5, 7);
    for (const bytes of [
      await encode(px, 5, 7, 3).png().toBuffer(),
      await encode(px, 5, 7, 3).webp({ lossless: true }).toBuffer(),
    ]) {
      const img = await decodeImage(bytes, 'a');
      expect([img.height, img.width, img.channels]).to.deep.equal([5, 7, 3]);
      expect(Buffer.from(img.data).equals(Buffer.from(px))).to.equal(true);
    }
    const rgba = new Uint8Array(5 * 7 * 4);
    for (let p = 0; p < 35; p++)
      rgba.set([px[3 * p] as number, px[3 * p + 1] as number, px[3 * p + 2] as number, p * 7], 4 * p);
    expect(
      Buffer.from((await decodeImage(await encode(rgba, 5, 7, 4).png().toBuffer())).data).equals(Buffer.from(px)),
    ).to.equal(true);
    const grey = pixels(5, 7, 1, 3);
    const g = await decodeImage(await encode(grey, 5, 7, 1).png().toBuffer());
    expect(Array.from(g.data.filter((_, i) => i % 3 === 0))).to.deep.equal(Array.from(grey));
    expect(Array.from(g.data.filter((_, i) => i % 3 === 2))).to.deep.equal(Array.from(grey));
    const ga = new Uint8Array(35 * 2).map((_, i) => (i % 2 === 0 ? (grey[i / 2] as number) : 100));
    expect(
      Array.from((await decodeImage(await encode(ga, 5, 7, 2).png().toBuffer(), 'ga', { channels: 1 })).data),
    ).to.deep.equal(Array.from(grey));
    const sixteen = await sharp(
      Uint16Array.from(px, (v) => v * 257),
      { raw: { width: 7, height: 5, channels: 3 } },
    )
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(sixteen).metadata()).depth).to.equal('ushort');
    expect(maxDiff((await decodeImage(sixteen)).data, px)).to.be.at.most(1);
  });

  it('a palette PNG decodes to its palette colours', async () => {
    const colours = [
      [255, 0, 0],
      [0, 128, 255],
      [10, 200, 30],
      [250, 250, 250],
    ];
    const px = new Uint8Array(6 * 6 * 3).map((_, i) => colours[Math.floor(i / 3) % 4]![i % 3]!);
    const bytes = await encode(px, 6, 6, 3).png({ palette: true, colours: 4, dither: 0 }).toBuffer();
    expect((await sharp(bytes).metadata()).isPalette).to.equal(true);
    expect(Buffer.from((await decodeImage(bytes)).data).equals(Buffer.from(px))).to.equal(true);
  });

  it('grey output is the ITU-R 601 luma of the RGB pixels (tf.image.rgb_to_grayscale)', async () => {
    const px = pixels(4, 6);
    const g = await decodeImage(await encode(px, 4, 6, 3).png().toBuffer(), 'g', { channels: 1 });
    expect(g.channels).to.equal(1);
    const luma = Array.from({ length: 24 }, (_, p) =>
      Math.round(0.2989 * px[3 * p]! + 0.587 * px[3 * p + 1]! + 0.114 * px[3 * p + 2]!),
    );
    expect(Array.from(g.data)).to.deep.equal(luma);
  });

  it('resizes as tf.image.resizeBilinear with half-pixel centres, within 1 level: large downscales in libvips, the rest in JS', async () => {
    await onBackend('cpu', async () => {
      expect(VIPS_RESIZE_MIN_PIXELS).to.equal(1_000_000);
      const cases: [number, number, number, number][] = [
        [1000, 1100, 224, 224], // large: downscaled by libvips' affine
        [1500, 700, 96, 128],
        [1200, 1000, 600, 500], // exact 2x: every sample between 4 pixels
        [300, 400, 224, 224], // small: decoded, then resized in JS
        [64, 64, 32, 32],
        [37, 53, 224, 224], // upscale (JS)
        [100, 50, 30, 90], // one axis each way (JS)
        [17, 17, 17, 17],
      ];
      for (const [h, w, oh, ow] of cases) {
        const px = pixels(h, w, 3, h + w);
        const img = await decodeImage(await encode(px, h, w, 3).png().toBuffer(), 'r', { height: oh, width: ow });
        expect([img.height, img.width]).to.deep.equal([oh, ow]);
        const ref = reference(px, h, w, 3, oh, ow);
        expect(maxDiff(img.data, ref), `${h}x${w} -> ${oh}x${ow}`).to.be.at.most(1);
        // The JS resize is the reference step for step.
        expect(maxDiff(resizeBilinear(px, h, w, 3, oh, ow), ref), `js ${h}x${w} -> ${oh}x${ow}`).to.equal(0);
      }
    });
  });

  it('bilinear known answers: a 2x2 block averages, ties round half to even as tf.round', () => {
    expect(Array.from(resizeBilinear(Uint8Array.of(0, 10, 20, 30), 2, 2, 1, 1, 1))).to.deep.equal([15]);
    expect(Array.from(resizeBilinear(Uint8Array.of(0, 5), 1, 2, 1, 1, 1))).to.deep.equal([2]); // 2.5 -> 2
    expect([0.5, 1.5, 2.5, 3.49, 3.5].map(roundHalfEven)).to.deep.equal([0, 2, 2, 3, 4]);
  });

  it('JPEG decodes within a colour tolerance of the pixels written (quality 95)', async () => {
    const px = new Uint8Array(16 * 16 * 3).map((_, i) => [250, 10, 10][i % 3]!);
    const img = await decodeImage(await encode(px, 16, 16, 3).jpeg({ quality: 95 }).toBuffer(), 'red.jpg');
    expect(maxDiff(img.data, px)).to.be.at.most(6);
  });

  it('refuses a 1 KB JPEG or PNG declaring 7000x7000 from its header, before decoding', async () => {
    for (const [name, bytes] of [
      ['bomb.jpg', await jpegDeclaring(7000, 7000)],
      ['bomb.png', await pngDeclaring(7000, 7000)],
    ] as const) {
      expect(bytes.length).to.be.below(2048);
      const before = process.memoryUsage().rss;
      const e = await rejection(decodeImage(bytes, name));
      expect(e).to.be.instanceOf(DataError);
      expect(e.message).to.match(
        new RegExp(`decodeImage: an image of at most 16000000 pixels in ${name}, got 7000x7000`),
      );
      expect((e as DataError).file).to.equal(name);
      expect(process.memoryUsage().rss - before).to.be.below(64 * 1024 * 1024);
    }
    // The budget is configurable both ways.
    const e = await rejection(
      decodeImage(await encode(pixels(20, 20), 20, 20, 3).png().toBuffer(), 'x', { maxPixels: 399 }),
    );
    expect(e.message).to.match(/at most 399 pixels .* got 20x20/);
  });

  it("the fuzzer's findings (a 725-byte JPEG and a 153-byte PNG declaring 7000x7000) are refused from their headers", async () => {
    for (const name of ['image-jpeg-7000x7000.bin', 'image-png-7000x7000.bin']) {
      const bytes = fs.readFileSync(path.join(__dirname, '..', 'fuzz', 'findings', name));
      const e = await rejection(decodeImage(bytes, name));
      expect(e, name).to.be.instanceOf(DataError);
      expect(e.message, name).to.match(/at most 16000000 pixels .* got 7000x7000/);
    }
    const tiny = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', 'fuzz', 'findings', 'preprocess-tiny-std.json'), 'utf8'),
    );
    expect(() => resolvePreprocessing(tiny)).to.throw(ConfigError, /at least 0.000001|of size 0.000001 to 1000000/);
    expect(() => resolvePreprocessing({ std: 3e-323 })).to.throw(ConfigError, /std .* at least 0.000001 in size/);
    expect(() => resolvePreprocessing({ scale: -1e-300 })).to.throw(
      ConfigError,
      /scale a finite number of size 0.000001/,
    );
  });

  it('corrupt, truncated and foreign bytes are DataErrors naming the file', async () => {
    const png = await encode(pixels(32, 32), 32, 32, 3).png().toBuffer();
    const jpg = await encode(pixels(32, 32), 32, 32, 3).jpeg().toBuffer();
    const cases: [string, Uint8Array, RegExp][] = [
      ['cut.png', png.subarray(0, 60), /valid PNG image in cut\.png/],
      ['cut.jpg', jpg.subarray(0, jpg.length / 2), /valid JPEG image in cut\.jpg/],
      ['header.png', png.subarray(0, 20), /valid PNG image in header\.png/],
      ['empty.png', new Uint8Array(0), /PNG, JPEG or WebP image in empty\.png, got bytes that are none/],
      ['svg.png', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9000" height="9000"/>'), /none of them/],
      ['gif.png', await encode(pixels(4, 4), 4, 4, 3).gif().toBuffer(), /none of them/],
    ];
    for (const [name, bytes, re] of cases) {
      const e = await rejection(decodeImage(bytes, name));
      expect(e, name).to.be.instanceOf(DataError);
      expect(e.message, name).to.match(re);
    }
    for (const bad of [
      { channels: 2 },
      { maxPixels: 0 },
      { maxDecodeSeconds: 0.5 },
      { height: 5 },
      { height: 0, width: 4 },
    ])
      expect(await rejection(decodeImage(png, 'o', bad as never)), JSON.stringify(bad)).to.be.instanceOf(DataError);
  });
});
