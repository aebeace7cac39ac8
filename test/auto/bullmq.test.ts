// auto.search's probes on the distributed executor: a real redis-server, a real worker process
// (the library's worker command, which runs the library's jobs, auto.probe among them) pulling
// from the queue, and the search in this process timing candidates alone. The sensitivity the
// workers measure equals the one measured here, one by one.
import { ChildProcess } from 'child_process';
import * as path from 'path';
import { expect } from 'chai';
import { loadWideCnn } from '../../course/models/wide-cnn';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { search, splitData } from '../../lib/auto';
import { BullMqExecutor } from '../../lib/exec';
import { startRedis, startWorkerProcess, RedisServer } from '../helpers/redis';

const ROOT = path.resolve(__dirname, '..', '..');

const startWorker = (url: string, queue: string): Promise<ChildProcess> =>
  startWorkerProcess(path.join(ROOT, 'lib', 'exec', 'cli.ts'), url, queue, ['--threads', '2']).then((w) => w.proc);

describe('auto.search with its probes on BullMQ (redis-server, a worker process)', function () {
  this.timeout(600_000);
  let redis: RedisServer | undefined;
  let worker: ChildProcess | undefined;
  after(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((r) => worker?.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await redis?.stop();
  });

  it("the worker process's sensitivity probes equal the ones measured here", async () => {
    redis = await startRedis();
    const queue = 'auto-probe-test';
    worker = await startWorker(redis.url, queue);
    const { model } = await loadWideCnn();
    const data = splitData(sliceImageSet(loadMnist().test, 0, 300), { seed: 8 });
    const options = { target: 'ort', maxDrop: 0.02, sparsities: [0.5], rankLayers: 1, rounds: 2 } as const;
    const here = await search(model, data, options);
    here.model.dispose();
    const executor = new BullMqExecutor({ url: redis.url, queue });
    try {
      const remote = await search(model, data, { ...options, executor });
      remote.model.dispose();
      expect(remote.report.sensitivity.length).to.be.at.least(3);
      expect(remote.report.sensitivity).to.deep.equal(here.report.sensitivity);
      expect(remote.report.chosen.accuracyDrop).to.be.at.most(0.02);
    } finally {
      await executor.close();
      model.dispose();
    }
  });
});
