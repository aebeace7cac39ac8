// Jobs: a registered name, a handler, and plain-data arguments and results. A job is what an
// executor ships to a worker thread or to a worker process on another machine, so its arguments
// are JSON values plus typed arrays (an ImageSet's pixels, a model's weights), never tensors,
// tf.data datasets, models or functions; its result is JSON. The module that defines a job is
// named with it, so any worker can load the code that runs it (require by path).
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {
  CompressionError,
  ConfigError,
  DataError,
  ExportError,
  ShapeError,
  UnsupportedLayerError,
  describe,
} from '../errors';

/** Typed arrays a job argument may hold (copied to threads, stored once per run in Redis). */
export type JobArray = Uint8Array | Int32Array | Float32Array | Float64Array;

/** A job argument: JSON values and typed arrays, nested in plain objects and arrays. */
export type JobValue =
  null | boolean | number | string | JobArray | readonly JobValue[] | { readonly [key: string]: JobValue | undefined };

/** A registered job: its name, the module that defines it, and the handler. */
export interface JobDefinition<A, R> {
  readonly name: string;
  /** The defining module: a library module (`tfjs-compress:nas/jobs`) or an absolute path. */
  readonly module: string;
  readonly run: (args: A) => Promise<R>;
}

/** One call of a job: what `Executor.map` takes (the args' type is the job's). */
export interface JobCall<A = unknown> {
  /** A definition from defineJob, `{name, module}`, or a name known to the workers. */
  readonly job: { readonly name: string; readonly module?: string } | string;
  readonly args: A;
}

/** A job that failed in a worker: the original error's class name and message. */
export class JobError extends CompressionError {
  constructor(
    message: string,
    readonly job: string,
    readonly errorName: string,
  ) {
    super(message);
  }
}

const registry = new Map<string, JobDefinition<unknown, unknown>>();
const LIB_ROOT = path.resolve(__dirname, '..');

/** The module name a worker can resolve: library modules relative to lib/ (or dist/), others absolute. */
export function moduleName(file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(LIB_ROOT, abs);
  if (!rel.startsWith('..') && !path.isAbsolute(rel))
    return `tfjs-compress:${rel.replace(/\\/g, '/').replace(/\.(ts|js)$/, '')}`;
  return abs;
}

/** The file path of a module name from {@link moduleName}, in this installation. */
export function modulePath(name: string): string {
  return name.startsWith('tfjs-compress:') ? path.join(LIB_ROOT, name.slice('tfjs-compress:'.length)) : name;
}

/**
 * Registers a job `name` defined in `file` (pass `__filename`); workers load `file` to run it.
 * @example export const square = defineJob('demo.square', __filename, async (a: {x: number}) => ({y: a.x * a.x}));
 */
export function defineJob<A, R>(name: string, file: string, run: (args: A) => Promise<R>): JobDefinition<A, R> {
  if (typeof name !== 'string' || !/^[a-zA-Z][\w.-]*$/.test(name)) {
    throw new ConfigError(
      `exec.defineJob: a name of letters, digits, '.', '-' or '_', got ${describe(name)}. Use e.g. 'nas.proxy'.`,
    );
  }
  if (typeof run !== 'function')
    throw new ConfigError(
      `exec.defineJob: a handler function for '${name}', got ${describe(run)}. Pass an async function.`,
    );
  const module = moduleName(file);
  const existing = registry.get(name);
  if (existing && existing.module !== module) {
    throw new ConfigError(
      `exec.defineJob: one definition per job name, got '${name}' from ${existing.module} and ${module}. Rename one of them.`,
    );
  }
  const def: JobDefinition<A, R> = { name, module, run };
  registry.set(name, def as JobDefinition<unknown, unknown>);
  return def;
}

