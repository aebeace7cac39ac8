// TensorFlow.js model folders on disk, either format: `model.json` (a layers-model or a
// graph-model topology plus a weightsManifest) and the weight files it names, in groups of
// shards (`group1-shard1of3.bin`, ...) as tensorflowjs_converter writes them, with quantized
// entries (uint8 / uint16 / float16 with a `quantization` field). Reading is safe on files from
// anywhere: every path stays inside the folder, sizes are checked before anything is read, and
// a missing, truncated or corrupt file is a DataError naming it. Writes are atomic (weights
// first, model.json last), so a crash never leaves a model.json pointing at partial weights.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { DataError, describe } from '../errors';
import { writeFileAtomic } from '../core/atomic';

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

/** Limits of {@link readArtifacts}. */
export interface ReadOptions {
  /** Largest model.json read, in bytes. Default 64 MiB. */
  readonly maxModelJsonBytes?: number;
  /** Largest total of the weight files, in bytes, checked before reading them. Default 2 GiB. */
  readonly maxWeightBytes?: number;
  /** The function named in error messages. Default 'readArtifacts'. */
  readonly caller?: string;
}

/** Options of {@link writeArtifacts}. */
export interface WriteOptions {
  /**
   * Re-shard every weight group into files of at most this many bytes, named as the converter
   * names them (`group1-shard1of2.bin`, ...). Default: keep the manifest's file names (a group of
   * several files is split at 4 MiB, the converter's shard size).
   */
  readonly shardSizeBytes?: number;
}

/** The converter's default shard size (tensorflowjs_converter --weight_shard_size_bytes). */
export const SHARD_SIZE_BYTES = 4 * 1024 * 1024;
const MIB = 1024 * 1024;
const DTYPES = new Set(['float32', 'int32', 'bool', 'string', 'complex64']);
const QUANT_DTYPES = new Set(['uint8', 'uint16', 'float16']);
const ELEMENT_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

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
  return n * (ELEMENT_BYTES[q ? q.dtype as string : spec.dtype] ?? 4);
}

/**
 * Bytes of each entry of `specs` in `data` (string tensors: a 4-byte little-endian length before
 * each value, as the converter writes them). Throws a DataError when the data ends early.
 */
export function weightByteLengths(specs: readonly tf.io.WeightsManifestEntry[], data: Uint8Array, fn = 'weightByteLengths', file = '<memory>'): number[] {
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
      throw new DataError(`${fn}: ${n} bytes for weight "${s.name}" at byte ${off} as model.json's manifest says, got ${Math.max(data.length - off, 0)} left in ${file}. ` +
        `The weight files are truncated or belong to another model: copy them again.`, file);
    }
    off += n;
    return n;
  });
}

function checkSpec(s: unknown, where: string, fn: string, file: string): tf.io.WeightsManifestEntry {
  const e = s as tf.io.WeightsManifestEntry;
  const bad = (what: string, got: unknown) => new DataError(`${fn}: ${what} in ${where} of ${file}, got ${describe(got)}. The model.json is damaged: convert or save the model again.`, file);
  if (!e || typeof e !== 'object' || typeof e.name !== 'string') throw bad('a weight entry with a name', e);
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`a shape of non-negative integers for weight "${e.name}"`, e.shape);
  if (!DTYPES.has(e.dtype)) throw bad(`a dtype (float32, int32, bool, string, complex64) for weight "${e.name}"`, e.dtype);
  const q = e.quantization;
  if (q !== undefined) {
    if (!q || !QUANT_DTYPES.has(q.dtype as string)) throw bad(`a quantization dtype uint8, uint16 or float16 for weight "${e.name}"`, q?.dtype);
    if (q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) {
      throw bad(`finite quantization scale and min for weight "${e.name}"`, [q.scale, q.min]);
    }
  }
  return e;
}

/** Checks the manifest's structure; returns it typed. */
function checkManifest(json: ModelJson, fn: string, file: string): ModelJson['weightsManifest'] {
  const names = new Set<string>();
  json.weightsManifest.forEach((g, gi) => {
    if (!g || !Array.isArray(g.paths) || !g.paths.every((p) => typeof p === 'string') || !Array.isArray(g.weights)) {
      throw new DataError(`${fn}: weightsManifest[${gi}] with paths (strings) and weights, got ${describe(g)} in ${file}. The model.json is damaged: convert or save the model again.`, file);
    }
    g.weights.forEach((w, wi) => {
      const e = checkSpec(w, `weightsManifest[${gi}].weights[${wi}]`, fn, file);
      if (names.has(e.name)) throw new DataError(`${fn}: unique weight names, got "${e.name}" twice in ${file}. The model.json is damaged: convert or save the model again.`, file);
      names.add(e.name);
    });
  });
  return json.weightsManifest;
}

