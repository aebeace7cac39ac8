// Reading a TensorFlow.js model folder safely, from anywhere: an attacker's folder or a damaged
// disk. model.json is capped before it is read or parsed; every weight path stays inside the
// folder after symlinks are resolved; only regular files are opened (checked with lstat, then
// opened non-blocking so a FIFO never hangs, then fstat); each file is named once; the total
// weight bytes are checked against the cap and the manifest before one byte is allocated; and
// each file is re-checked (same inode and size) when it is read. Every failure is a DataError.
// The steps are written once, as a generator of file operations (yield realpath, open, ...),
// run synchronously (`readArtifacts`) or asynchronously on libuv's threads (`readArtifactsAsync`,
// what servers use: nothing blocks the event loop but the JSON parse).
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';
import { recoverFolder } from '../core/atomic';
import { ModelArtifacts, ModelJson, checkManifest, specBytes, weightByteLengths } from './model-files';

/** Limits of {@link readArtifacts}. */
export interface ReadOptions {
  /** Largest model.json read and parsed, in bytes. Default 16 MiB (a 64 MiB file of `{},` takes ~2 GB to parse). */
  readonly maxModelJsonBytes?: number;
  /** Largest total of the weight files, in bytes, checked before reading them. Default 2 GiB. */
  readonly maxWeightBytes?: number;
  /** The function named in error messages. Default 'readArtifacts'. */
  readonly caller?: string;
}

const MIB = 1024 * 1024;
/** O_NONBLOCK: opening a FIFO returns at once (no writer needed); O_NOFOLLOW: the resolved path may not turn into a link. */
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;
const CHUNK = 1 << 30;

type Op =
  | { readonly op: 'realpath'; readonly path: string }
  | { readonly op: 'lstat'; readonly path: string }
  | { readonly op: 'open'; readonly path: string }
  | { readonly op: 'fstat'; readonly fd: number }
  | { readonly op: 'read'; readonly fd: number; readonly into: Uint8Array }
  | { readonly op: 'close'; readonly fd: number };

interface FileInfo {
  readonly shown: string;
  readonly real: string;
  readonly bytes: number;
  readonly dev: number;
  readonly ino: number;
}

const errCode = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? 'an error';
const inside = (root: string, p: string): boolean => {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/** Opens `real` (a regular file, checked before and after opening), returns its fd and stats. */
function* openRegular(
  real: string,
  fail: (got: string) => DataError,
): Generator<Op, { fd: number; st: fs.Stats }, unknown> {
  const pre = (yield { op: 'lstat', path: real }) as fs.Stats;
  if (!pre.isFile())
    throw fail(
      pre.isDirectory() ? 'a folder' : pre.isFIFO() ? 'a FIFO' : pre.isSymbolicLink() ? 'a link' : 'a device or socket',
    );
  const fd = (yield { op: 'open', path: real }) as number;
  try {
    const st = (yield { op: 'fstat', fd }) as fs.Stats;
    if (!st.isFile() || st.ino !== pre.ino || st.dev !== pre.dev) throw fail('a file replaced while it was opened');
    return { fd, st };
  } catch (e) {
    yield { op: 'close', fd };
    throw e;
  }
}

/** The real path of `name` inside `realDir`; DataError when it is absolute, a URL, or leads out. */
function* resolveInside(dir: string, realDir: string, name: string, fn: string): Generator<Op, string, unknown> {
  const shown = path.join(dir, name);
  const outside = (): DataError =>
    new DataError(
      `${fn}: weight file paths inside the model folder ${dir}, got "${name}". ` +
        `The model.json names a file elsewhere: move the weight files beside it and list them by name.`,
      shown,
    );
  if (!name || name.includes('\0') || path.isAbsolute(name) || name.includes('\\') || /^[a-z][a-z0-9+.-]*:/i.test(name))
    throw outside();
  if (!inside(realDir, path.resolve(realDir, name))) throw outside();
  let real: string;
  try {
    real = (yield { op: 'realpath', path: path.resolve(realDir, name) }) as string;
  } catch (e) {
    throw new DataError(
      `${fn}: the weights file ${shown} named in model.json, got ${errCode(e)}. Copy the weights file beside model.json, or save the model again.`,
      shown,
    );
  }
  if (!inside(realDir, real)) throw outside();
  return real;
}

function parseModelJson(text: string, file: string, fn: string): ModelJson {
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new DataError(
      `${fn}: valid JSON in ${file}, got ${(e as Error).message}. The file is damaged: save the model again.`,
      file,
    );
  }
  if (
    !json ||
    typeof json !== 'object' ||
    !json.modelTopology ||
    typeof json.modelTopology !== 'object' ||
    !Array.isArray(json.weightsManifest)
  ) {
    throw new DataError(
      `${fn}: a model.json with modelTopology and weightsManifest in ${file}, got ` +
        `${json && typeof json === 'object' && !Array.isArray(json) ? `keys [${Object.keys(json).slice(0, 8).join(', ')}]` : Array.isArray(json) ? 'an array' : typeof json}. ` +
        `Is this a TensorFlow.js model (layers-model or graph-model)?`,
      file,
    );
  }
  return json;
}

