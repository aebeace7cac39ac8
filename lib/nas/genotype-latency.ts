// Latency of a genotype, predicted from the lookup table or measured end to end, memoized by
// genotype: the two functions a search takes as `latencyMs`.
import * as tf from '@tensorflow/tfjs';
import { buildModel } from './build';
import { EndToEndOptions, endToEndLatencyMs, LatencyTable } from './latency-table';
import { Genotype, genotypeKey, NasTask } from './space';
import { ConfigError, describe } from '../errors';
import { interleavedRounds, medianRatio } from '../bench/harness';

/** Memoizes a latency function of a built model (seed 0; latency does not depend on weights) by genotype. */
function memoizedByGenotype(
  task: NasTask,
  latencyOf: (model: tf.LayersModel) => Promise<number>,
): (g: Genotype) => Promise<number> {
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
export function measuredLatency(
  task: NasTask,
  batchSize = 256,
  options: EndToEndOptions = {},
): (g: Genotype) => Promise<number> {
  return memoizedByGenotype(task, (model) => endToEndLatencyMs(model, batchSize, options));
}

/** Options of {@link pairedLatency}. */
export interface PairedLatencyOptions {
  /** The reference model's latency (ms) in the caller's units, e.g. its median over earlier rounds. */
  readonly referenceMs: number;
  readonly batchSize?: number;
  /** Paired rounds per genotype (default 7). */
  readonly rounds?: number;
}

/**
 * Measured latency of genotypes against a reference model, as MnasNet measures every candidate on
 * the target device: per round one forward pass of the reference and one of the candidate, back
 * to back, the order alternating; the result is `referenceMs` times the median per-round ratio
 * (candidate / reference), so load that slows both runs of a pair cancels. Memoized by genotype,
 * so a search decides each genotype once.
 * @example const lat = nas.pairedLatency(task, simple.model, {referenceMs: 3.6}); await lat(g) // ms, SimpleNet's 3.6 ms scaled by the paired ratio
 */
export function pairedLatency(
  task: NasTask,
  reference: tf.LayersModel,
  options: PairedLatencyOptions,
): (g: Genotype) => Promise<number> {
  const fn = 'nas.pairedLatency';
  const rounds = options?.rounds ?? 7;
  const batchSize = options?.batchSize ?? 256;
  if (!(typeof options?.referenceMs === 'number' && options.referenceMs > 0)) {
    throw new ConfigError(
      `${fn}: referenceMs a number > 0 (the reference model's latency), got ${describe(options?.referenceMs)}. Measure it first, e.g. with endToEndLatencyMs.`,
    );
  }
  if (!(Number.isInteger(rounds) && rounds > 0) || !(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new ConfigError(
      `${fn}: rounds and batchSize positive integers, got ${describe(rounds)} and ${describe(batchSize)}. Use e.g. rounds 7, batchSize 256.`,
    );
  }
  return memoizedByGenotype(task, async (model) => {
    const once = (m: tf.LayersModel) => endToEndLatencyMs(m, batchSize, { runs: 1, warmupRuns: 0 });
    await endToEndLatencyMs(model, batchSize, { runs: 1, warmupRuns: 2 });
    // Reference and candidate back to back, the order alternating: the median per-round ratio.
    const [ref, cand] = await interleavedRounds([reference, model], once, { rounds, alternate: true });
    return options.referenceMs * medianRatio(cand as number[], ref as number[]);
  });
}
