// The embedded executor: a pool of worker threads (piscina), one per core by default, each with
// its own tfjs backend (wasm in Node runs one thread per backend, so two cores need two workers).
// Jobs go to the next free thread; results come back in input order. A thread that dies fails
// its job (a JobError) and piscina starts a new one. The library runs from dist/ (compiled) or
// from TypeScript through tsx (tests): then the threads load tsx too.
import * as os from 'os';
import { Piscina } from 'piscina';
import { BackendName } from '../core/backend';
import { ConfigError, describe } from '../errors';
import { Executor, callTarget } from './executor';
import { threadEntry } from './thread-entry';
import { checkJobValue, fromFailure, JobCall, JobDefinition, JobError } from './job';
import type { ThreadReply, ThreadTask } from './thread-worker';

/** Options of {@link ThreadExecutor}. */
export interface ThreadExecutorOptions {
  /** Worker threads; default os.availableParallelism() (the cores this process may use). */
  readonly workers?: number;
  /** Backend of every thread; default 'wasm'. */
  readonly backend?: BackendName;
}

/** The cores this process may use. */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Runs jobs on a pool of worker threads. Call `close()` when done. */
export class ThreadExecutor implements Executor {
  readonly kind = 'threads';
  readonly concurrency: number;
  readonly backend: BackendName;
  private readonly pool: Piscina;
  private closed = false;

  constructor(options: ThreadExecutorOptions = {}) {
    const n = options.workers ?? availableCores();
    if (!(Number.isInteger(n) && n > 0 && n <= 256)) {
      throw new ConfigError(
        `exec.ThreadExecutor: workers an integer in [1, 256], got ${describe(n)}. Use e.g. os.availableParallelism().`,
      );
    }
    this.concurrency = n;
    this.backend = options.backend ?? 'wasm';
    const { filename, execArgv } = threadEntry(__dirname, 'thread-worker');
    // Threads stay up between jobs (each holds a warm backend); they end with close().
    this.pool = new Piscina({
      filename,
      minThreads: n,
      maxThreads: n,
      idleTimeout: 2 ** 31 - 1,
      concurrentTasksPerWorker: 1,
      execArgv,
    });
  }

  run<A, R>(job: JobDefinition<A, R>, args: A): Promise<R> {
    return this.map<R>([{ job: job as JobDefinition<unknown, unknown>, args }]).then((r) => r[0] as R);
  }

  async map<R = unknown>(calls: readonly JobCall[]): Promise<R[]> {
    if (this.closed)
      throw new ConfigError('exec.ThreadExecutor: an open executor, got one already closed. Create a new executor.');
    const tasks: ThreadTask[] = calls.map((call) => {
      const { name, module } = callTarget(call, 'exec.ThreadExecutor');
      checkJobValue(call.args, `exec: job '${name}'`);
      return { name, ...(module ? { module } : {}), args: call.args, backend: this.backend };
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
    if (this.closed)
      return Promise.resolve({
        ok: false,
        failure: {
          name: 'ConfigError',
          message: 'exec.ThreadExecutor: an open executor, got one already closed. Create a new executor.',
        },
      });
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
