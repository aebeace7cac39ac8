// Sensitivity scan (Han et al. 2015, Fig. 6; Li et al. 2017, Fig. 2): prune one layer alone at
// several sparsities, leave the others dense, and measure accuracy. Layers whose accuracy holds
// at high sparsity can take higher per-layer targets in `magnitude(model, {layers})`.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { DataSource } from '../data/source';
import { evaluate, EvaluateOptions } from '../train/evaluate';
import { magnitudeMask, randomMask, checkSparsity } from './masks';
import { kernelOf, resolveTargets } from './prunable';
import { cloneModel } from './clone';

/** Options for {@link sensitivityScan}. */
export interface SensitivityOptions extends EvaluateOptions {
  /** Sparsities to try per layer, each in [0, 1). */
  readonly sparsities: readonly number[];
  /** Layers to scan (default all prunable layers). */
  readonly layers?: readonly string[];
  readonly method?: 'magnitude' | 'random';
  readonly seed?: number;
}

/** One measurement of the scan. */
export interface SensitivityRow {
  readonly layer: string;
  readonly sparsity: number;
  readonly accuracy: number;
  readonly loss: number;
}

/** The scan's rows and the unpruned accuracy. */
export interface SensitivityReport {
  readonly baseline: { accuracy: number; loss: number };
  readonly rows: SensitivityRow[];
}

/**
 * Accuracy with each layer pruned alone at each sparsity (the input model is not modified).
 * @example await sensitivityScan(model, mnist.test, {sparsities: [0.5, 0.9], limit: 2000})
 */
export async function sensitivityScan(model: tf.LayersModel, data: DataSource, options: SensitivityOptions): Promise<SensitivityReport> {
  if (!options || !Array.isArray(options.sparsities) || options.sparsities.length === 0) {
    throw new ConfigError(`sensitivityScan: a non-empty sparsities list, got ${describe(options?.sparsities)}. Use e.g. [0.5, 0.8, 0.9, 0.95].`);
  }
  options.sparsities.forEach((s) => checkSparsity('sensitivityScan', s));
  const all = [...resolveTargets('sensitivityScan', model, { sparsity: 0 }).keys()];
  const names = options.layers ?? all;
  if (options.layers) resolveTargets('sensitivityScan', model, { sparsity: 0, layers: Object.fromEntries(names.map((n) => [n, 0])) });
  const evalOptions: EvaluateOptions = { ...(options.limit !== undefined ? { limit: options.limit } : {}), ...(options.batchSize ? { batchSize: options.batchSize } : {}) };
  const work = await cloneModel(model);
  try {
    const base = await evaluate(work, data, evalOptions);
    const rows: SensitivityRow[] = [];
    for (const name of names) {
      const v = kernelOf(work.getLayer(name));
      const original = v.read().clone();
      try {
        for (const s of options.sparsities) {
          tf.tidy(() => {
            const mask = options.method === 'random' ? randomMask(original, { sparsity: s, seed: options.seed ?? 0 }) : magnitudeMask(original, { sparsity: s });
            v.write(tf.mul(original, mask));
          });
          const e = await evaluate(work, data, evalOptions);
          rows.push({ layer: name, sparsity: s, accuracy: e.accuracy, loss: e.loss });
        }
      } finally {
        v.write(original);
        original.dispose();
      }
    }
    return { baseline: { accuracy: base.accuracy, loss: base.loss }, rows };
  } finally {
    work.dispose();
  }
}
