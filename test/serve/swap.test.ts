// Swaps an unlucky operator or an attacker would try, under load: incompatible, NaN, truncated,
// tampered, garbage, mistyped-manifest and oversized versions are refused with 409 / 422 and the
// reason, while the load sees not one failed request and the workers keep not one extra tensor.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { loadTest } from '../../lib/bench/load-test';
import { simpleNet } from '../../course/models/simplenet';
import { publishModel } from '../../lib/serve/registry';
import { startServer, InferenceServer } from '../../lib/serve/server';
import { metricValue } from '../../lib/serve/metrics';
import { ADMIN_TOKEN, TEST_MAX_MODEL_BYTES, admin, hostileVersions, tinyRegistry } from './fixtures';

const BODIES = [
  [0.1, 0.2, 0.3, 0.4],
  [1, 0, -1, 0.5],
  [0, 0, 0, 0],
].map((input) => ({ method: 'POST' as const, path: '/v1/predict', body: JSON.stringify({ input }) }));

describe('serve: swaps under load (real HTTP, worker threads)', () => {
  let dir: string;
  let plan: { refused: Record<string, number>; accepted: string[] };
  let server: InferenceServer;
  before(async () => {
    dir = await tinyRegistry();
    plan = await hostileVersions(dir);
    server = await startServer({
      registryDir: dir,
      model: 'tiny',
      version: '1',
      workers: 2,
      admin: { token: ADMIN_TOKEN },
      maxModelBytes: TEST_MAX_MODEL_BYTES,
    });
  });
  after(async () => {
    await server.close();
  });

  it('refuses every broken or incompatible version with 409/422 and the reason; 0 failed client requests', async () => {
    const baseline = await server.executorStats();
    const refusals: { version: string; status: number; error: string }[] = [];
    const accepted: number[] = [];
    const load = loadTest({ url: server.url, requests: BODIES, connections: 8, durationSeconds: 6 });
    await new Promise((r) => setTimeout(r, 500));
    for (let round = 0; round < 3; round++) {
      for (const version of Object.keys(plan.refused)) {
        const r = await admin(server.url, '/v1/admin/swap', { version });
        refusals.push({ version, status: r.status, error: r.body.error });
      }
      for (const version of [...plan.accepted, '2', '1'])
        accepted.push((await admin(server.url, '/v1/admin/swap', { version })).status);
    }
    const result = await load;
    for (const r of refusals) {
      expect(r.status, `${r.version}: ${r.error}`).to.equal(plan.refused[r.version]);
      expect(r.error)
        .to.be.a('string')
        .and.not.match(/TypeError|undefined/);
    }
    expect(refusals).to.have.length(3 * Object.keys(plan.refused).length);
    expect(refusals.find((r) => r.version === 'wide')?.error).to.match(/float32\[5\].*float32\[4\]/);
    expect(refusals.find((r) => r.version === 'nan')?.error).to.match(/finite weights/);
    expect(refusals.find((r) => r.version === 'nan-onnx')?.error).to.match(/finite outputs/);
    expect(refusals.find((r) => r.version === 'tampered-onnx')?.error).to.match(/sha256/);
    expect(refusals.find((r) => r.version === 'huge-onnx')?.error).to.match(/maxModelBytes/);
    expect(refusals.find((r) => r.version === 'huge')?.error).to.match(/at most 262144 bytes/);
    expect(accepted.every((s) => s === 200)).to.equal(true);
    expect(result.requests).to.be.greaterThan(100);
    expect(result.errors + result.timeouts, 'socket errors and timeouts').to.equal(0);
    expect(result.status2xx, JSON.stringify(result.statusCounts)).to.equal(result.requests);
    expect(server.active().version).to.equal('1');
    // Nothing of the refused or retired versions is left in any worker.
    await new Promise((r) => setTimeout(r, 200));
    const after = await server.executorStats();
    expect(after.map((s) => s.numTensors)).to.deep.equal(baseline.map((s) => s.numTensors));
    expect(after.map((s) => s.numBytes)).to.deep.equal(baseline.map((s) => s.numBytes));
    expect(after.every((s) => s.models.length === 1)).to.equal(true);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricValue(text, 'tfc_errors_total', { route: '/v1/admin/swap', kind: 'conflict' })).to.equal(3);
    expect(metricValue(text, 'tfc_errors_total', { route: '/v1/admin/swap', kind: 'broken_model' })).to.equal(
      3 * (Object.keys(plan.refused).length - 1),
    );
    expect(text).to.not.match(/code="5\d\d"/);
  });

  it('30 refused NaN swaps leave the workers exactly as they were', async () => {
    const baseline = await server.executorStats();
    for (let i = 0; i < 30; i++) {
      let err: unknown;
      try {
        await server.swap('nan');
      } catch (e) {
        err = e;
      }
      expect((err as Error).name).to.equal('DataError');
    }
    const after = await server.executorStats();
    expect(after.map((s) => [s.numTensors, s.numBytes, s.models.length])).to.deep.equal(
      baseline.map((s) => [s.numTensors, s.numBytes, s.models.length]),
    );
  });
});

describe('serve: swaps of a larger model under load', () => {
  it('swaps an 8 MB model 6 times under 8 clients with 0 failed requests: each worker loads beside the old version in turn', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-big-'));
    for (const version of ['1', '2']) {
      const m = simpleNet({ seed: Number(version), hidden: [4096], inputSize: 512, numClasses: 10 });
      await publishModel(m, { registryDir: dir, name: 'big', version });
      m.dispose();
    }
    const server = await startServer({
      registryDir: dir,
      model: 'big',
      version: '1',
      workers: 2,
      admin: { token: ADMIN_TOKEN },
    });
    try {
      const body = JSON.stringify({ input: Array.from({ length: 512 }, (_, i) => (i % 17) / 17) });
      const load = loadTest({
        url: server.url,
        requests: [{ method: 'POST', path: '/v1/predict', body }],
        connections: 8,
        durationSeconds: 8,
      });
      await new Promise((r) => setTimeout(r, 300));
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await admin(server.url, '/v1/admin/swap', { version: i % 2 ? '1' : '2' })).status);
      const result = await load;
      expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 200]);
      expect(result.requests).to.be.greaterThan(50);
      expect(result.errors + result.timeouts, 'socket errors and timeouts').to.equal(0);
      expect(result.status2xx, JSON.stringify(result.statusCounts)).to.equal(result.requests);
      const stats = await server.executorStats();
      expect(stats.every((s) => s.models.length === 1)).to.equal(true);
    } finally {
      await server.close();
    }
  });
});