/** `name` resolved inside `dir` (no absolute paths, no `..` out of it, no symlink out of it). */
function insideFolder(dir: string, realDir: string, name: string, fn: string): string {
  const shown = path.join(dir, name);
  const outside = () => new DataError(`${fn}: weight file paths inside the model folder ${dir}, got "${name}". ` +
    `The model.json names a file elsewhere: move the weight files beside it and list them by name.`, shown);
  if (!name || name.includes('\0') || path.isAbsolute(name) || /^[a-z][a-z0-9+.-]*:/i.test(name)) throw outside();
  const rel = path.relative(realDir, path.resolve(realDir, name));
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw outside();
  let real: string;
  try {
    real = fs.realpathSync(path.resolve(realDir, name));
  } catch (e) {
    throw new DataError(`${fn}: the weights file ${shown} named in model.json, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. ` +
      `Copy the weights file beside model.json, or save the model again.`, shown);
  }
  const realRel = path.relative(realDir, real);
  if (realRel.startsWith('..') || path.isAbsolute(realRel)) throw outside();
  return real;
}

function readJson(dir: string, fn: string, maxBytes: number): ModelJson {
  const jsonFile = path.join(dir, 'model.json');
  let size: number;
  try {
    const st = fs.statSync(jsonFile);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'not a regular file' });
    size = st.size;
  } catch (e) {
    throw new DataError(`${fn}: a model.json in ${dir}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. ` +
      `Check the folder, or save the model there with saveModel.`, jsonFile);
  }
  if (size > maxBytes) {
    throw new DataError(`${fn}: a model.json of at most ${maxBytes} bytes, got ${size} in ${jsonFile}. ` +
      `Raise maxModelJsonBytes if the file is trusted.`, jsonFile);
  }
  let json: ModelJson;
  try {
    json = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as ModelJson;
  } catch (e) {
    throw new DataError(`${fn}: valid JSON in ${jsonFile}, got ${(e as Error).message}. The file is damaged: save the model again.`, jsonFile);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw new DataError(`${fn}: a model.json with modelTopology and weightsManifest in ${jsonFile}, got ` +
      `${json && typeof json === 'object' ? `keys [${Object.keys(json).join(', ')}]` : typeof json}. Is this a TensorFlow.js model (layers-model or graph-model)?`, jsonFile);
  }
  return json;
}

/**
 * Reads `dir/model.json` and every weight file it names (layers or graph model, sharded and
 * quantized manifests included), checking paths, sizes and the manifest before and after reading.
 * @example const {modelJson, weightData} = readArtifacts('/models/mobilenet'); // any converter output
 */
