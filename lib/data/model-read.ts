// Reading a TensorFlow.js model folder safely, from anywhere: an attacker's folder or a damaged
// disk. Every file is opened through the one safe-open primitive (core/read-file.ts): inside the
// folder after links are resolved, without following a final link, never blocking on a FIFO, a
// regular file, capped before reading. model.json is capped, parsed with a nesting limit and its
// input shapes checked (model-json.ts); each weight file is named once (no two names for one
// inode); the total weight bytes are checked against the cap and the manifest before one byte is
// allocated; each file is re-checked (same inode and size) when it is read. Every failure is a
// DataError. The model is given as its folder or as the path of its model.json (any `*.json`
// name: the weight paths are relative to the file's folder).
// The steps are written once, as a generator of file operations, run synchronously
// (`readArtifacts`) or on libuv's threads (`readArtifactsAsync`, what servers use: nothing
// blocks the event loop but the JSON parse of the capped model.json).
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';
import { recoverFolder } from '../core/atomic';
import {
  FileIdentity,
  ReadFileOptions,
  isInside,
  openRegularFile,
  openRegularFileAsync,
  readRegularFile,
  readRegularFileAsync,
} from '../core/read-file';
import { ModelArtifacts, checkManifest, specBytes, weightByteLengths } from './model-files';
import { parseModelJson } from './model-json';

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

type Op =
  | { readonly op: 'realpath'; readonly path: string }
  | { readonly op: 'open'; readonly file: string; readonly o: ReadFileOptions }
  | { readonly op: 'read'; readonly file: string; readonly o: ReadFileOptions };

interface FileInfo {
  readonly shown: string;
  readonly real: string;
  readonly id: FileIdentity;
}

const errCode = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? 'an error';
const strictlyInside = (root: string, p: string): boolean => p !== root && isInside(root, p);

/** The model's folder and model.json file from a folder or a `*.json` path. */
export function modelPaths(p: string): { dir: string; jsonFile: string } {
  return p.toLowerCase().endsWith('.json')
    ? { dir: path.dirname(p), jsonFile: p }
    : { dir: p, jsonFile: path.join(p, 'model.json') };
}

/** The path of `name` inside `realDir`; DataError when it is absolute, a URL, or leads out. */
function weightPath(dir: string, realDir: string, name: string, fn: string): string {
  if (
    !name ||
    name.includes('\0') ||
    path.isAbsolute(name) ||
    name.includes('\\') ||
    /^[a-z][a-z0-9+.-]*:/i.test(name) ||
    !strictlyInside(realDir, path.resolve(realDir, name))
  ) {
    throw new DataError(
      `${fn}: weight file paths inside the model folder ${dir}, got "${name}". ` +
        `The model.json names a file elsewhere: move the weight files beside it and list them by name.`,
      path.join(dir, name),
    );
  }
  return path.resolve(realDir, name);
}

function* readPlan(p: string, options: ReadOptions): Generator<Op, ModelArtifacts, unknown> {
  const fn = options.caller ?? 'readArtifacts';
  const maxJson = options.maxModelJsonBytes ?? 16 * MIB;
  const maxWeights = options.maxWeightBytes ?? 2048 * MIB;
  const { dir, jsonFile } = modelPaths(p);
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
  try {
    yield { op: 'realpath', path: path.join(realDir, path.basename(jsonFile)) };
  } catch (e) {
    throw noJson(errCode(e));
  }
  const jsonBytes = (yield {
    op: 'read',
    file: path.join(realDir, path.basename(jsonFile)),
    o: {
      fn,
      what: 'a model.json',
      maxBytes: maxJson,
      tooLargeAdvice: 'Raise maxModelJsonBytes if the file is trusted.',
      root: realDir,
    },
  }) as Uint8Array;
  const json = parseModelJson(
    Buffer.from(jsonBytes.buffer, jsonBytes.byteOffset, jsonBytes.byteLength).toString('utf8'),
    jsonFile,
    fn,
  );
  const groups = checkManifest(json, fn, jsonFile);
  // Each weight file: named once, inside the folder, a regular file; sizes only (closed again).
  const weightFile = (shown: string, maxBytes: number): ReadFileOptions => ({
    fn,
    what: 'a regular weights file',
    maxBytes,
    tooLargeAdvice: 'Raise maxWeightBytes if the model is trusted and fits in memory.',
    root: realDir,
  });
  const seen = new Set<string>();
  const files: FileInfo[][] = [];
  for (const g of groups) {
    const row: FileInfo[] = [];
    for (const name of g.paths) {
      const shown = path.join(dir, name);
      const real = weightPath(dir, realDir, name, fn);
      // Opened for its identity and size only (nothing read): the total is capped below.
      const id = (yield { op: 'open', file: real, o: weightFile(shown, Number.MAX_SAFE_INTEGER) }) as FileIdentity;
      const key = `${id.dev}:${id.ino}`;
      if (seen.has(key)) {
        throw new DataError(
          `${fn}: each weights file named once in the manifest, got ${shown} again (or a link to a file named before). ` +
            `The model.json is damaged or hostile: convert or save the model again.`,
          shown,
        );
      }
      seen.add(key);
      row.push({ shown, real, id });
    }
    files.push(row);
  }
  const total = files.flat().reduce((a, f) => a + f.id.size, 0);
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
    const got = (files[gi] ?? []).reduce((a, f) => a + f.id.size, 0);
    if (expected !== got) {
      const names = (files[gi] ?? []).map((f) => `${path.basename(f.shown)} (${f.id.size} bytes)`).join(', ');
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
    const into = weightData.subarray(off, off + f.id.size);
    yield { op: 'read', file: f.real, o: { ...weightFile(f.shown, f.id.size), same: f.id, into } };
    off += f.id.size;
  }
  // Variable-size (string) groups: walk the values.
  let start = 0;
  groups.forEach((g, gi) => {
    const got = (files[gi] ?? []).reduce((a, f) => a + f.id.size, 0);
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

function execSync(op: Op): unknown {
  switch (op.op) {
    case 'realpath':
      return fs.realpathSync(op.path);
    case 'open': {
      const { fd, dev, ino, size } = openRegularFile(op.file, op.o);
      fs.closeSync(fd);
      return { dev, ino, size };
    }
    case 'read':
      return readRegularFile(op.file, op.o);
  }
}

async function execAsync(op: Op): Promise<unknown> {
  switch (op.op) {
    case 'realpath':
      return fs.promises.realpath(op.path);
    case 'open': {
      const { handle, dev, ino, size } = await openRegularFileAsync(op.file, op.o);
      await handle.close();
      return { dev, ino, size };
    }
    case 'read':
      return readRegularFileAsync(op.file, op.o);
  }
}

/** Any file-system error not already a DataError becomes one (the primitive never leaves a descriptor open). */
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
 * Reads a model.json (a folder's `model.json`, or the `*.json` path given) and every weight file
 * it names (layers or graph model, sharded and quantized manifests included), checking paths,
 * file types, sizes, input shapes and the manifest before and after reading. Synchronous;
 * servers use {@link readArtifactsAsync}.
 * @example const {modelJson, weightData} = readArtifacts('/models/mobilenet'); // or '/models/mobilenet/model.json'
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
