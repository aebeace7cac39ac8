// Property-based fuzzing (fast-check) of the server's new parsers over real HTTP: mutated PNG and
// JPEG files, mutated multipart forms, and arbitrary or mutated Open Inference Protocol requests.
// The property: every answer is 200 or a 4xx with a JSON error, never a 5xx, never a crash, and
// the server answers correctly afterwards. A bounded number of cases runs here (FUZZ_RUNS raises it).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import fc from 'fast-check';
import { publishForServing } from '../../lib/serve/deploy';
import { startServer, InferenceServer } from '../../lib/serve/server';
import { SIZE, imageClassifier, jpeg, pixels, png, writeRunFolder } from './run-fixtures';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const OK = new Set([200, 400, 413, 415]);

/** Applies byte edits (position as a fraction, new value) and an optional cut to `base`. */
function mutate(base: Buffer, edits: [number, number][], cut: number): Buffer {
  const b = Buffer.from(base);
  for (const [at, v] of edits) b[Math.floor(at * b.length) % b.length] = v;
  return cut < 1 ? b.subarray(0, Math.floor(cut * b.length)) : b;
}

describe('serve: fuzzed uploads and inference requests (fast-check, real HTTP)', () => {
  let server: InferenceServer;
  let pngBytes: Buffer;
  let jpegBytes: Buffer;
  const seen: Record<string, number> = {};
  before(async () => {
    const m = imageClassifier(6);
    const run = await writeRunFolder(m);
    m.dispose();
    const registry = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-reg-'));
    const p = await publishForServing(run.dir, { registryDir: registry, name: 'fuzz' });
    server = await startServer({
      registryDir: registry,
      model: p.name,
      version: p.version,
      workers: 2,
      maxBatchSize: 8,
    });
    pngBytes = await png(pixels(1));
    jpegBytes = await jpeg(pixels(2));
  });
  after(async () => {
    await server.close();
  });

  const send = async (route: string, body: Buffer | string, type: string): Promise<number> => {
    const res = await fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': type }, body });
    const text = await res.text();
    seen[res.status] = (seen[res.status] ?? 0) + 1;
    if (res.status !== 200) expect(JSON.parse(text).error, text).to.be.a('string');
    return res.status;
  };
  const edits = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), {
    maxLength: 8,
  });
  const cut = fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }));

  it('answers mutated PNG and JPEG files with 200 or a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), edits, cut, async (isPng, e, c) => {
        const status = await send(
          '/v1/predict',
          mutate(isPng ? pngBytes : jpegBytes, e, c),
          isPng ? 'image/png' : 'image/jpeg',
        );
        return OK.has(status);
      }),
      { numRuns: RUNS, seed: 42 },
    );
  });

  it('answers mutated multipart forms with 200 or a 4xx', async () => {
    const boundary = 'fuzzboundary';
    const part = (name: string, bytes: Buffer): Buffer =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n`,
        ),
        bytes,
        Buffer.from('\r\n'),
      ]);
    const form = Buffer.concat([part('a.png', pngBytes), part('b.jpg', jpegBytes), Buffer.from(`--${boundary}--\r\n`)]);
    await fc.assert(
      fc.asyncProperty(edits, cut, fc.boolean(), async (e, c, mangleType) => {
        const type = mangleType ? 'multipart/form-data; boundary=other' : `multipart/form-data; boundary=${boundary}`;
        return OK.has(await send('/v1/predict', mutate(form, e, c), type));
      }),
      { numRuns: RUNS, seed: 43 },
    );
  });

  it('answers arbitrary and mutated inference requests with 200 or a 4xx', async () => {
    const data = Array.from({ length: SIZE * SIZE * 3 }, (_, i) => (i % 7) / 7);
    const valid = { id: 'x', inputs: [{ name: 'input', shape: [1, SIZE, SIZE, 3], datatype: 'FP32', data }] };
    const tensor = fc.record(
      {
        name: fc.oneof(fc.constant('input'), fc.string()),
        shape: fc.oneof(fc.constant([1, SIZE, SIZE, 3]), fc.array(fc.integer({ min: -2, max: 20 }), { maxLength: 5 })),
        datatype: fc.constantFrom('FP32', 'FP64', 'INT8', 'BYTES', ''),
        data: fc.oneof(
          fc.constant(data),
          fc.array(fc.oneof(fc.double(), fc.string(), fc.constant(null)), { maxLength: 20 }),
        ),
        parameters: fc.dictionary(fc.string(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc
            .record(
              { inputs: fc.array(tensor, { maxLength: 2 }), outputs: fc.jsonValue() },
              { requiredKeys: ['inputs'] },
            )
            .map((v) => JSON.stringify(v)),
          fc.tuple(edits, cut).map(([e, c]) => mutate(Buffer.from(JSON.stringify(valid)), e, c).toString('latin1')),
        ),
        async (body) => OK.has(await send('/v2/models/fuzz/infer', body, 'application/json')),
      ),
      { numRuns: RUNS, seed: 44 },
    );
  });

  it('is healthy and correct afterwards, and answered no 5xx', async () => {
    expect(
      Object.keys(seen).filter((s) => Number(s) >= 500),
      JSON.stringify(seen),
    ).to.deep.equal([]);
    expect(Object.values(seen).reduce((a, b) => a + b, 0)).to.be.at.least(3 * RUNS);
    const res = await fetch(`${server.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: pngBytes,
    });
    expect(res.status).to.equal(200);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).to.not.match(/tfc_requests_total\{[^}]*code="5\d\d"/);
  });
});
