// Sizes are the files as written, everywhere (the `run` report, deploy.json, and the `quantize`,
// `export` and `prune` commands): the bytes of model.json and every weight file it names, or of
// the one .onnx / .tflite / .mlmodel file. A size ratio is always such a size over the original
// model's files as written. How a tfjs model stores its weights is named (`storage`): converted
// models often ship uint8 weight files (the converter's --quantize_uint8), which tfjs dequantizes
// to float32 at load, so a float stage written as float32 files is larger than such an original
// with the same compute; that is said in a note, never left to guess.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../errors';
import { readRegularFile } from '../core/read-file';

/** How the weights of a tfjs model are stored: 'float32-weights', 'uint8-weights', 'uint8+float16-weights', ... */
export function weightStorage(specs: readonly tf.io.WeightsManifestEntry[]): string {
  const kinds = new Set<string>();
  for (const s of specs) {
    if (s.dtype !== 'float32') continue; // int32 / bool tensors are stored as they are
    kinds.add(s.quantization?.dtype ?? 'float32');
  }
  if (kinds.size === 0) return 'float32-weights';
  const order = ['uint8', 'uint16', 'float16', 'float32'];
  return `${[...kinds].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join('+')}-weights`;
}

/** The model files of a tfjs model folder (model.json first), their bytes and weight storage. */
export function tfjsFolderFiles(dir: string): { files: string[]; sizeBytes: number; storage: string } {
  const bytes = readRegularFile(path.join(dir, 'model.json'), {
    fn: 'modelFiles',
    what: 'a model.json',
    maxBytes: 64 * 1024 * 1024,
    tooLargeAdvice: 'Is this a TensorFlow.js model folder?',
  });
  let json: { weightsManifest?: { paths?: unknown; weights?: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new DataError(
      `modelFiles: a model.json in JSON in ${dir}, got "${(e as Error).message}". Re-create the model folder.`,
      dir,
    );
  }
  const groups = Array.isArray(json?.weightsManifest) ? json.weightsManifest : [];
  const paths = groups.flatMap((g) => (Array.isArray(g.paths) ? g.paths.filter((p) => typeof p === 'string') : []));
  const files = ['model.json', ...(paths as string[])];
  return {
    files,
    sizeBytes: filesBytes(dir, files),
    storage: weightStorage(groups.flatMap((g) => (Array.isArray(g.weights) ? g.weights : []))),
  };
}

/** Bytes of `files` (relative to `dir`) as they are on disk. */
export function filesBytes(dir: string, files: readonly string[]): number {
  return files.reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
}

/** Bytes of the model files of a folder (model.json and the weight files it names) or of one file. */
export function modelBytes(p: string): number {
  return fs.statSync(p).isFile() ? fs.statSync(p).size : tfjsFolderFiles(p).sizeBytes;
}

/** A size of files as written, against the original's files as written. */
export interface SizeFigures {
  readonly sizeBytes: number;
  readonly sizeRatio: number;
  readonly storage: string;
  /** Why an artifact is larger than the original, when its storage explains it. */
  readonly note?: string;
}

/**
 * The one size comparison: `sizeBytes` over the original's bytes (files as written), with a note
 * when the artifact is larger because the original stores its weights in fewer bytes.
 * @example sizeFigures(4_800_000, 'float32-weights', {sizeBytes: 1_200_000, storage: 'uint8-weights'}).note // '... the original stores its weights as uint8 ...'
 */
export function sizeFigures(
  sizeBytes: number,
  storage: string,
  original: { readonly sizeBytes: number; readonly storage: string },
): SizeFigures {
  const sizeRatio = sizeBytes / original.sizeBytes;
  const smaller = (s: string) => /^(uint8|uint16|float16)/.test(s);
  const float32 = (s: string) => s === 'float32-weights' || s === 'fp32';
  const note =
    sizeRatio > 1 && smaller(original.storage) && float32(storage)
      ? `${sizeRatio.toFixed(2)}x the original's files because the original stores its weights as ${original.storage.replace(/-weights$/, '')} ` +
        `(tfjs dequantizes them to float32 at load) and this artifact stores float32; the compute is not larger. ` +
        `A quantize stage, or tfjs files with dtype uint8 or auto, store fewer bytes per weight.`
      : undefined;
  return { sizeBytes, sizeRatio, storage, ...(note ? { note } : {}) };
}
