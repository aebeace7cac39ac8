// One schema for everything a job carries: the arguments and results a caller hands to an
// executor (JSON values plus typed arrays), a job as it sits in a queue ({name, args} with typed
// arrays as blob references) and a task sent to a worker thread ({name, args}). What comes back
// from a queue may have been written by anyone who can write to that Redis, so it is checked the
// same way: own properties only, plain objects, no `__proto__` / `constructor` / `prototype`
// keys, finite numbers, bounded nesting, blob references of a known type and a bounded size.
// A caller's bad value is a ConfigError; a bad payload received from a queue or thread is a
// DataError; neither is ever a TypeError or RangeError from deep inside a worker.
import * as tf from '@tensorflow/tfjs';
import { CompressionError, ConfigError, DataError, describe } from '../errors';

/** Typed arrays a job argument may hold (copied to threads, stored once per run in Redis). */
export type JobArray = Uint8Array | Int32Array | Float32Array | Float64Array;

/** A job argument: JSON values and typed arrays, nested in plain objects and arrays. */
export type JobValue =
  null | boolean | number | string | JobArray | readonly JobValue[] | { readonly [key: string]: JobValue | undefined };

/** A job as queued or sent to a thread: a registered job's name and its arguments; nothing else. */
export interface JobPayload {
  readonly name: string;
  readonly args: unknown;
}

/** A typed array's place in queued arguments: its bytes are stored by content hash. */
export interface BlobRef {
  readonly $blob: string;
  readonly type: JobArrayType;
  readonly length: number;
}

/** The typed-array classes a job may carry, by name. */
export const ARRAY_TYPES: ReadonlyMap<JobArrayType, JobArrayClass> = new Map<JobArrayType, JobArrayClass>([
  ['Uint8Array', Uint8Array],
  ['Int32Array', Int32Array],
  ['Float32Array', Float32Array],
  ['Float64Array', Float64Array],
]);
export type JobArrayType = 'Uint8Array' | 'Int32Array' | 'Float32Array' | 'Float64Array';
type JobArrayClass = Uint8ArrayConstructor | Int32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;

/** Deepest nesting of a job value (a Keras model topology nests about a dozen levels). */
export const MAX_DEPTH = 64;
/** Largest typed array in a job, in bytes: Redis stores at most 512 MB in one value. */
export const MAX_BLOB_BYTES = 512 * 2 ** 20;
/** A job name: a letter, then up to 127 letters, digits, '.', '-' or '_'. */
export const JOB_NAME = /^[a-zA-Z][\w.-]{0,127}$/;
// Keys that would reach an object's prototype in a careless consumer, and the blob marker.
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype', '$blob']);
const BLOB_HASH = /^[0-9a-f]{64}$/;

/** True for the typed arrays a job value may hold. */
export function isJobArray(v: unknown): v is JobArray {
  return (
    ArrayBuffer.isView(v) &&
    ARRAY_TYPES.get(v.constructor?.name as JobArrayType) === v.constructor &&
    !(v instanceof DataView)
  );
}

/** Which values a check accepts: a caller's arguments, a JSON result, queued arguments, a thread's arguments. */
type Form = 'args' | 'result' | 'queued' | 'thread';

class Invalid extends Error {
  constructor(
    readonly got: string,
    readonly fix: string,
  ) {
    super(got);
  }
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The blob reference `v` (an object with an own `$blob` key), checked. */
function checkBlobRef(v: Record<string, unknown>): BlobRef {
  const keys = Object.keys(v);
  const { $blob, type, length } = v;
  if (keys.length !== 3 || !keys.includes('type') || !keys.includes('length'))
    throw new Invalid(`a blob reference with keys ${describe(keys)}`, 'A blob reference is {$blob, type, length}');
  if (typeof $blob !== 'string' || !BLOB_HASH.test($blob))
    throw new Invalid(`a blob hash ${describe($blob)}`, 'A blob hash is 64 lowercase hex digits (sha256)');
  const Ctor = typeof type === 'string' ? ARRAY_TYPES.get(type as JobArrayType) : undefined;
  if (!Ctor)
    throw new Invalid(
      `a blob of type ${describe(type)}`,
      `A blob's type is one of ${[...ARRAY_TYPES.keys()].join(', ')}`,
    );
  if (!(typeof length === 'number' && Number.isInteger(length) && length >= 0))
    throw new Invalid(`a blob length ${describe(length)}`, 'A blob length is an integer >= 0');
  if (length * Ctor.BYTES_PER_ELEMENT > MAX_BLOB_BYTES)
    throw new Invalid(`a blob of ${length} elements`, `A blob holds at most ${MAX_BLOB_BYTES} bytes`);
  return { $blob, type: type as JobArrayType, length };
}

/**
 * The blob reference `v` when it is an object with an own `$blob` key (checked: DataError when
 * malformed), else undefined.
 */
export function blobRefOf(v: unknown, fn: string): BlobRef | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, '$blob')) return undefined;
  try {
    return checkBlobRef(v as Record<string, unknown>);
  } catch (e) {
    if (e instanceof Invalid) throw new DataError(`${fn}: a blob reference, got ${e.got}. ${e.fix}.`);
    throw e;
  }
}