function* readPlan(dir: string, options: ReadOptions): Generator<Op, ModelArtifacts, unknown> {
  const fn = options.caller ?? 'readArtifacts';
  const maxJson = options.maxModelJsonBytes ?? 16 * MIB;
  const maxWeights = options.maxWeightBytes ?? 2048 * MIB;
  const jsonFile = path.join(dir, 'model.json');
  const noJson = (got: string): DataError =>
    new DataError(
      `${fn}: a model.json in ${dir}, got ${got}. Check the folder, or save the model there with saveModel.`,
      jsonFile,
    );
  let realDir: string;
  try {
    realDir = (yield { op: 'realpath', path: dir }) as string;
  } catch (e) {
    if (errCode(e) !== 'ENOENT' || !recoverFolder(dir)) throw noJson(errCode(e));
    realDir = (yield { op: 'realpath', path: dir }) as string; // an interrupted save was rolled back
  }
  // model.json: inside the folder, a regular file, capped before reading.
  let realJson: string;
  try {
    realJson = (yield { op: 'realpath', path: path.join(realDir, 'model.json') }) as string;
  } catch (e) {
    throw noJson(errCode(e));
  }
  if (!inside(realDir, realJson)) throw noJson('a link to a file outside the folder');
  let text: string;
  {
    const { fd, st } = yield* openRegular(realJson, (got) => noJson(got));
    try {
      if (st.size > maxJson) {
        throw new DataError(
          `${fn}: a model.json of at most ${maxJson} bytes, got ${st.size} in ${jsonFile}. Raise maxModelJsonBytes if the file is trusted.`,
          jsonFile,
        );
      }
      const buf = new Uint8Array(st.size);
      const n = (yield { op: 'read', fd, into: buf }) as number;
      if (n !== st.size) throw noJson(`${n} of ${st.size} bytes (the file changed while reading)`);
      text = Buffer.from(buf.buffer, buf.byteOffset, n).toString('utf8');
    } finally {
      yield { op: 'close', fd };
    }
  }
  const json = parseModelJson(text, jsonFile, fn);
  const groups = checkManifest(json, fn, jsonFile);
  // Each weight file: named once, inside the folder, a regular file; sizes only (no fd kept open).
  const seen = new Set<string>();
  const files: FileInfo[][] = [];
  for (const g of groups) {
    const row: FileInfo[] = [];
    for (const p of g.paths) {
      const shown = path.join(dir, p);
      const real = yield* resolveInside(dir, realDir, p, fn);
      const { fd, st } = yield* openRegular(
        real,
        (got) =>
          new DataError(
            `${fn}: a regular weights file at ${shown}, got ${got}. Copy the weight files beside model.json.`,
            shown,
          ),
      );
      yield { op: 'close', fd };
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) {
        throw new DataError(
          `${fn}: each weights file named once in the manifest, got ${shown} again (or a link to a file named before). ` +
            `The model.json is damaged or hostile: convert or save the model again.`,
          shown,
        );
      }
      seen.add(id);
      row.push({ shown, real, bytes: st.size, dev: st.dev, ino: st.ino });
    }
    files.push(row);
  }
  const total = files.flat().reduce((a, f) => a + f.bytes, 0);
  if (total > maxWeights) {
    throw new DataError(
      `${fn}: weight files of at most ${maxWeights} bytes in all, got ${total} in ${dir}. Raise maxWeightBytes if the model is trusted and fits in memory.`,
      dir,
    );
  }
  // Fixed-size groups are checked against the manifest from the sizes, before allocating.
  groups.forEach((g, gi) => {
    if (g.weights.some((w) => w.dtype === 'string' && !w.quantization)) return;
    const expected = g.weights.reduce((a, s) => a + specBytes(s), 0);
    const got = (files[gi] ?? []).reduce((a, f) => a + f.bytes, 0);
    if (expected !== got) {
      const names = (files[gi] ?? []).map((f) => `${path.basename(f.shown)} (${f.bytes} bytes)`).join(', ');
      throw new DataError(
        `${fn}: ${expected} weight bytes as model.json's manifest says, got ${got} in ${names || 'no file'} of ${dir}. ` +
          `The weights file is truncated or belongs to another model: save the model again.`,
        files[gi]?.[0]?.shown ?? dir,
      );
    }
  });
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const f of files.flat()) {
    const { fd, st } = yield* openRegular(
      f.real,
      (got) => new DataError(`${fn}: a regular weights file at ${f.shown}, got ${got}. Read the model again.`, f.shown),
    );
    try {
      if (st.dev !== f.dev || st.ino !== f.ino || st.size !== f.bytes)
        throw new DataError(
          `${fn}: ${f.bytes} bytes in ${f.shown}, got a file that changed while reading. Read the model again.`,
          f.shown,
        );
      const n = (yield { op: 'read', fd, into: weightData.subarray(off, off + f.bytes) }) as number;
      if (n !== f.bytes)
        throw new DataError(
          `${fn}: ${f.bytes} bytes in ${f.shown}, got ${n} (the file changed while reading). Read the model again.`,
          f.shown,
        );
    } finally {
      yield { op: 'close', fd };
    }
    off += f.bytes;
  }
  // Variable-size (string) groups: walk the values.
  let start = 0;
  groups.forEach((g, gi) => {
    const got = (files[gi] ?? []).reduce((a, f) => a + f.bytes, 0);
    const used = weightByteLengths(
      g.weights,
      weightData.subarray(start, start + got),
      fn,
      files[gi]?.[0]?.shown ?? dir,
    ).reduce((a, b) => a + b, 0);
    if (used !== got) {
      throw new DataError(
        `${fn}: ${used} weight bytes as model.json's manifest says, got ${got} in group ${gi + 1} of ${dir}. ` +
          `The weights file is truncated or belongs to another model: save the model again.`,
        files[gi]?.[0]?.shown ?? dir,
      );
    }
    start += got;
  });
  return { modelJson: json, weightData };
}

