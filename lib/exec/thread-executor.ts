// The embedded executor: a pool of worker threads (piscina), one per core by default, each with
// its own tfjs backend (wasm in Node runs one thread per backend, so two cores need two workers).
// Jobs go to the next free thread as {name, args}; results come back in input order. Which jobs
// the threads may run is fixed when the pool starts, from this process's code: the library's jobs
// and the jobs defined in this process (or `jobs`). A thread that dies fails its job (a JobError)
// and piscina starts a new one. The library runs from dist/ (compiled) or from TypeScript through
// tsx (tests): then the threads load tsx too.
import * as os from 'os';
import { Piscina } from 'piscina';
import { BackendName } from '../core/backend';
import { ConfigError, describe } from '../errors';
import { Executor } from './executor';
import { fromFailure, JobError } from './failure';
import { callName, JobCall, JobDefinition, JobTable, jobTable, knownJob } from './job';
import { checkJobValue } from './payload';
import { threadEntry } from './thread-entry';
import type { ThreadReply, ThreadSetup, ThreadTask } from './thread-worker';

/** Options of {@link ThreadExecutor}. */
export interface ThreadExecutorOptions {
  /** Worker threads; default os.availableParallelism() (the cores this process may use). */
  readonly workers?: number;
  /** Backend of every thread; default 'wasm'. */
  readonly backend?: BackendName;
  /** Jobs the threads run besides the library's; default every job defined in this process so far. */
  readonly jobs?: readonly JobDefinition<never, unknown>[];
}

/** The cores this process may use. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

const CLOSED = 'exec.ThreadExecutor: an open executor, got one already closed. Create a new executor.';

/** Runs jobs on a pool of worker threads. Call `close()` when done. */
export class ThreadExecutor implements Executor {
  readonly kind = 'threads';
  readonly concurrency: number;
  readonly backend: BackendName;
  /** The jobs the threads run: name -> module (fixed at construction). */
  readonly jobs: JobTable;
  private readonly pool: Piscina;
  private closed = false;

  constructor(options: ThreadExecutorOptions = {}) {
    const fn = 'exec.ThreadExecutor';
    const n = options.workers ?? availableCores();
    if (!(Number.isInteger(n) && n > 0 && n <= 256)) {
      throw new ConfigError(
        `${fn}: workers an integer in [1, 256], got ${describe(n)}. Use e.g. os.availableParallelism().`,
      );
    }
    this.concurrency = n;
    this.backend = options.backend ?? 'wasm';
    this.jobs = jobTable(options.jobs as readonly JobDefinition<unknown, unknown>[] | undefined, fn);
    const { filename, execArgv } = threadEntry(__dirname, 'thread-worker');
    const workerData: ThreadSetup = { backend: this.backend, jobs: [...this.jobs] };
    // Threads stay up between jobs (each holds a warm backend); they end with close().
    this.pool = new Piscina({
      filename,
      minThreads: n,
      maxThreads: n,
      idleTimeout: 2 ** 31 - 1,
      concurrentTasksPerWorker: 1,
      execArgv,
      workerData,
    });
  }

  run<A, R>(job: JobDefinition<A, R>, args: A): Promise<R> {
    return this.map<R>([{ job: job as JobDefinition<unknown, unknown>, args }]).then((r) => r[0] as R);
  }

  async map<R = unknown>(calls: readonly JobCall[]): Promise<R[]> {
    const fn = 'exec.ThreadExecutor';
    if (this.closed) throw new ConfigError(CLOSED);
    const tasks: ThreadTask[] = calls.map((call) => {
      const name = callName(call, fn);
      knownJob(name, this.jobs, fn);
      checkJobValue(call.args, `exec: job '${name}'`);
      return { name, args: call.args };
    });
    // Start every job before awaiting any (the pool queues them), then collect in order.
    const replies = await Promise.all(tasks.map((t) => this.runTask(t)));
    return replies.map((reply, i) => {
      if (reply.ok) return reply.result as R;
      const name = tasks[i]?.name ?? '?';
      const err = fromFailure(reply.failure, name);
      throw err instanceof JobError || reply.failure.name !== 'WorkerExit'
        ? err
        : new JobError(reply.failure.message, name, 'WorkerExit');
    });
  }

  /** Runs one task; a failure comes back as plain data (what the BullMQ worker forwards). */
  runTask(task: ThreadTask): Promise<ThreadReply> {
    if (this.closed) return Promise.resolve({ ok: false, failure: { name: 'ConfigError', message: CLOSED } });
    return (this.pool.run(task) as Promise<ThreadReply>).then(
      (reply) => reply,
      (e: unknown): ThreadReply => ({
        ok: false,
        failure: {
          name: 'WorkerExit',
          message: `the worker thread running it stopped (${(e as Error)?.message ?? e})`,
        },
      }),
    );
  }

  /** Worker threads alive now. */
  get threads(): number {
    return this.pool.threads.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}