function walk(value: unknown, form: Form, path: (string | number)[]): void {
  if (path.length > MAX_DEPTH)
    throw new Invalid(
      `nesting deeper than ${MAX_DEPTH}`,
      'Flatten the arguments (e.g. arrays of numbers as typed arrays)',
    );
  const v = value;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Invalid(describe(v), 'Use finite numbers (JSON has no NaN or Infinity)');
    return;
  }
  if (typeof v !== 'object')
    throw new Invalid(describe(v), 'Pass plain objects, arrays, numbers, strings and typed arrays');
  if (isJobArray(v)) {
    if (form === 'result' || form === 'queued')
      throw new Invalid(describe(v), 'Return plain numbers (Array.from) or store large arrays in a file');
    if (v.byteLength > MAX_BLOB_BYTES)
      throw new Invalid(
        `a ${v.constructor.name} of ${v.byteLength} bytes`,
        `Pass at most ${MAX_BLOB_BYTES} bytes in one array`,
      );
    return;
  }
  if (v instanceof tf.data.Dataset)
    throw new Invalid(
      'a tf.data.Dataset',
      'A tf.data.Dataset cannot cross threads or machines: pass an ImageSet (its pixels are plain arrays), or run in this process with a local evaluator',
    );
  if (v instanceof tf.Tensor)
    throw new Invalid(
      'a tf.Tensor',
      "Tensors live in one thread's backend: pass their values (await t.data()) or an ImageSet",
    );
  if (v instanceof tf.LayersModel)
    throw new Invalid('a tf.LayersModel', 'Pass the model as artifacts (modelToArtifacts) and rebuild it in the job');
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      walk(v[i], form, path);
      path.pop();
    }
    return;
  }
  if (!isPlainObject(v))
    throw new Invalid(describe(v), 'Pass plain objects, arrays, numbers, strings and typed arrays');
  const record = v as Record<string, unknown>;
  if (form === 'queued' && Object.hasOwn(record, '$blob')) {
    checkBlobRef(record);
    return;
  }
  for (const key of Object.keys(record)) {
    if (RESERVED_KEYS.has(key))
      throw new Invalid(`the key ${describe(key)}`, `Rename it: ${[...RESERVED_KEYS].join(', ')} are reserved`);
    const x = record[key];
    if (x === undefined && (form === 'args' || form === 'result')) continue; // JSON drops it
    path.push(key);
    walk(x, form, path);
    path.pop();
  }
}

function pathText(root: string, path: readonly (string | number)[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${describe(p)}]`))
    .reduce((a, b) => a + b, root);
}

function check(
  value: unknown,
  form: Form,
  root: string,
  fail: (got: string, at: string, fix: string) => CompressionError,
): void {
  const path: (string | number)[] = [];
  try {
    walk(value, form, path);
  } catch (e) {
    if (e instanceof Invalid) throw fail(e.got, pathText(root, path), e.fix);
    if (e instanceof RangeError) throw fail('a value too deeply nested to walk', pathText(root, path), 'Flatten it');
    throw e;
  }
}

/**
 * Throws a ConfigError unless `value` is a job value (JSON plus typed arrays when `arrays`).
 * tf.data datasets, tensors and models cannot cross threads or machines; the message says what to pass.
 * @example checkJobValue({seed: 1, pixels: new Uint8Array(784)}, 'f') // passes
 */
export function checkJobValue(value: unknown, fn: string, where = 'args', arrays = true): void {
  check(
    value,
    arrays ? 'args' : 'result',
    where,
    (got, at, fix) =>
      new ConfigError(
        `${fn}: ${arrays ? 'job arguments of JSON values and typed arrays' : 'a JSON job result'}, got ${got} at ${at}. ${fix}.`,
      ),
  );
}

/**
 * The job payload `data` received from a queue ('queued': typed arrays as blob references) or by
 * a worker thread ('thread'), checked: a plain object with exactly `name` (a job name) and `args`.
 * Throws DataError otherwise; `fn` names the receiver in the message.
 * @example parseJobPayload({name: 'nas.candidate', args: {}}, 'queued', 'exec.worker').name // 'nas.candidate'
 */
export function parseJobPayload(data: unknown, form: 'queued' | 'thread', fn: string): JobPayload {
  const fix = 'Submit jobs through an exec executor of this version of tfjs-compress';
  const bad = (got: string, extra = fix): DataError =>
    new DataError(`${fn}: a job payload {name, args}, got ${got}. ${extra}.`);
  if (data === null || typeof data !== 'object' || Array.isArray(data) || !isPlainObject(data))
    throw bad(describe(data));
  const record = data as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'name' && key !== 'args')
      throw bad(
        `the key ${describe(key)}`,
        'A job names a registered job by its name only; workers never load code a payload names',
      );
  }
  const name = record.name;
  if (typeof name !== 'string' || !JOB_NAME.test(name)) throw bad(`the name ${describe(name)}`);
  if (!Object.hasOwn(record, 'args')) throw bad('no args', `${fix} (args is {} when a job takes none)`);
  check(
    record.args,
    form,
    'args',
    (got, at, why) =>
      new DataError(
        `${fn}: job '${name}' arguments of JSON values and ${form === 'queued' ? 'blob references' : 'typed arrays'}, got ${got} at ${at}. ${why}.`,
      ),
  );
  return { name, args: record.args };
}

/** Throws a DataError unless a result received from a queue is a JSON value. */
export function checkReceivedResult(value: unknown, fn: string, job: string): void {
  check(
    value,
    'result',
    'result',
    (got, at, fix) => new DataError(`${fn}: job '${job}' a JSON result, got ${got} at ${at}. ${fix}.`),
  );
}
