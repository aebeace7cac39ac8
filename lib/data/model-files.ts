// TensorFlow.js model folders on disk, either format: `model.json` (a layers-model or a
// graph-model topology plus a weightsManifest) and the weight files it names, in groups of
// shards (`group1-shard1of3.bin`, ...) as tensorflowjs_converter writes them, with quantized
// entries (uint8 / uint16 / float16 with a `quantization` field). This file checks manifests and
// writes folders; model-read.ts reads them safely. A folder is written as one unit (a temporary
// folder flushed and renamed into place: core/atomic.ts), so a crash never leaves the
// model.json of one model beside the weights of another.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { DataError, describe } from '../errors';
import { writeFolderAtomicSync } from '../core/atomic';
import { readRegularFile } from '../core/read-file';

/** The in-memory artifacts of a model: its model.json and all weight bytes, in manifest order. */
export interface ModelArtifacts {
  /** The parsed model.json: modelTopology, format, generatedBy, convertedBy, weightsManifest, ... */
  readonly modelJson: ModelJson;
  /** The weight files' bytes, concatenated in manifest order (groups, then shards). */
  readonly weightData: Uint8Array;
}

/** The model.json structure read by `tf.loadLayersModel` and `tf.loadGraphModel`. */
export interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  /** Graph models: the SavedModel signature (inputs and outputs by key). */
  signature?: unknown;
  [key: string]: unknown;
}

/** Options of {@link writeArtifacts}. */
export interface WriteOptions {
  /**
   * Re-shard every weight group into files of at most this many bytes, named as the converter
   * names them (`group1-shard1of2.bin`, ...). Default: keep the manifest's file names (a group of
   * several files is split at 4 MiB, the converter's shard size).
   */
  readonly shardSizeBytes?: number;
  /** More files written in the same unit beside the model, by name (e.g. `meta.json`). */
  readonly extraFiles?: Readonly<Record<string, string | Uint8Array>>;
  /**
   * Refuse a folder that exists and is not empty, atomically: of two writers of one folder
   * exactly one succeeds, the other gets this error (default a ConfigError). Registries use it.
   */
  readonly exclusive?: boolean | (() => Error);
  /** The function named in errors. Default 'writeArtifacts'. */
  readonly caller?: string;
}

/** The converter's default shard size (tensorflowjs_converter --weight_shard_size_bytes). */
export const SHARD_SIZE_BYTES = 4 * 1024 * 1024;
const DTYPES = new Set(['float32', 'int32', 'bool', 'string', 'complex64']);
const QUANT_DTYPES = new Set(['uint8', 'uint16', 'float16']);
const ELEMENT_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** True when the artifacts hold a graph model (format graph-model, or a GraphDef topology). */
export function isGraphArtifacts(artifacts: ModelArtifacts): boolean {
  const t = artifacts.modelJson.modelTopology as { node?: unknown } | null;
  return artifacts.modelJson.format === 'graph-model' || Array.isArray(t?.node);
}

/**
 * Bytes one manifest entry occupies in the weight files (quantized entries at their stored width).
 * String tensors have no fixed size: use {@link weightByteLengths} with the data.
 */
export function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  return n * (ELEMENT_BYTES[q ? (q.dtype as string) : spec.dtype] ?? 4);
}

/**
 * Bytes of each entry of `specs` in `data` (string tensors: a 4-byte little-endian length before
 * each value, as the converter writes them). Throws a DataError when the data ends early.
 */
export function weightByteLengths(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: Uint8Array,
  fn = 'weightByteLengths',
  file = '<memory>',
): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  return specs.map((s) => {
    let n = specBytes(s);
    if (s.dtype === 'string' && !s.quantization) {
      const count = s.shape.reduce((a, b) => a * b, 1);
      n = 0;
      for (let i = 0; i < count; i++) {
        if (off + n + 4 > data.length) break;
        n += 4 + view.getUint32(off + n, true);
      }
    }
    if (off + n > data.length) {
      throw new DataError(
        `${fn}: ${n} bytes for weight "${s.name}" at byte ${off} as model.json's manifest says, got ${Math.max(data.length - off, 0)} left in ${file}. ` +
          `The weight files are truncated or belong to another model: copy them again.`,
        file,
      );
    }
    off += n;
    return n;
  });
}

