// Entry point of an executor worker thread (loaded by piscina). Its setup comes from the
// executor's constructor, i.e. from its process's code: the backend, and the table of jobs it
// may run (name -> module). A task is a payload {name, args}, checked against the one schema; the
// thread loads a job's module from its table on first use, and refuses any other name. Errors come
// back as plain data, so the caller can rethrow the library's typed error.
import { workerData } from 'worker_threads';
import { BackendName, initBackend } from '../core/backend';
import { JobFailure, toFailure } from './failure';
import { JobTable, runJob } from './job';
import { parseJobPayload } from './payload';

/** What the executor gives each thread when it starts it (structured-cloned). */
export interface ThreadSetup {
  readonly backend: BackendName;
  /** Job name -> module path, from the executor's process (never from a task). */
  readonly jobs: readonly (readonly [string, string])[];
}

/** A task sent to a worker thread: a job payload. */
export interface ThreadTask {
  readonly name: string;
  readonly args: unknown;
}

/** What a worker thread sends back. */
export type ThreadReply =
  { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly failure: JobFailure };

const setup = workerData as ThreadSetup;
const table: JobTable = new Map(setup.jobs);
let ready: Promise<unknown> | undefined;

/** Runs one task (piscina calls the default export). */
export default async function runTask(task: unknown): Promise<ThreadReply> {
  try {
    const { name, args } = parseJobPayload(task, 'thread', 'exec.ThreadExecutor');
    ready ??= initBackend(setup.backend);
    await ready;
    return { ok: true, result: await runJob(name, args, table) };
  } catch (e) {
    return { ok: false, failure: toFailure(e) };
  }
}
