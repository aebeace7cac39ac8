// The executor interface: independent jobs in, their results out, in input order. Three
// implementations run the same job code: InlineExecutor (this thread, one at a time: the
// reference), ThreadExecutor (a worker-thread pool, one wasm backend per thread, sized to the
// cores) and BullMqExecutor (a Redis queue that worker processes on any number of machines pull).
import { ConfigError } from '../errors';
import { callName, JobCall, JobDefinition, runJob } from './job';
import { checkJobValue } from './payload';

/** Runs independent jobs. */
export interface Executor {
  /** 'inline', 'threads' or 'bullmq'. */
  readonly kind: string;
  /** How many jobs run at once (threads here; for BullMQ the local workers, if any). */
  readonly concurrency: number;
  /** Runs one job; rejects with the job's typed error (or a JobError). */
  run<A, R>(job: JobDefinition<A, R>, args: A): Promise<R>;
  /** Runs jobs concurrently; results in input order. Rejects with the first failure. */
  map<R = unknown>(calls: readonly JobCall[]): Promise<R[]>;
  /** Stops workers and connections; run afterwards throws ConfigError. */
  close(): Promise<void>;
}

/** Runs jobs in this thread, one after another: the reference the other executors must match. */
export class InlineExecutor implements Executor {
  readonly kind = 'inline';
  readonly concurrency = 1;
  private closed = false;

  run<A, R>(job: JobDefinition<A, R>, args: A): Promise<R> {
    return this.map<R>([{ job: job as JobDefinition<unknown, unknown>, args }]).then((r) => r[0] as R);
  }

  async map<R = unknown>(calls: readonly JobCall[]): Promise<R[]> {
    if (this.closed)
      throw new ConfigError('exec.InlineExecutor: an open executor, got one already closed. Create a new executor.');
    const out: R[] = [];
    for (const call of calls) {
      const name = callName(call, 'exec.InlineExecutor');
      checkJobValue(call.args, `exec: job '${name}'`);
      out.push((await runJob(name, call.args)) as R);
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
