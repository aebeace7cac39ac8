// Sparse runtime against dense tfjs, measured in the same run on the same inputs: the pruned
// model's forward pass through tfjs (dense kernels, zeros multiplied like any weight) and
// through SparseMlp, output read back in both cases.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { LatencyOptions, LatencyStats, measureLatency } from '../profile/latency';
import { SparseMlp } from './sparse-mlp';

/** One batch size's figures. */
export interface SparseLatencyRow {
  readonly batchSize: number;
  readonly backend: string;
  readonly dense: LatencyStats;
  readonly sparse: LatencyStats;
  /** dense p50 / sparse p50 (above 1: the sparse runtime is faster). */
  readonly speedup: number;
}

/** Options for {@link sparseLatency}. */
export interface SparseLatencyOptions extends LatencyOptions {
  readonly batchSizes?: readonly number[];
}

/**
 * Times `model` (a Dense-only MLP, usually pruned) dense on the current tfjs backend and sparse
 * with {@link SparseMlp}, on the first rows of `inputs` [n, features] for each batch size.
 * @example (await sparseLatency(pruned, xTest, {batchSizes: [1, 256]}))[0].speedup
 */
export async function sparseLatency(model: tf.LayersModel, inputs: tf.Tensor2D, options: SparseLatencyOptions = {}): Promise<SparseLatencyRow[]> {
  const batchSizes = options.batchSizes ?? [1, 256];
  const mlp = SparseMlp.fromModel(model);
  const rows: SparseLatencyRow[] = [];
  for (const bs of batchSizes) {
    if (!(Number.isInteger(bs) && bs > 0 && bs <= (inputs.shape[0] ?? 0))) {
      throw new ConfigError(`sparseLatency: batch sizes between 1 and the ${inputs.shape[0]} input rows, got ${describe(bs)}. Pass more inputs or smaller batches.`);
    }
    const x = tf.slice(inputs, [0, 0], [bs, -1]);
    const xs = (x.dataSync() as Float32Array).slice();
    try {
      const dense = await measureLatency(() => tf.tidy(() => (model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor).dataSync()), options);
      const sparse = await measureLatency(() => mlp.predict(xs, bs), options);
      rows.push({ batchSize: bs, backend: tf.getBackend(), dense, sparse, speedup: dense.p50Ms / sparse.p50Ms });
    } finally {
      x.dispose();
    }
  }
  return rows;
}
