// Latency of a genotype, predicted from the lookup table or measured end to end, memoized by
// genotype: the two functions a search takes as `latencyMs`.
import * as tf from '@tensorflow/tfjs';
import { buildModel } from './build';
import { EndToEndOptions, endToEndLatencyMs, LatencyTable } from './latency-table';
import { Genotype, genotypeKey, NasTask } from './space';

/** Memoizes a latency function of a built model (seed 0; latency does not depend on weights) by genotype. */
function memoizedByGenotype(task: NasTask, latencyOf: (model: tf.LayersModel) => Promise<number>): (g: Genotype) => Promise<number> {
  const memo = new Map<string, number>();
  return async (g) => {
    const key = genotypeKey(g);
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const model = buildModel(g, { seed: 0, task });
    try {
      const ms = await latencyOf(model);
      memo.set(key, ms);
      return ms;
    } finally {
      model.dispose();
    }
  };
}

/** Predicted latency (ms) of genotypes from a per-layer table (measuring new layers as needed). */
export function latencyPredictor(table: LatencyTable, task: NasTask): (g: Genotype) => Promise<number> {
  return memoizedByGenotype(task, (model) => table.predict(model));
}

/** Measured end-to-end latency (ms at `batchSize`, see endToEndLatencyMs) of genotypes, memoized. */
export function measuredLatency(task: NasTask, batchSize = 256, options: EndToEndOptions = {}): (g: Genotype) => Promise<number> {
  return memoizedByGenotype(task, (model) => endToEndLatencyMs(model, batchSize, options));
}
