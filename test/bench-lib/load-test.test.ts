import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { loadTest } from '../../lib/bench/load-test';
import { startServer } from '../../lib/serve/server';
import { tinyRegistry } from '../serve/fixtures';

describe('bench/loadTest (autocannon on loopback)', () => {
  it('counts answers by status, bounded by amount', async () => {
    const server = await startServer({ registryDir: await tinyRegistry(), model: 'tiny' });
    try {
      const ok = await loadTest({
        url: server.url,
        connections: 4,
        amount: 120,
        requests: [{ path: '/v1/predict', body: JSON.stringify({ input: [1, 2, 3, 4] }) }],
      });
      expect(ok.requests).to.equal(120);
      expect(ok.status2xx).to.equal(120);
      expect(ok.errors + ok.timeouts + ok.status4xx + ok.status5xx).to.equal(0);
      expect(ok.latencyP99Ms).to.be.at.least(ok.latencyP50Ms);
      expect(ok.throughputRps).to.be.greaterThan(0);
      const bad = await loadTest({
        url: server.url,
        connections: 2,
        amount: 60,
        requests: [
          { path: '/v1/predict', body: '{"input": [1, 2]}' },
          { path: '/v1/predict', body: 'nope' },
          { method: 'GET', path: '/v1/predict' },
        ],
      });
      expect(bad.status4xx).to.equal(60);
      expect(bad.statusCounts).to.deep.equal({ 400: 40, 405: 20 });
    } finally {
      await server.close();
    }
  });

  it('refuses non-loopback URLs and unbounded runs', async () => {
    const req = [{ path: '/' }];
    for (const opts of [
      { url: 'http://example.com', requests: req },
      { url: 'http://127.0.0.1:1', requests: req, durationSeconds: 1000 },
      { url: 'http://127.0.0.1:1', requests: [] },
    ]) {
      let err: unknown;
      try {
        await loadTest(opts);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
    }
  });
});
