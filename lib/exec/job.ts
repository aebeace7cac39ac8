// Jobs: a registered name, a handler, and plain-data arguments and results. A job is what an
// executor ships to a worker thread or to a worker process on another machine, so its arguments
// are JSON values plus typed arrays (an ImageSet's pixels, a model's weights), never tensors,
// tf.data datasets, models or functions; its result is JSON.
//
// What runs is decided by code, never by data: a job travels as its name only, and a worker runs
// it only when that name is in its own table of jobs. The table holds the library's jobs (a fixed
// list below: name -> module of this installation) and the jobs the worker's own process defined
// with defineJob before it started (each remembers its file, `__filename`, so the process's worker
// threads can load it). A name that is not in the table is refused; no path, module or file name
// is ever read from a queue or a message.
import * as path from 'path';
import { ConfigError, describe } from '../errors';
import { JOB_NAME, checkJobValue } from './payload';

/** A registered job: its name, the file that defines it, and the handler. */
export interface JobDefinition<A, R> {
  readonly name: string;
  /** The absolute path of the defining module (`__filename`): what this process's worker threads load. */
  readonly file: string;
  readonly run: (args: A) => Promise<R>;
}

/** One call of a job: what `Executor.map` takes (the args' type is the job's). */
export interface JobCall<A = unknown> {
  /** A definition from defineJob, or the name of a job the workers know. */
  readonly job: JobDefinition<never, unknown> | string;
  readonly args: A;
}

/** Job name -> absolute path of the module that defines it (what a worker may load). */
export type JobTable = ReadonlyMap<string, string>;

const LIB_ROOT = path.resolve(__dirname, '..');

// The library's jobs: name -> defining module, relative to lib/ (dist/lib/ when compiled).
// A test checks that each module defines exactly its name and that no other library file defines a job.
const LIBRARY_JOBS: ReadonlyMap<string, string> = new Map([
  ['nas.candidate', 'jobs/nas-candidate'],
  ['auto.probe', 'auto/probe'],
]);

const registry = new Map<string, JobDefinition<unknown, unknown>>();

function withoutExtension(file: string): string {
  return file.replace(/\.(ts|js|cjs|mjs)$/, '');
}

/** The library's jobs: name -> absolute module path in this installation. */
export function libraryJobs(): JobTable {
  return new Map([...LIBRARY_JOBS].map(([name, rel]) => [name, path.join(LIB_ROOT, rel)]));
}

/**
 * Registers job `name`, defined in `file` (pass `__filename`), with its handler. Workers run it
 * when their process defined it before starting (see startBullMqWorker); the file is what this
 * process's worker threads load to find the same definition.
 * @example export const square = defineJob('demo.square', __filename, async (a: {x: number}) => ({y: a.x * a.x}));
 */
export function defineJob<A, R>(name: string, file: string, run: (args: A) => Promise<R>): JobDefinition<A, R> {
  const fn = 'exec.defineJob';
  if (typeof name !== 'string' || !JOB_NAME.test(name))
    throw new ConfigError(
      `${fn}: a name of a letter then up to 127 letters, digits, '.', '-' or '_', got ${describe(name)}. Use e.g. 'nas.proxy'.`,
    );
  if (typeof file !== 'string' || !path.isAbsolute(file))
    throw new ConfigError(
      `${fn}: the absolute path of the module that defines '${name}', got ${describe(file)}. Pass __filename.`,
    );
  if (typeof run !== 'function')
    throw new ConfigError(`${fn}: a handler function for '${name}', got ${describe(run)}. Pass an async function.`);
  const abs = path.resolve(file);
  const rel = path.relative(LIB_ROOT, abs);
  const inLibrary = !rel.startsWith('..') && !path.isAbsolute(rel);
  const listed = LIBRARY_JOBS.get(name);
  if (inLibrary && listed !== withoutExtension(rel.split(path.sep).join('/')))
    throw new ConfigError(
      `${fn}: a library job listed in exec/job.ts with its module, got '${name}' in ${rel}. Add it to LIBRARY_JOBS.`,
    );
  if (!inLibrary && listed !== undefined)
    throw new ConfigError(
      `${fn}: a name not used by the library, got '${name}'. Rename your job, e.g. 'myapp.${name}'.`,
    );
  const existing = registry.get(name);
  if (existing && withoutExtension(existing.file) !== withoutExtension(abs))
    throw new ConfigError(
      `${fn}: one definition per job name, got '${name}' from ${existing.file} and ${abs}. Rename one of them.`,
    );
  const def: JobDefinition<A, R> = { name, file: abs, run };
  registry.set(name, def as JobDefinition<unknown, unknown>);
  return def;
}

