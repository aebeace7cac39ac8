// The distributed executor against a real redis-server and real worker processes (no mocks):
// jobs complete on two worker processes, a worker killed with SIGKILL mid-job loses nothing (its
// job is recovered by BullMQ's stalled-job check and finishes on the other), retries follow
// BullMQ's attempts, and typed errors come back typed and are not retried.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildProcess } from 'child_process';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { BullMqExecutor, InlineExecutor } from '../../lib/exec';
import { ConfigError } from '../../lib/errors';
import { startRedis, startWorkerProcess, stopWorkerProcess, RedisServer } from '../helpers/redis';
import { busy, failing, sums, trainTiny } from './fixtures/jobs';

const WORKER = path.join(__dirname, 'fixtures', 'worker.ts');

/** Starts a worker process (a script that defines the test jobs, then runs lib/exec/cli.ts); resolves once it is ready. */
const startWorker = (url: string, queue: string): Promise<ChildProcess> =>
  startWorkerProcess(WORKER, url, queue, ['--threads', '1', '--lock-ms', '3000', '--stalled-ms', '1000']).then(
    (w) => w.proc,
  );
const stopWorker = stopWorkerProcess;

describe('exec/bullmq (redis-server, two worker processes)', function () {
  this.timeout(180000);
  let redis: RedisServer;
  let dir = '';
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bullmq-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('completes every job when a worker is killed (SIGKILL) mid-job: its job finishes on the other', async () => {
    const queue = 'kill-test';
    const workers = await Promise.all([startWorker(redis.url, queue), startWorker(redis.url, queue)]);
    const ex = new BullMqExecutor({ url: redis.url, queue, attempts: 3, backoffMs: 200 });
    try {
      const jobs = [1, 2, 3, 4].map((id) => ({ job: busy, args: { id, ms: 2500, dir } }));
      const running = ex.map<{ id: number; pid: number }>(jobs);
      // Wait until the first worker has started a job, then kill it without warning.
      const victim = workers[0] as ChildProcess;
      let started: string[] = [];
      for (let i = 0; i < 300 && started.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        started = fs.readdirSync(dir).filter((f) => f.endsWith(`.${victim.pid}`));
      }
      expect(started, 'a job started on the first worker').to.have.length.above(0);
      victim.kill('SIGKILL');
      const results = await running;
      expect(results.map((r) => r.id)).to.deep.equal([1, 2, 3, 4]);
      const killedIds = started.map((f) => Number(f.split('.')[0]));
      for (const id of killedIds) {
        // Started on the killed worker, completed by the survivor.
        expect(results.find((r) => r.id === id)?.pid).to.equal(workers[1]?.pid);
      }
      expect(results.every((r) => r.pid === workers[1]?.pid || r.pid === victim.pid)).to.equal(true);
    } finally {
      await ex.close();
      await Promise.all(workers.map(stopWorker));
    }
  });

  it("gives the inline executor's numbers, retries a flaky job, and does not retry a typed error", async () => {
    const queue = 'semantics-test';
    const workers = await Promise.all([startWorker(redis.url, queue), startWorker(redis.url, queue)]);
    const ex = new BullMqExecutor({ url: redis.url, queue, attempts: 3, backoffMs: 100 });
    try {
      const calls = [1, 2, 3].map((seed) => ({ job: trainTiny, args: { seed, epochs: 2 } }));
      expect(await ex.map(calls)).to.deep.equal(await new InlineExecutor().map(calls));
      expect(await ex.run(failing, { kind: 'flaky', dir, flaky: 2 })).to.deep.equal({ attempts: 3 });
      fs.rmSync(path.join(dir, 'attempts'));
      let err: unknown;
      try {
        await ex.run(failing, { kind: 'flaky', dir, flaky: 5 });
      } catch (e) {
        err = e;
      }
      expect((err as Error).message).to.match(/flaky failure 3/); // gave up after 3 attempts
      err = undefined;
      try {
        await ex.run(failing, { kind: 'config', dir });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/^test\.failing: a good input/);
      // Typed arrays travel as blobs, stored once in Redis by content hash.
      const f = new Float32Array([1.5, -2, 3]);
      const u = new Uint8Array(1000).fill(7);
      const sumCalls = ['a', 'b', 'c'].map((tag) => ({ job: sums, args: { f, u, tag } }));
      expect(await ex.map(sumCalls)).to.deep.equal(await new InlineExecutor().map(sumCalls));
      const client = new Redis(redis.url);
      expect(await client.keys(`bull:${queue}:blob:*`)).to.have.length(2);
      client.disconnect();
      expect(() => new BullMqExecutor({ url: 'http://x', queue })).to.throw(ConfigError, /a Redis URL/);
    } finally {
      await ex.close();
      await Promise.all(workers.map(stopWorker));
    }
  });
});
