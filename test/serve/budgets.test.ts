// The server's budgets, attacked on raw sockets: bodies held open against the global budget for
// bodies in flight, a 100 MB body after its 413 (declared, and chunked), a queue filled by clients
// that never send their bodies, and requests whose deadline passes while they wait in the queue.
// No wall-clock assertion: what is checked is who gets which status, what the server read, and
// what it computed.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { simpleNet } from '../../course/models/simplenet';
import { publishModel } from '../../lib/serve/registry';
import { startServer, InferenceServer } from '../../lib/serve/server';
import { metricValue } from '../../lib/serve/metrics';
import { post, tinyRegistry } from './fixtures';
import { rawOpen } from './raw-http';

const PREDICT = (port: number, length: number | 'chunked'): string =>
  `POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
  (length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`);
/** A valid predict body of exactly `bytes` bytes (an example padded with spaces). */
const padded = (bytes: number): string => {
  const body = '{"input": [0.1, 0.2, 0.3, 0.4]}';
  return body + ' '.repeat(bytes - body.length);
};

describe('serve: budgets (bodies in flight, refused bodies, admission, deadlines)', () => {
  let dir: string;
  before(async () => {
    dir = await tinyRegistry();
  });

  describe('the global budget for bodies in flight', () => {
    let s: InferenceServer;
    before(async () => {
      s = await startServer({
        registryDir: dir,
        model: 'tiny',
        workers: 1,
        maxBodyBytes: 128 * 1024,
        maxBodiesBytes: 300 * 1024,
      });
    });
    after(async () => {
      await s.close();
    });

    it('refuses a body that does not fit with 503 before reading it, and takes it again once bodies finish', async () => {
      const held = [0, 1].map(() => rawOpen(s.port, PREDICT(s.port, 120_000), ' '.repeat(1000)));
      await new Promise((r) => setTimeout(r, 200)); // both admitted and reading
      const third = rawOpen(s.port, PREDICT(s.port, 120_000)); // not one byte of its body sent
      expect(await third.status).to.equal(503);
      expect(third.headers()).to.match(/connection: close/);
      expect(third.headers()).to.match(/retry-after: 1/);
      await third.closed;
      // Small bodies still fit beside the two held ones.
      expect((await post(`${s.url}/v1/predict`, { input: [0.1, 0.2, 0.3, 0.4] })).status).to.equal(200);
      // A chunked body is counted as it comes: past the room left, 503.
      const chunked = rawOpen(s.port, PREDICT(s.port, 'chunked'));
      chunked.stream(200_000, true);
      expect(await chunked.status).to.equal(503);
      await chunked.closed;
      // The held bodies finish and are answered; their room comes back.
      for (const h of held) h.write(padded(119_000)); // 1,000 spaces, then a valid body: 120,000 bytes
      expect(await Promise.all(held.map((h) => h.status))).to.deep.equal([200, 200]);
      held.forEach((h) => h.destroy());
      const again = rawOpen(s.port, PREDICT(s.port, 120_000), padded(120_000));
      expect(await again.status).to.equal(200);
      again.destroy();
      const text = await (await fetch(`${s.url}/metrics`)).text();
      expect(metricValue(text, 'tfc_errors_total', { route: '/v1/predict', kind: 'queue_full' })).to.equal(2);
    });

    it('answers 413 to a 100 MB body, declared or chunked, and closes the connection instead of reading it', async () => {
      for (const framing of [100_000_000, 'chunked'] as const) {
        const big = rawOpen(s.port, PREDICT(s.port, framing));
        big.stream(100_000_000, framing === 'chunked');
        expect(await big.status, String(framing)).to.equal(413);
        expect(big.headers()).to.match(/connection: close/);
        await big.closed;
        // The server stopped reading: the client could not write more than the socket buffers hold.
        expect(big.written(), String(framing)).to.be.below(32 * 1024 * 1024);
      }
      expect((await fetch(`${s.url}/healthz`)).status).to.equal(200);
    });
  });

  it('admits a request before reading its body: with the queue held by clients that send no body, the next gets 503 at once', async () => {
    const s = await startServer({ registryDir: dir, model: 'tiny', workers: 1, maxBatchSize: 4, maxQueueExamples: 4 });
    try {
      const body = '{"input": [0.1, 0.2, 0.3, 0.4]}';
      const held = Array.from({ length: 4 }, () => rawOpen(s.port, PREDICT(s.port, body.length)));
      await new Promise((r) => setTimeout(r, 200));
      const refused = await post(`${s.url}/v1/predict`, { input: [0, 0, 0, 0] });
      expect(refused.status).to.equal(503);
      expect(refused.body.error).to.match(/room in the queue \(4 examples at most\), got 4 waiting/);
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
      // A request whose body never comes is refused from its headers alone.
      const headersOnly = rawOpen(s.port, PREDICT(s.port, body.length));
      expect(await headersOnly.status).to.equal(503);
      headersOnly.destroy();
      for (const h of held) h.write(body);
      expect(await Promise.all(held.map((h) => h.status))).to.deep.equal([200, 200, 200, 200]);
      held.forEach((h) => h.destroy());
      expect((await post(`${s.url}/v1/predict`, { input: [0, 0, 0, 0] })).status).to.equal(200);
    } finally {
      await s.close();
    }
  });

  it('never computes a request whose deadline passed while it was queued', async () => {
    const slowDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-slow-'));
    const m = simpleNet({ seed: 1, hidden: [2048, 2048], inputSize: 4, numClasses: 3 });
    await publishModel(m, { registryDir: slowDir, name: 'slow', version: '1' });
    m.dispose();
    const s = await startServer({ registryDir: slowDir, model: 'slow', workers: 1, maxBatchSize: 512, timeoutMs: 50 });
    try {
      const rows = Array.from({ length: 512 }, (_, i) => [i / 512, 0.5, -0.25, 1]);
      const big = post(`${s.url}/v1/predict`, { inputs: rows }); // takes the only worker for longer than 50 ms
      await new Promise((r) => setTimeout(r, 20));
      const small = await Promise.all(
        Array.from({ length: 5 }, () => post(`${s.url}/v1/predict`, { input: [1, 2, 3, 4] })),
      );
      expect(small.map((r) => r.status)).to.deep.equal([504, 504, 504, 504, 504]);
      small.forEach((r) => expect(r.body.error).to.match(/an answer within 50 ms, got none/));
      expect((await big).status).to.equal(504);
      // Wait for the worker to finish the abandoned batch (its result is dropped).
      let text = '';
      for (let i = 0; i < 300 && !(metricValue(text, 'tfc_batch_examples_count') ?? 0); i++) {
        await new Promise((r) => setTimeout(r, 100));
        text = await (await fetch(`${s.url}/metrics`)).text();
      }
      await new Promise((r) => setTimeout(r, 300));
      text = await (await fetch(`${s.url}/metrics`)).text();
      // One batch computed: the 512 rows; the five queued requests never reached the worker.
      expect(metricValue(text, 'tfc_batch_examples_count')).to.equal(1);
      expect(metricValue(text, 'tfc_batch_examples_sum')).to.equal(512);
      expect(metricValue(text, 'tfc_errors_total', { route: '/v1/predict', kind: 'timeout' })).to.equal(6);
    } finally {
      await s.close();
    }
  });
});
