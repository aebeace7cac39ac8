// TensorFlow.js layers models on disk without tfjs-node: the standard `model.json` plus one
// weights file, the format stock `tf.loadLayersModel` reads. Writes are atomic (weights first,
// model.json last, each through a rename), so a crash never leaves a model.json that points at
// missing or partial weights.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { DataError, ShapeError } from '../errors';
import { writeFileAtomic } from '../core/atomic';

/** The in-memory artifacts of a layers model (what `model.save` hands to an IO handler). */
export interface ModelArtifacts {
  /** The parsed model.json: modelTopology, format, generatedBy, convertedBy, weightsManifest. */
  readonly modelJson: ModelJson;
  /** Concatenated weight bytes (the single weights file). */
  readonly weightData: Uint8Array;
}

/** The model.json structure read by `tf.loadLayersModel`. */
export interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  [key: string]: unknown;
}

const WEIGHTS_FILE = 'weights.bin';

function concat(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

/** Serializes a layers model to artifacts (float32 weights). */
export async function modelToArtifacts(model: tf.LayersModel): Promise<ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    captured = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const a = captured as tf.io.ModelArtifacts;
  const weightData = concat(a.weightData as ArrayBuffer | ArrayBuffer[]);
  return {
    modelJson: {
      modelTopology: a.modelTopology,
      format: a.format ?? 'layers-model',
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy ?? null,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: a.weightSpecs ?? [] }],
      // model.setUserDefinedMetadata (e.g. a quantized model's plan), as tfjs's own model.json keeps it.
      ...(a.userDefinedMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}),
    },
    weightData,
  };
}

/** Writes artifacts as `dir/model.json` + the weights file(s) named in its manifest. */
export function writeArtifacts(dir: string, artifacts: ModelArtifacts): { modelJsonBytes: number; weightBytes: number } {
  const groups = artifacts.modelJson.weightsManifest;
  const names = groups.flatMap((g) => g.paths);
  if (names.length !== 1) throw new DataError(`writeArtifacts: one weights file in the manifest, got ${names.length}. Merge the shards first.`);
  writeFileAtomic(path.join(dir, names[0] as string), artifacts.weightData);
  const json = JSON.stringify(artifacts.modelJson);
  writeFileAtomic(path.join(dir, 'model.json'), json);
  return { modelJsonBytes: Buffer.byteLength(json), weightBytes: artifacts.weightData.length };
}

/**
 * Saves a layers model to `dir` (model.json + weights.bin), atomically.
 * @example await saveModel(model, '/tmp/simplenet'); // then stock tfjs can load it
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<{ modelJsonBytes: number; weightBytes: number }> {
  return writeArtifacts(dir, await modelToArtifacts(model));
}

/** Reads `dir/model.json` and its weights, checking that the files agree. */
export function readArtifacts(dir: string): ModelArtifacts {
  const jsonFile = path.join(dir, 'model.json');
  let text: string;
  try {
    text = fs.readFileSync(jsonFile, 'utf8');
  } catch (e) {
    throw new DataError(`loadModel: a model.json in ${dir}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. ` +
      `Check the folder, or save the model there with saveModel.`, jsonFile);
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (e) {
    throw new DataError(`loadModel: valid JSON in ${jsonFile}, got ${(e as Error).message}. The file is damaged: save the model again.`, jsonFile);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new DataError(`loadModel: a model.json with modelTopology and weightsManifest in ${jsonFile}, got ` +
      `${json && typeof json === 'object' ? `keys [${Object.keys(json).join(', ')}]` : typeof json}. Is this a TensorFlow.js layers model?`, jsonFile);
  }
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths ?? []) {
      const f = path.join(dir, p);
      try {
        parts.push(new Uint8Array(fs.readFileSync(f)));
      } catch (e) {
        throw new DataError(`loadModel: the weights file ${f} named in model.json, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. ` +
          `Copy the weights file beside model.json, or save the model again.`, f);
      }
    }
  }
  const weightData = concat(parts.map((p) => p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength) as ArrayBuffer));
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const expected = specs.reduce((a, s) => a + specBytes(s), 0);
  if (expected !== weightData.length) {
    throw new DataError(`loadModel: ${expected} weight bytes as model.json's manifest says, got ${weightData.length} in ${dir}. ` +
      `The weights file is truncated or belongs to another model: save the model again.`, dir);
  }
  return { modelJson: json, weightData };
}

/** Bytes one manifest entry occupies in the weights file (quantized entries included). */
export function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization;
  if (q) return n * (q.dtype === 'uint8' ? 1 : 2);
  return n * (spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : 4);
}

/** Builds a layers model from artifacts with stock tfjs (`tf.loadLayersModel` + `tf.io.fromMemory`). */
export async function artifactsToModel(artifacts: ModelArtifacts, source = '<memory>'): Promise<tf.LayersModel> {
  const w = artifacts.weightData;
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: artifacts.modelJson.modelTopology as object,
      weightSpecs: artifacts.modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
      ...(artifacts.modelJson.userDefinedMetadata ? { userDefinedMetadata: artifacts.modelJson.userDefinedMetadata as Record<string, unknown> } : {}),
    }));
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/shape/i.test(msg)) {
      throw new ShapeError(`loadModel: weights whose shapes match the layers of ${source}, got a mismatch (${msg}). ` +
        `The weights belong to another architecture: save the model again.`);
    }
    throw new DataError(`loadModel: a layers model tfjs can build from ${source}, got "${msg}". ` +
      `Check that model.json was written by saveModel or the tfjs converter (format layers-model).`, source);
  }
}

/**
 * Loads a layers model saved by {@link saveModel} (or by the tfjs converter) from `dir`.
 * @example const model = await loadModel('/tmp/simplenet');
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return artifactsToModel(readArtifacts(dir), path.join(dir, 'model.json'));
}
