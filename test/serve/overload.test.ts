// Overload, on a deliberately slow model (4 -> 2048 -> 2048 -> 3, ~4.2M MACs an example): a
// flooded queue refuses with 503 + Retry-After, a request past its deadline gets 504, and
// /healthz answers while a worker computes (and, for contrast, not while the main thread does).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { simpleNet } from '../../course/models/simplenet';
import { publishModel } from '../../lib/serve/registry';
import { startServer, ServerOptions } from '../../lib/serve/server';
import { metricValue } from '../../lib/serve/metrics';
import { post } from './fixtures';

const rows = (n: number): number[][] => Array.from({ length: n }, (_, i) => [i / n, 0.5, -0.25, 1 - i / n]);

describe('serve: overload (slow model, real HTTP)', () => {
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-slow-'));
    const m = simpleNet({ seed: 1, hidden: [2048, 2048], inputSize: 4, numClasses: 3 });
    await publishModel(m, { registryDir: dir, name: 'slow', version: '1' });
    m.dispose();
  });
  const start = (o: Partial<ServerOptions>) => startServer({ registryDir: dir, model: 'slow', workers: 1, ...o });

  it('answers a flood beyond the bounded queue with 503 and Retry-After, the rest with 200', async () => {
    const s = await start({ maxBatchSize: 64, maxQueueExamples: 64 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => post(`${s.url}/v1/predict`, { inputs: rows(64) })),
      );
      const statuses = answers.map((a) => a.status);
      const refused = answers.filter((a) => a.status === 503);
      expect(
        statuses.every((c) => c === 200 || c === 503),
        JSON.stringify(statuses),
      ).to.equal(true);
      expect(refused.length).to.be.greaterThan(0);
      expect(statuses.filter((c) => c === 200).length).to.be.at.least(2);
      for (const r of refused) {
        expect(Number(r.headers.get('retry-after'))).to.be.within(1, 60);
        expect(r.body.error).to.match(/room in the queue/);
      }
      const text = await (await fetch(`${s.url}/metrics`)).text();
      expect(metricValue(text, 'tfc_errors_total', { route: '/v1/predict', kind: 'queue_full' })).to.equal(
        refused.length,
      );
    } finally {
      await s.close();
    }
  });

  it('answers 504 when the compute outlasts timeoutMs, leaks nothing, and stays ready', async () => {
    const s = await start({ timeoutMs: 20 });
    try {
      const before = await s.executorStats();
      const r = await post(`${s.url}/v1/predict`, { inputs: rows(256) });
      expect(r.status).to.equal(504);
      expect(r.body.error).to.match(/within 20 ms/);
      await new Promise((res) => setTimeout(res, 1000)); // the worker finishes the abandoned batch
      const after = await s.executorStats();
      expect(after.map((x) => x.numTensors)).to.deep.equal(before.map((x) => x.numTensors));
      const text = await (await fetch(`${s.url}/metrics`)).text();
      expect(metricValue(text, 'tfc_errors_total', { route: '/v1/predict', kind: 'timeout' })).to.equal(1);
      expect((await fetch(`${s.url}/readyz`)).status).to.equal(200);
    } finally {
      await s.close();
    }
  });

  for (const workers of [1, 0]) {
    it(
      workers
        ? '/healthz answers while a worker computes a 256-example batch'
        : 'with workers: 0 (the main thread computes) /healthz waits for the batch',
      async () => {
        const s = await start({ workers, batching: workers > 0 });
        try {
          for (let round = 0; round < 3; round++) {
            const order: string[] = [];
            const predict = post(`${s.url}/v1/predict`, { inputs: rows(256) }).then((r) => {
              order.push('predict');
              return r.status;
            });
            await new Promise((res) => setTimeout(res, 30));
            const health = fetch(`${s.url}/healthz`).then((r) => {
              order.push('healthz');
              return r.status;
            });
            expect(await Promise.all([predict, health])).to.deep.equal([200, 200]);
            expect(order).to.deep.equal(workers ? ['healthz', 'predict'] : ['predict', 'healthz']);
          }
        } finally {
          await s.close();
        }
      },
    );
  }
});