function checkSpec(s: unknown, where: string, fn: string, file: string): tf.io.WeightsManifestEntry {
  const e = s as tf.io.WeightsManifestEntry;
  const bad = (what: string, got: unknown) =>
    new DataError(
      `${fn}: ${what} in ${where} of ${file}, got ${describe(got)}. The model.json is damaged: convert or save the model again.`,
      file,
    );
  if (!e || typeof e !== 'object' || typeof e.name !== 'string') throw bad('a weight entry with a name', e);
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0))
    throw bad(`a shape of non-negative integers for weight "${e.name}"`, e.shape);
  if (!DTYPES.has(e.dtype))
    throw bad(`a dtype (float32, int32, bool, string, complex64) for weight "${e.name}"`, e.dtype);
  const q = e.quantization;
  if (q !== undefined) {
    if (!q || !QUANT_DTYPES.has(q.dtype as string))
      throw bad(`a quantization dtype uint8, uint16 or float16 for weight "${e.name}"`, q?.dtype);
    if (q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) {
      throw bad(`finite quantization scale and min for weight "${e.name}"`, [q.scale, q.min]);
    }
  }
  return e;
}

/** Checks the manifest's structure (DataError naming the entry otherwise); returns it typed. */
export function checkManifest(json: ModelJson, fn: string, file: string): ModelJson['weightsManifest'] {
  const names = new Set<string>();
  json.weightsManifest.forEach((g, gi) => {
    if (!g || !Array.isArray(g.paths) || !g.paths.every((p) => typeof p === 'string') || !Array.isArray(g.weights)) {
      throw new DataError(
        `${fn}: weightsManifest[${gi}] with paths (strings) and weights, got ${describe(g)} in ${file}. The model.json is damaged: convert or save the model again.`,
        file,
      );
    }
    g.weights.forEach((w, wi) => {
      const e = checkSpec(w, `weightsManifest[${gi}].weights[${wi}]`, fn, file);
      if (names.has(e.name))
        throw new DataError(
          `${fn}: unique weight names, got "${e.name}" twice in ${file}. The model.json is damaged: convert or save the model again.`,
          file,
        );
      names.add(e.name);
    });
  });
  return json.weightsManifest;
}

/** The converter's shard file names of group `g` (1-based) holding `bytes` bytes. */
export function shardNames(g: number, bytes: number, shardSizeBytes = SHARD_SIZE_BYTES): string[] {
  const n = Math.max(1, Math.ceil(bytes / shardSizeBytes));
  return Array.from({ length: n }, (_, i) => `group${g}-shard${i + 1}of${n}.bin`);
}

interface FileBytes {
  readonly name: string;
  readonly data: Uint8Array;
}

/** The files of artifacts laid out as a folder: model.json (with the manifest as written) and each weight file's bytes. */
function layout(
  dir: string,
  artifacts: ModelArtifacts,
  options: WriteOptions,
  fn: string,
): { json: string; files: FileBytes[]; extra: FileBytes[] } {
  const groups = checkManifest(artifacts.modelJson, fn, '<artifacts>');
  const shard = options.shardSizeBytes ?? SHARD_SIZE_BYTES;
  if (!(Number.isInteger(shard) && shard > 0))
    throw new DataError(
      `${fn}: shardSizeBytes a positive integer, got ${describe(options.shardSizeBytes)}. Use e.g. 4194304 (4 MiB).`,
    );
  const lengths = weightByteLengths(
    groups.flatMap((g) => g.weights),
    artifacts.weightData,
    fn,
  );
  const used = lengths.reduce((a, b) => a + b, 0);
  if (used !== artifacts.weightData.length) {
    throw new DataError(
      `${fn}: ${used} weight bytes as the manifest says, got ${artifacts.weightData.length}. Build the artifacts and their manifest together.`,
    );
  }
  const files: { name: string; data: Uint8Array }[] = [];
  const names = new Set<string>(['model.json']);
  let k = 0;
  let off = 0;
  const manifest = groups.map((g, gi) => {
    const bytes = lengths.slice(k, k + g.weights.length).reduce((a, b) => a + b, 0);
    k += g.weights.length;
    const data = artifacts.weightData.subarray(off, off + bytes);
    off += bytes;
    const paths = options.shardSizeBytes !== undefined ? shardNames(gi + 1, bytes, shard) : g.paths;
    const per = paths.length === 1 ? Math.max(bytes, 1) : shard;
    if (Math.max(1, Math.ceil(bytes / per)) !== paths.length) {
      throw new DataError(
        `${fn}: ${Math.max(1, Math.ceil(bytes / per))} shard paths for the ${bytes} bytes of group ${gi + 1} at ${per} bytes a shard, got ${paths.length}. ` +
          `Pass shardSizeBytes to re-shard.`,
      );
    }
    paths.forEach((p, i) => {
      const rel = path.relative('/x', path.resolve('/x', p));
      if (
        !p ||
        p.includes('\\') ||
        p.includes('\0') ||
        path.isAbsolute(p) ||
        rel.startsWith('..') ||
        path.normalize(p) !== p ||
        names.has(p)
      ) {
        throw new DataError(
          `${fn}: distinct weight file names inside ${dir} (not model.json), got "${p}". Name the shards by file name only.`,
        );
      }
      names.add(p);
      files.push({ name: p, data: data.subarray(i * per, Math.min((i + 1) * per, bytes)) });
    });
    return { paths, weights: g.weights };
  });
  const extra = Object.entries(options.extraFiles ?? {}).map(([name, data]) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || names.has(name)) {
      throw new DataError(
        `${fn}: extra file names of letters, digits, '.', '_' or '-' that the model does not use, got "${name}". Rename the file.`,
      );
    }
    names.add(name);
    return { name, data: typeof data === 'string' ? new TextEncoder().encode(data) : data };
  });
  return { json: JSON.stringify({ ...artifacts.modelJson, weightsManifest: manifest }), files, extra };
}

