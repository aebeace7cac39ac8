import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { InlineExecutor, ThreadExecutor, JobError } from '../../lib/exec';
import { checkJobValue } from '../../lib/exec/payload';
import { ConfigError } from '../../lib/errors';
import { failing, meet, trainTiny } from './fixtures/jobs';

describe('exec/threads', function () {
  this.timeout(120000);
  const calls = [1, 2, 3, 4, 5].map((seed) => ({ job: trainTiny, args: { seed, epochs: 2 } }));

  it('gives the same numbers inline, on one thread and on two, in input order', async () => {
    const inline = new InlineExecutor();
    const before = tf.memory().numTensors;
    const reference = await inline.map<{ seed: number; weightSum: number; loss: number }>(calls);
    expect(tf.memory().numTensors).to.equal(before);
    expect(reference.map((r) => r.seed)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(new Set(reference.map((r) => r.weightSum)).size).to.equal(5); // different seeds, different runs
    for (const workers of [1, 2]) {
      const ex = new ThreadExecutor({ workers });
      try {
        expect(ex.threads).to.equal(workers);
        expect(await ex.map(calls)).to.deep.equal(reference);
      } finally {
        await ex.close();
      }
      expect(ex.threads).to.equal(0);
    }
  });

  it('runs two jobs at once on two threads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-'));
    const ex = new ThreadExecutor({ workers: 2 });
    try {
      // Each job waits for the other's start mark: both meet only if they ran at the same time
      // (one after the other, the first would give up after waitMs). No clock is compared.
      const r = await ex.map<{ id: number; met: boolean; threadId: number }>([
        { job: meet, args: { id: 1, other: 2, dir, waitMs: 60000 } },
        { job: meet, args: { id: 2, other: 1, dir, waitMs: 60000 } },
      ]);
      expect(r.map((x) => [x.id, x.met])).to.deep.equal([
        [1, true],
        [2, true],
      ]);
      expect(r[0]?.threadId).to.not.equal(r[1]?.threadId);
      expect(r.every((x) => x.threadId > 0)).to.equal(true); // worker threads, not the main thread
    } finally {
      await ex.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs one job at a time on one thread (the meeting cannot happen)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-'));
    const ex = new ThreadExecutor({ workers: 1 });
    try {
      const r = await ex.map<{ id: number; met: boolean }>([
        { job: meet, args: { id: 1, other: 2, dir, waitMs: 300 } },
        { job: meet, args: { id: 2, other: 1, dir, waitMs: 300 } },
      ]);
      expect(r.map((x) => x.met)).to.deep.equal([false, true]); // the second found the first's mark
    } finally {
      await ex.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rethrows the job's typed error, and refuses arguments that cannot cross threads", async () => {
    const ex = new ThreadExecutor({ workers: 1 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-'));
    try {
      let err: unknown;
      try {
        await ex.run(failing, { kind: 'config', dir });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/^test\.failing: a good input/);
      err = undefined;
      try {
        await ex.run(failing, { kind: 'flaky', dir });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(JobError);
      expect((err as Error).message).to.match(/flaky failure 1/);
      const ds = tf.data.array([1, 2, 3]);
      expect(() => checkJobValue({ data: ds }, 'f')).to.throw(
        ConfigError,
        /tf\.data\.Dataset cannot cross threads or machines/,
      );
      err = undefined;
      try {
        await ex.map([{ job: trainTiny, args: { seed: 1, data: ds } }]);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/at args\.data/);
      err = undefined;
      try {
        await ex.map([{ job: 'no.such.job', args: {} }]);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/a job this worker runs, got "no\.such\.job"/);
      // The pool still works after failures.
      expect((await ex.run(trainTiny, { seed: 7, epochs: 1 })).seed).to.equal(7);
    } finally {
      await ex.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    let closed: unknown;
    try {
      await ex.run(trainTiny, { seed: 1, epochs: 1 });
    } catch (e) {
      closed = e;
    }
    expect(closed).to.be.instanceOf(ConfigError);
    expect(() => new ThreadExecutor({ workers: 0 })).to.throw(ConfigError, /workers an integer/);
  });
});