/**
 * The table of jobs a worker of this process runs: the library's, and `jobs` (by default every
 * job defined in this process so far). Each must be the registered definition of its name.
 */
export function jobTable(jobs: readonly JobDefinition<unknown, unknown>[] | undefined, fn: string): JobTable {
  const table = new Map(libraryJobs());
  for (const def of jobs ?? [...registry.values()]) {
    if (registry.get(def?.name) !== def)
      throw new ConfigError(
        `${fn}: jobs defined with exec.defineJob, got ${describe(def?.name ?? def)}. Pass the definitions defineJob returned.`,
      );
    table.set(def.name, def.file);
  }
  return table;
}

/** The module of job `name` in `table`; ConfigError when the table does not list it. */
export function knownJob(name: unknown, table: JobTable, fn: string): string {
  const file = typeof name === 'string' ? table.get(name) : undefined;
  if (file === undefined)
    throw new ConfigError(
      `${fn}: a job this worker runs, got ${describe(name)} (known: ${[...table.keys()].join(', ')}). ` +
        `Define it with exec.defineJob in the worker's own code before the worker starts.`,
    );
  return file;
}

/**
 * The registered job `name`, loading its module from `table` when it is not yet defined in this
 * thread. Throws ConfigError for a name that is not in the table.
 */
export function findJob(
  name: string,
  table: JobTable = jobTable(undefined, 'exec.findJob'),
): JobDefinition<unknown, unknown> {
  const file = knownJob(name, table, 'exec');
  if (!registry.has(name)) {
    try {
      require(file);
    } catch (e) {
      throw new ConfigError(
        `exec: the module of job '${name}' loadable here, got an error loading it: ${(e as Error).message}. ` +
          `Install the same version of the code on every worker.`,
      );
    }
  }
  const def = registry.get(name);
  if (!def || withoutExtension(def.file) !== withoutExtension(file))
    throw new ConfigError(
      `exec: job '${name}' defined by ${file}, got ${def ? `a definition in ${def.file}` : 'no definition'} after loading it. ` +
        `Install the same version of the code on every worker.`,
    );
  return def;
}

/**
 * Throws ConfigError unless a job's arguments are an object (what every library job takes);
 * a job's handler calls it first, since any writer to the queue chooses the arguments.
 */
export function checkJobArgs(args: unknown, job: string, shape: string): void {
  if (args === null || typeof args !== 'object' || Array.isArray(args))
    throw new ConfigError(`${job}: arguments ${shape}, got ${describe(args)}. Pass an object.`);
}

/** Runs a job in this thread (from `table`), then checks its result is JSON. */
export async function runJob(name: string, args: unknown, table?: JobTable): Promise<unknown> {
  const def = findJob(name, table);
  const result = await def.run(args);
  checkJobValue(result, `exec: job '${name}'`, 'result', false);
  return result;
}

/** The job name of a call, checked: a registered definition or a name. */
export function callName(call: JobCall, fn: string): string {
  const job = call?.job;
  if (typeof job === 'string') return job;
  if (job && typeof job === 'object' && typeof job.name === 'string') {
    if (registry.get(job.name) !== job)
      throw new ConfigError(
        `${fn}: a job defined with exec.defineJob, got an object named ${describe(job.name)}. Pass the definition defineJob returned.`,
      );
    return job.name;
  }
  throw new ConfigError(
    `${fn}: a job definition (from exec.defineJob) or a job name, got ${describe(job)}. Pass {job, args}.`,
  );
}