export function readArtifacts(dir: string, options: ReadOptions = {}): ModelArtifacts {
  const fn = options.caller ?? 'readArtifacts';
  const json = readJson(dir, fn, options.maxModelJsonBytes ?? 64 * MIB);
  const jsonFile = path.join(dir, 'model.json');
  const groups = checkManifest(json, fn, jsonFile);
  const realDir = fs.realpathSync(dir);
  const files = groups.map((g) => g.paths.map((p) => {
    const real = insideFolder(dir, realDir, p, fn);
    const st = fs.statSync(real);
    if (!st.isFile()) throw new DataError(`${fn}: a weights file at ${path.join(dir, p)}, got a folder or device. Copy the weight files beside model.json.`, path.join(dir, p));
    return { shown: path.join(dir, p), real, bytes: st.size };
  }));
  const total = files.flat().reduce((a, f) => a + f.bytes, 0);
  const maxWeightBytes = options.maxWeightBytes ?? 2048 * MIB;
  if (total > maxWeightBytes) {
    throw new DataError(`${fn}: weight files of at most ${maxWeightBytes} bytes in all, got ${total} in ${dir}. ` +
      `Raise maxWeightBytes if the model is trusted and fits in memory.`, dir);
  }
  // Fixed-size groups are checked from the file sizes before reading a byte.
  groups.forEach((g, gi) => {
    if (g.weights.some((w) => w.dtype === 'string' && !w.quantization)) return;
    const expected = g.weights.reduce((a, s) => a + specBytes(s), 0);
    const got = (files[gi] ?? []).reduce((a, f) => a + f.bytes, 0);
    if (expected !== got) {
      const names = (files[gi] ?? []).map((f) => `${path.basename(f.shown)} (${f.bytes} bytes)`).join(', ');
      throw new DataError(`${fn}: ${expected} weight bytes as model.json's manifest says, got ${got} in ${names || 'no file'} of ${dir}. ` +
        `The weights file is truncated or belongs to another model: save the model again.`, files[gi]?.[0]?.shown ?? dir);
    }
  });
  const weightData = new Uint8Array(total);
  let off = 0;
  for (const f of files.flat()) {
    const fd = fs.openSync(f.real, 'r');
    try {
      const n = fs.readSync(fd, weightData, off, f.bytes, 0);
      if (n !== f.bytes) throw new DataError(`${fn}: ${f.bytes} bytes in ${f.shown}, got ${n} (the file changed while reading). Read the model again.`, f.shown);
    } finally {
      fs.closeSync(fd);
    }
    off += f.bytes;
  }
  // Variable-size (string) groups: walk the values.
  let start = 0;
  groups.forEach((g, gi) => {
    const got = (files[gi] ?? []).reduce((a, f) => a + f.bytes, 0);
    const used = weightByteLengths(g.weights, weightData.subarray(start, start + got), fn, files[gi]?.[0]?.shown ?? dir).reduce((a, b) => a + b, 0);
    if (used !== got) {
      throw new DataError(`${fn}: ${used} weight bytes as model.json's manifest says, got ${got} in group ${gi + 1} of ${dir}. ` +
        `The weights file is truncated or belongs to another model: save the model again.`, files[gi]?.[0]?.shown ?? dir);
    }
    start += got;
  });
  return { modelJson: json, weightData };
}

/** The converter's shard file names of group `g` (1-based) holding `bytes` bytes. */
export function shardNames(g: number, bytes: number, shardSizeBytes = SHARD_SIZE_BYTES): string[] {
  const n = Math.max(1, Math.ceil(bytes / shardSizeBytes));
  return Array.from({ length: n }, (_, i) => `group${g}-shard${i + 1}of${n}.bin`);
}

/**
 * Writes artifacts as `dir/model.json` + the weight files of its manifest (atomically, weights
 * first). Returns the model.json actually written (its paths change when re-sharding).
 */
export function writeArtifacts(dir: string, artifacts: ModelArtifacts, options: WriteOptions = {}): { modelJsonBytes: number; weightBytes: number; files: string[] } {
  const fn = 'writeArtifacts';
  const groups = checkManifest(artifacts.modelJson, fn, '<artifacts>');
  const shard = options.shardSizeBytes ?? SHARD_SIZE_BYTES;
  if (!(Number.isInteger(shard) && shard > 0)) throw new DataError(`${fn}: shardSizeBytes a positive integer, got ${describe(options.shardSizeBytes)}. Use e.g. 4194304 (4 MiB).`);
  const lengths = weightByteLengths(groups.flatMap((g) => g.weights), artifacts.weightData, fn);
  const used = lengths.reduce((a, b) => a + b, 0);
  if (used !== artifacts.weightData.length) {
    throw new DataError(`${fn}: ${used} weight bytes as the manifest says, got ${artifacts.weightData.length}. Build the artifacts and their manifest together.`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const realDir = fs.realpathSync(dir);
  const files: string[] = [];
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
      throw new DataError(`${fn}: ${Math.max(1, Math.ceil(bytes / per))} shard paths for the ${bytes} bytes of group ${gi + 1} at ${per} bytes a shard, got ${paths.length}. ` +
        `Pass shardSizeBytes to re-shard.`);
    }
    paths.forEach((p, i) => {
      const target = path.resolve(realDir, p);
      const rel = path.relative(realDir, target);
      if (!p || path.isAbsolute(p) || rel.startsWith('..') || path.isAbsolute(rel)) {
        throw new DataError(`${fn}: weight file names inside ${dir}, got "${p}". Name the shards by file name only.`);
      }
      writeFileAtomic(target, data.subarray(i * per, Math.min((i + 1) * per, bytes)));
      files.push(p);
    });
    return { paths, weights: g.weights };
  });
  const json = JSON.stringify({ ...artifacts.modelJson, weightsManifest: manifest });
  writeFileAtomic(path.join(dir, 'model.json'), json);
  return { modelJsonBytes: Buffer.byteLength(json), weightBytes: artifacts.weightData.length, files };
}
