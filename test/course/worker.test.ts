// The course's worker process (course/worker.ts) against a real redis-server: it defines the
// course's jobs, which the library's job table no longer lists, then serves them with the
// library's own; a course job sent by name runs the course's handler (its argument check answers
// with a typed error), and the library's worker alone refuses the same name.
import * as path from 'path';
import { expect } from 'chai';
import { BullMqExecutor } from '../../lib/exec';
import { libraryJobs } from '../../lib/exec/job';
import { ConfigError } from '../../lib/errors';
import { startRedis, startWorkerProcess, stopWorkerProcess, RedisServer } from '../helpers/redis';

const ROOT = path.resolve(__dirname, '..', '..');

const startWorker = (entry: string, url: string, queue: string) =>
  startWorkerProcess(entry, url, queue, ['--threads', '1']);
const stop = stopWorkerProcess;

async function failureOf(ex: BullMqExecutor, job: string, args: unknown): Promise<unknown> {
  try {
    await ex.map([{ job, args }]);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("course/worker (the course's jobs on a Redis queue)", function () {
  this.timeout(180_000);
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it("serves the course's jobs with the library's; the library's worker alone does not know them", async () => {
    const courseJobs = ['course.student', 'course.prunePoint', 'models.baseline'];
    for (const name of courseJobs) expect([...libraryJobs().keys()], name).to.not.include(name);

    const course = await startWorker(path.join(ROOT, 'course', 'worker.ts'), redis.url, 'course-q');
    const ex = new BullMqExecutor({ url: redis.url, queue: 'course-q', attempts: 1, localWorkers: 0 });
    try {
      expect(course.ready).to.include('nas.candidate');
      for (const name of courseJobs) expect(course.ready, name).to.include(name);
      // The course's own handler runs: its argument check answers, typed, naming the job.
      const e = await failureOf(ex, 'course.student', { dataset: 'mnist' });
      expect(e).to.be.instanceOf(ConfigError);
      expect((e as Error).message).to.match(/^course\.student: /);
    } finally {
      await ex.close();
      await stop(course.proc);
    }
    // The library's worker (lib/exec/cli.ts) on its own refuses the course's job by name.
    const started = await startWorker(path.join(ROOT, 'lib', 'exec', 'cli.ts'), redis.url, 'lib-q');
    const lib = started.proc;
    const libEx = new BullMqExecutor({ url: redis.url, queue: 'lib-q', attempts: 1, localWorkers: 0 });
    try {
      expect(started.ready).to.not.include('course.student');
      const e = await failureOf(libEx, 'course.student', { dataset: 'mnist' });
      expect(e).to.be.instanceOf(ConfigError);
      expect((e as Error).message).to.match(/a job this worker runs/);
    } finally {
      await libEx.close();
      await stop(lib);
    }
  });
});