function readFullSync(fd: number, into: Uint8Array): number {
  let n = 0;
  while (n < into.length) {
    const k = fs.readSync(fd, into, n, Math.min(CHUNK, into.length - n), n);
    if (k === 0) break;
    n += k;
  }
  return n;
}

function execSync(op: Op): unknown {
  switch (op.op) {
    case 'realpath':
      return fs.realpathSync(op.path);
    case 'lstat':
      return fs.lstatSync(op.path);
    case 'open':
      return fs.openSync(op.path, OPEN_FLAGS);
    case 'fstat':
      return fs.fstatSync(op.fd);
    case 'read':
      return readFullSync(op.fd, op.into);
    case 'close':
      return fs.closeSync(op.fd);
  }
}

const call = <T>(f: (cb: (e: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v))));

async function readFull(fd: number, into: Uint8Array): Promise<number> {
  let n = 0;
  while (n < into.length) {
    const k = await call<number>((cb) => fs.read(fd, into, n, Math.min(CHUNK, into.length - n), n, cb));
    if (k === 0) break;
    n += k;
  }
  return n;
}

function execAsync(op: Op): Promise<unknown> {
  switch (op.op) {
    case 'realpath':
      return call<string>((cb) => fs.realpath(op.path, cb));
    case 'lstat':
      return call<fs.Stats>((cb) => fs.lstat(op.path, cb));
    case 'open':
      return call<number>((cb) => fs.open(op.path, OPEN_FLAGS, cb));
    case 'fstat':
      return call<fs.Stats>((cb) => fs.fstat(op.fd, cb));
    case 'read':
      return readFull(op.fd, op.into);
    case 'close':
      return call<void>((cb) => fs.close(op.fd, (e) => cb(e, undefined)));
  }
}

/** Any file-system error not already a DataError becomes one (an fd is never left open: the plan closes it). */
function wrap(e: unknown, dir: string, fn: string): unknown {
  if (e instanceof DataError) return e;
  return new DataError(
    `${fn}: a readable model folder at ${dir}, got ${errCode(e)}. Check the folder and its permissions.`,
    dir,
  );
}

type Outcome = { readonly value: unknown } | { readonly error: unknown };
type Plan = Generator<Op, ModelArtifacts, unknown>;
/** Hands an operation's outcome back to the plan: its value, or its error thrown at the `yield`. */
const resume = (plan: Plan, o: Outcome): IteratorResult<Op, ModelArtifacts> =>
  'error' in o ? plan.throw(o.error) : plan.next(o.value);

/**
 * Reads `dir/model.json` and every weight file it names (layers or graph model, sharded and
 * quantized manifests included), checking paths, file types, sizes and the manifest before and
 * after reading. Synchronous; servers use {@link readArtifactsAsync}.
 * @example const {modelJson, weightData} = readArtifacts('/models/mobilenet'); // any converter output
 */
export function readArtifacts(dir: string, options: ReadOptions = {}): ModelArtifacts {
  const plan = readPlan(dir, options);
  try {
    const run = (op: Op): Outcome => {
      try {
        return { value: execSync(op) };
      } catch (error) {
        return { error };
      }
    };
    for (let r = plan.next(); ; r = resume(plan, run(r.value))) if (r.done) return r.value;
  } catch (e) {
    throw wrap(e, dir, options.caller ?? 'readArtifacts');
  }
}

/**
 * {@link readArtifacts} with every file operation on libuv's thread pool: the event loop stays
 * free while a model is read (only JSON.parse of the capped model.json runs on it).
 * @example const artifacts = await readArtifactsAsync(dir, {maxWeightBytes: 512 * 2 ** 20});
 */
export async function readArtifactsAsync(dir: string, options: ReadOptions = {}): Promise<ModelArtifacts> {
  const plan = readPlan(dir, options);
  try {
    const run = (op: Op): Promise<Outcome> =>
      execAsync(op).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
    for (let r = plan.next(); ; r = resume(plan, await run(r.value))) if (r.done) return r.value;
  } catch (e) {
    throw wrap(e, dir, options.caller ?? 'readArtifacts');
  }
}
