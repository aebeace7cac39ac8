// Executor throughput on a real sweep: CE students of notebook 05's kind (784-w-10 MLPs on MNIST
// images, seeded), trained fresh (an empty cache per run) as executor jobs.
//   threads.speedupTwoWorkers: jobs/minute with 2 worker threads vs 1 (goal >= 1.7 on 2 cores);
//   bullmq.relativeToThreads: the same jobs through BullMQ on a local redis-server with 2 worker
//     processes (1 thread each) vs the 2-thread pool (goal >= 0.9);
//   bullmq.killedJobsCompleted: jobs that were running on a worker killed with SIGKILL and were
//     completed by the other worker (goal >= 1).
// Writes results/bench-executor.json with the machine and the load average.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ChildProcess } from 'child_process';
import { initBackend } from '../../lib/core/backend';
import { machineInfo } from '../../lib/core/machine';
import { saveResults } from '../../course/results';
import { BullMqExecutor, Executor, JobCall, ThreadExecutor } from '../../lib/exec';
import { studentJob } from '../../course/jobs';
import { startRedis, startWorkerProcess, stopWorkerProcess } from '../helpers/redis';
import { busy } from '../exec/fixtures/jobs';

const ROOT = path.resolve(__dirname, '..', '..');
const JOBS = 8;
const sweep: JobCall[] = Array.from({ length: JOBS }, (_, i) => ({
  job: studentJob,
  args: {
    dataset: 'mnist',
    width: [16, 32][i % 2],
    seed: 100 + i,
    recipe: { trainExamples: 4000, epochs: 12, batchSize: 128, learningRate: 2e-3 },
    setting: 'ce',
  },
}));
const warmup: JobCall[] = [0, 1].map((i) => ({
  job: studentJob,
  args: {
    dataset: 'mnist',
    width: 4,
    seed: 900 + i,
    recipe: { trainExamples: 256, epochs: 1, batchSize: 128, learningRate: 2e-3 },
    setting: 'ce',
  },
}));

/** A fresh, empty model cache (so every job trains), inherited by threads and child processes started after. */
function freshCache(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-exec-'));
  process.env.TFJS_COMPRESS_CACHE = dir;
  return dir;
}

async function timeSweep(
  make: () => Promise<{ ex: Executor; stop?: () => Promise<void> }>,
): Promise<{ seconds: number; jobsPerMinute: number }> {
  const dir = freshCache();
  const { ex, stop } = await make();
  try {
    await ex.map(warmup); // every worker's backend and data loaded before the clock starts
    const t0 = performance.now();
    const r = await ex.map<{ fromCache: boolean }>(sweep);
    const seconds = (performance.now() - t0) / 1000;
    if (r.some((x) => x.fromCache))
      throw new Error('a sweep job was read from the cache: the measurement would be meaningless');
    return { seconds, jobsPerMinute: (60 * JOBS) / seconds };
  } finally {
    await ex.close();
    await stop?.();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A worker process: the course's worker (course/worker.ts: the course's jobs, such as course.student, and the library's), or `script`. */
const startWorker = (url: string, queue: string, script?: string): Promise<ChildProcess> =>
  startWorkerProcess(script ?? path.join(ROOT, 'course', 'worker.ts'), url, queue, [
    '--threads',
    '1',
    '--lock-ms',
    '4000',
    '--stalled-ms',
    '1000',
  ]).then((w) => w.proc);

const stopWorkers = async (ps: ChildProcess[]): Promise<void> => {
  await Promise.all(ps.map(stopWorkerProcess));
};

async function main(): Promise<void> {
  await initBackend('wasm');
  const loadBefore = os.loadavg();
  const one = await timeSweep(async () => ({ ex: new ThreadExecutor({ workers: 1 }) }));
  console.log(
    `threads, 1 worker: ${one.jobsPerMinute.toFixed(1)} jobs/min (${one.seconds.toFixed(1)} s for ${JOBS} jobs)`,
  );
  const two = await timeSweep(async () => ({ ex: new ThreadExecutor({ workers: 2 }) }));
  console.log(`threads, 2 workers: ${two.jobsPerMinute.toFixed(1)} jobs/min (${two.seconds.toFixed(1)} s)`);
  const redis = await startRedis();
  let bull: { seconds: number; jobsPerMinute: number };
  let killedJobsCompleted = 0;
  let killedJobsStarted = 0;
  try {
    bull = await timeSweep(async () => {
      const workers = await Promise.all([startWorker(redis.url, 'bench'), startWorker(redis.url, 'bench')]);
      return { ex: new BullMqExecutor({ url: redis.url, queue: 'bench' }), stop: () => stopWorkers(workers) };
    });
    console.log(`bullmq, 2 worker processes: ${bull.jobsPerMinute.toFixed(1)} jobs/min (${bull.seconds.toFixed(1)} s)`);
    // A worker killed mid-job: its job must complete on the other.
    const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-kill-'));
    const fixture = path.join(ROOT, 'test', 'exec', 'fixtures', 'worker.ts');
    const workers = await Promise.all([
      startWorker(redis.url, 'kill', fixture),
      startWorker(redis.url, 'kill', fixture),
    ]);
    const ex = new BullMqExecutor({ url: redis.url, queue: 'kill', attempts: 3, backoffMs: 200 });
    try {
      const running = ex.map<{ id: number; pid: number }>(
        [1, 2, 3, 4].map((id) => ({ job: busy, args: { id, ms: 3000, dir: marks } })),
      );
      const victim = workers[0] as ChildProcess;
      let started: string[] = [];
      for (let i = 0; i < 400 && started.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        started = fs.readdirSync(marks).filter((f) => f.endsWith(`.${victim.pid}`));
      }
      victim.kill('SIGKILL');
      const results = await running;
      killedJobsStarted = started.length;
      killedJobsCompleted = started
        .map((f) => Number(f.split('.')[0]))
        .filter((id) => results.find((r) => r.id === id)?.pid === workers[1]?.pid).length;
      console.log(
        `killed a worker running ${killedJobsStarted} job(s): ${killedJobsCompleted} completed by the other worker`,
      );
    } finally {
      await ex.close();
      await stopWorkers(workers);
      fs.rmSync(marks, { recursive: true, force: true });
    }
  } finally {
    await redis.stop();
  }
  const speedupTwoWorkers = two.jobsPerMinute / one.jobsPerMinute;
  const relativeToThreads = bull.jobsPerMinute / two.jobsPerMinute;
  console.log(
    `threads.speedupTwoWorkers ${speedupTwoWorkers.toFixed(2)} (goal >= 1.7), bullmq.relativeToThreads ${relativeToThreads.toFixed(2)} (goal >= 0.9)`,
  );
  const file = saveResults('bench-executor', {
    sweep: {
      jobs: JOBS,
      job: 'course.student (CE, 784-16/32-10, 4000 MNIST images, 12 epochs)',
      ...(sweep[0]?.args as object),
    },
    threads: { oneWorker: one, twoWorkers: two, speedupTwoWorkers },
    bullmq: {
      twoWorkerProcesses: bull,
      relativeToThreads,
      killedJobsStarted,
      killedJobsCompleted,
      redis: 'redis-server on 127.0.0.1, --save "" --appendonly no',
    },
    loadAverage: { before: loadBefore, after: os.loadavg() },
    machine: machineInfo(),
  });
  console.log(`wrote ${file}`);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
