import { expect } from 'chai';
import { latencyStats, measureLatency, quantile, timeRuns } from '../../lib/core/latency';
import { ConfigError } from '../../lib/errors';

describe('core/latency', () => {
  it('quantile and latencyStats on known values', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).to.equal(2.5);
    expect(quantile([], 0.5)).to.be.NaN;
    const s = latencyStats([5, 1, 3, 2, 4]);
    expect([s.p50Ms, s.minMs, s.meanMs, s.runs]).to.deep.equal([3, 1, 3, 5]);
    expect(s.p99Ms).to.be.closeTo(4.96, 1e-9);
  });

  it('measureLatency runs warm-up plus the requested runs', async () => {
    let calls = 0;
    const s = await measureLatency(
      () => {
        calls++;
      },
      { warmupRuns: 2, runs: 7 },
    );
    expect(calls).to.equal(9);
    expect(s.runs).to.equal(7);
    let err: unknown;
    try {
      await measureLatency(() => 0, { runs: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/^measureLatency: runs a positive integer/);
  });

  it('timeRuns keeps running until minTimeMs is measured, up to maxRuns', async () => {
    const wait = () => {
      const end = performance.now() + 1;
      while (performance.now() < end) {
        /* busy 1 ms */
      }
    };
    const t = await timeRuns(wait, { warmupRuns: 0, runs: 2, minTimeMs: 10 });
    const total = t.reduce((a, b) => a + b, 0);
    expect(t.length).to.be.at.least(2);
    expect(t.every((ms) => ms >= 1)).to.equal(true);
    expect(total).to.be.at.least(10); // ran until 10 ms were measured...
    if (t.length > 2) expect(total - (t[t.length - 1] as number)).to.be.below(10); // ...and stopped then
    expect((await timeRuns(wait, { warmupRuns: 0, runs: 2, minTimeMs: 1000, maxRuns: 4 })).length).to.equal(4);
  });
});