/** The registered job `name`, loading `module` first when given and the job is not yet known. */
export function findJob(name: string, module?: string): JobDefinition<unknown, unknown> {
  if (!registry.has(name) && module) {
    try {
      require(modulePath(module));
    } catch (e) {
      throw new ConfigError(
        `exec: the module of job '${name}' loadable here, got an error loading ${module}: ${(e as Error).message}. ` +
          `Install the same version of the code on every worker.`,
      );
    }
  }
  const def = registry.get(name);
  if (!def) {
    throw new ConfigError(
      `exec: a registered job, got '${name}' (known: ${[...registry.keys()].join(', ') || 'none'}). ` +
        `Define it with exec.defineJob and start workers with its module.`,
    );
  }
  return def;
}

const ARRAY_TYPES = [Uint8Array, Int32Array, Float32Array, Float64Array] as const;

/** True for the typed arrays a job value may hold. */
export function isJobArray(v: unknown): v is JobArray {
  return ARRAY_TYPES.some((T) => v instanceof T);
}

/**
 * Throws a ConfigError unless `value` is a job value (JSON plus typed arrays when `arrays`).
 * tf.data datasets, tensors and models cannot cross threads or machines; the message says what to pass.
 */
export function checkJobValue(value: unknown, fn: string, where = 'args', arrays = true): void {
  const fail = (at: string, got: string, fix: string): never => {
    throw new ConfigError(
      `${fn}: ${arrays ? 'job arguments of JSON values and typed arrays' : 'a JSON job result'}, got ${got} at ${at}. ${fix}.`,
    );
  };
  const walk = (v: unknown, at: string): void => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(at, describe(v), 'Use finite numbers (JSON has no NaN or Infinity)');
      return;
    }
    if (v instanceof tf.data.Dataset) {
      fail(
        at,
        'a tf.data.Dataset',
        'A tf.data.Dataset cannot cross threads or machines: pass an ImageSet (its pixels are plain arrays), or run in this process with a local evaluator',
      );
    }
    if (v instanceof tf.Tensor)
      fail(
        at,
        'a tf.Tensor',
        "Tensors live in one thread's backend: pass their values (await t.data()) or an ImageSet",
      );
    if (v instanceof tf.LayersModel)
      fail(at, 'a tf.LayersModel', 'Pass the model as artifacts (modelToArtifacts) and rebuild it in the job');
    if (isJobArray(v)) {
      if (!arrays) fail(at, describe(v), 'Return plain numbers (Array.from) or store large arrays in a file');
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${at}[${i}]`));
      return;
    }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) walk(x, `${at}.${k}`);
      return;
    }
    fail(at, describe(v), 'Pass plain objects, arrays, numbers, strings and typed arrays');
  };
  walk(value, where);
}

const ERROR_CLASSES: Record<string, new (message: string) => CompressionError> = {
  ConfigError,
  ShapeError,
  DataError,
  ExportError,
  UnsupportedLayerError,
  CompressionError,
};

/** An error from a worker as plain data. */
export interface JobFailure {
  readonly name: string;
  readonly message: string;
}

/** A caught error as plain data (to cross a thread or a queue). */
export function toFailure(e: unknown): JobFailure {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
}

/** The library's typed error again for a failure of one of its classes, else a JobError. */
export function fromFailure(f: JobFailure, job: string): CompressionError {
  const Known = ERROR_CLASSES[f.name];
  return Known
    ? new Known(f.message)
    : new JobError(`exec: job '${job}' completed, got ${f.name}: ${f.message}`, job, f.name);
}

/** Whether retrying could help: the library's typed errors are about the input, so a retry would fail again. */
export function isRetryable(f: JobFailure): boolean {
  return !(f.name in ERROR_CLASSES);
}

/** Runs a job in this thread: loads its module, runs it, checks the result is JSON. */
export async function runJob(name: string, module: string | undefined, args: unknown): Promise<unknown> {
  const def = findJob(name, module);
  const result = await def.run(args);
  checkJobValue(result, `exec: job '${name}'`, 'result', false);
  return result;
}
