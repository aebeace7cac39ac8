// Entry point of an executor worker thread (loaded by piscina): sets up this thread's own tfjs
// backend once, then runs the jobs it is sent by name. Errors come back as plain data, so the
// caller can rethrow the library's typed error.
import { BackendName, initBackend } from '../core/backend';
import { JobFailure, runJob, toFailure } from './job';

/** A task sent to a worker thread. */
export interface ThreadTask {
  readonly name: string;
  readonly module?: string;
  readonly args: unknown;
  /** The thread's backend (set up on its first task). */
  readonly backend: BackendName;
}

/** What a worker thread sends back. */
export type ThreadReply =
  { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly failure: JobFailure };

let ready: Promise<unknown> | undefined;

/** Runs one task (piscina calls the default export). */
export default async function runTask(task: ThreadTask): Promise<ThreadReply> {
  try {
    ready ??= initBackend(task.backend);
    await ready;
    return { ok: true, result: await runJob(task.name, task.module, task.args) };
  } catch (e) {
    return { ok: false, failure: toFailure(e) };
  }
}
