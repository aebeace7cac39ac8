import * as os from 'os';
import { expect } from 'chai';
import { DEFAULT_WORKER_NICE, WorkerPool } from '../../lib/serve/worker-pool';
import { ConfigError } from '../../lib/errors';

describe('serve/worker-pool priority', () => {
  it('lowers the workers alone on Linux (nice 10 by default, as asked otherwise); the event loop keeps its priority', async function () {
    const main = os.getPriority(0);
    if (process.platform !== 'linux' || main > DEFAULT_WORKER_NICE) this.skip(); // elsewhere the pool leaves priorities alone
    const pools = [
      await WorkerPool.start({ workers: 2 }),
      await WorkerPool.start({ workers: 1, workerNice: 0 }),
      await WorkerPool.start({ workers: 1, workerNice: 15 }),
    ];
    try {
      const [byDefault, zero, fifteen] = await Promise.all(pools.map((p) => p.stats()));
      expect(byDefault?.map((s) => s.nice)).to.deep.equal([DEFAULT_WORKER_NICE, DEFAULT_WORKER_NICE]);
      expect(zero?.map((s) => s.nice)).to.deep.equal([main]);
      expect(fifteen?.map((s) => s.nice)).to.deep.equal([Math.max(main, 15)]);
      expect(os.getPriority(0)).to.equal(main);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });

  it('refuses a nice value outside 0..19 with a ConfigError', async () => {
    for (const workerNice of [-1, 20, 2.5]) {
      let e: unknown;
      try {
        await WorkerPool.start({ workers: 1, workerNice });
      } catch (err) {
        e = err;
      }
      expect(e).to.be.instanceOf(ConfigError);
      expect((e as Error).message).to.match(/^WorkerPool\.start: workerNice an integer in \[0, 19\], got/);
    }
  });
});