/** The files of the model in `dir` (model.json and what its manifest names), to replace; others are kept. */
function modelFilesIn(dir: string): Set<string> {
  const owned = new Set(['model.json']);
  try {
    const bytes = readRegularFile(path.join(dir, 'model.json'), {
      fn: 'writeArtifacts',
      what: 'the model.json being replaced',
      maxBytes: 16 * 1024 * 1024,
      tooLargeAdvice: '',
      root: dir,
    });
    const json = JSON.parse(Buffer.from(bytes).toString('utf8')) as ModelJson;
    for (const g of Array.isArray(json?.weightsManifest) ? json.weightsManifest : []) {
      for (const p of Array.isArray(g?.paths) ? g.paths : [])
        if (typeof p === 'string') owned.add(path.normalize(p).split(path.sep)[0] as string);
    }
  } catch {
    // No readable model.json: only its name is the model's.
  }
  return owned;
}

/**
 * Writes artifacts' files into `dir`, a fresh folder (no atomicity: for the `fill` of
 * writeFolderAtomic, e.g. a registry version with more files beside the model).
 */
export function writeArtifactFiles(dir: string, artifacts: ModelArtifacts, options: WriteOptions = {}): WrittenModel {
  return writeLayout(
    dir,
    layout(dir, artifacts, options, options.caller ?? 'writeArtifacts'),
    artifacts.weightData.length,
  );
}

/** What {@link writeArtifacts} wrote. */
export interface WrittenModel {
  readonly modelJsonBytes: number;
  readonly weightBytes: number;
  readonly files: string[];
}

function writeLayout(dir: string, lay: ReturnType<typeof layout>, weightBytes: number): WrittenModel {
  for (const f of lay.files.concat(lay.extra)) {
    fs.mkdirSync(path.dirname(path.join(dir, f.name)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.name), f.data);
  }
  fs.writeFileSync(path.join(dir, 'model.json'), lay.json);
  return { modelJsonBytes: Buffer.byteLength(lay.json), weightBytes, files: lay.files.map((f) => f.name) };
}

/**
 * Writes artifacts as `dir/model.json` + the weight files of its manifest (+ `extraFiles`), as one
 * unit: a new folder renamed into place, flushed to disk. An existing model in `dir` is replaced
 * whole (or refused, with `exclusive`); other files in `dir` are kept. Returns the sizes and the weight file names written (they change when
 * re-sharding).
 * @example writeArtifacts('/models/a', artifacts, {shardSizeBytes: 4 * 2 ** 20});
 */
export function writeArtifacts(dir: string, artifacts: ModelArtifacts, options: WriteOptions = {}): WrittenModel {
  const fn = options.caller ?? 'writeArtifacts';
  const lay = layout(dir, artifacts, options, fn); // bad artifacts are refused before the disk is touched
  writeFolderAtomicSync(
    dir,
    (tmp) => {
      writeLayout(tmp, lay, artifacts.weightData.length);
    },
    {
      caller: fn,
      force: !options.exclusive,
      ...(typeof options.exclusive === 'function' ? { onExists: options.exclusive } : {}),
      carryOver: (old) => {
        const owned = modelFilesIn(old);
        return fs.readdirSync(old).filter((n) => !owned.has(n) && !n.endsWith('.tmp'));
      },
    },
  );
  return {
    modelJsonBytes: Buffer.byteLength(lay.json),
    weightBytes: artifacts.weightData.length,
    files: lay.files.map((f) => f.name),
  };
}
