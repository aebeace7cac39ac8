// Model size on disk: the model.json + weights files tfjs writes, raw and gzip-compressed
// (gzip is what a web server sends, and what shows whether zeros from pruning pay off).
import * as zlib from 'zlib';
import * as tf from '@tensorflow/tfjs';
import { graphModelToArtifacts, modelToArtifacts } from '../data/model-io';
import { isGraphModel } from '../core/graph';

/** Sizes in bytes. */
export interface ModelSizes {
  readonly modelJsonBytes: number;
  readonly weightBytes: number;
  readonly totalBytes: number;
  /** gzip -9 of the weights file. */
  readonly weightGzipBytes: number;
  /** gzip -9 of model.json plus of the weights file. */
  readonly totalGzipBytes: number;
}

/** gzip -9 size of some bytes. */
export function gzipBytes(data: Uint8Array | string): number {
  return zlib.gzipSync(data, { level: 9 }).length;
}

/**
 * Serialized sizes of a layers model (float32 weights), or of a graph model's files as loaded
 * (quantized weights at their stored width), raw and gzip.
 * @example (await modelSizes(simpleNet({seed: 0}))).weightBytes // 940584
 */
export async function modelSizes(model: tf.LayersModel | tf.GraphModel): Promise<ModelSizes> {
  const a = isGraphModel(model) ? await graphModelToArtifacts(model) : await modelToArtifacts(model);
  const json = JSON.stringify(a.modelJson);
  const jsonBytes = Buffer.byteLength(json);
  const wGz = gzipBytes(a.weightData);
  return {
    modelJsonBytes: jsonBytes,
    weightBytes: a.weightData.length,
    totalBytes: jsonBytes + a.weightData.length,
    weightGzipBytes: wGz,
    totalGzipBytes: wGz + gzipBytes(json),
  };
}
