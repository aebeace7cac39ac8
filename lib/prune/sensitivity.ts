// Sensitivity scan (Han et al. 2015, Fig. 6; Li et al. 2017, Fig. 2): prune one layer alone at
// several sparsities, leave the others dense, and measure accuracy on any DataSource. Layers
// whose accuracy holds at high sparsity can take higher per-layer targets in
// `magnitude(model, {layers})`.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { requireLayersModel } from '../core/graph';
import { DataSource } from '../data/source';
import { evaluate, EvaluateOptions } from '../train/evaluate';
import { magnitudeMask, randomMask, checkSparsity } from './masks';
import { kernelOf, resolveTargets } from './prunable';
import { cloneModel } from './clone';

const FN = 'prune.sensitivityScan';

/** Options for {@link sensitivityScan}: evaluation options plus what to scan. */
export interface SensitivityOptions extends EvaluateOptions {
  /** Sparsities to try per layer, each in [0, 1). */
  readonly sparsities: readonly number[];
  /** Prunable layers left out of the scan (default: every prunable layer is scanned). */
  readonly skip?: readonly string[];
  /** 'magnitude' (default) or 'random' (the control). */
  readonly method?: 'magnitude' | 'random';
  /** Seed of the random masks (required for method 'random'). */
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
 * Accuracy with each prunable layer not in `skip` pruned alone at each sparsity (the input
 * model is not modified; a working copy is pruned and restored layer by layer).
 * @example await sensitivityScan(model, mnist.test, {sparsities: [0.5, 0.9], limit: 2000})
 */
export async function sensitivityScan(
  model: tf.LayersModel,
  data: DataSource,
  options: SensitivityOptions,
): Promise<SensitivityReport> {
  requireLayersModel(model, FN);
  if (!options || !Array.isArray(options.sparsities) || options.sparsities.length === 0) {
    throw new ConfigError(
      `${FN}: a non-empty sparsities list, got ${describe(options?.sparsities)}. Use e.g. [0.5, 0.8, 0.9, 0.95].`,
    );
  }
  if ('layers' in options) {
    throw new ConfigError(
      `${FN}: skip (the prunable layers left out of the scan; \`layers\` means per-layer sparsity everywhere in prune), ` +
        `got layers: ${describe((options as { layers?: unknown }).layers)}. Pass skip with the layers not to scan.`,
    );
  }
  const method = options.method ?? 'magnitude';
  if (method !== 'magnitude' && method !== 'random')
    throw new ConfigError(`${FN}: method 'magnitude' or 'random', got ${describe(method)}. Use 'magnitude'.`);
  if (method === 'random' && !Number.isFinite(options.seed))
    throw new ConfigError(
      `${FN}: a numeric seed for method 'random', got ${describe(options.seed)}. Pass e.g. seed: 1.`,
    );
  options.sparsities.forEach((s) => checkSparsity(FN, s));
  const names = [...resolveTargets(FN, model, { sparsity: 0, ...(options.skip ? { skip: options.skip } : {}) }).keys()];
  const { sparsities: _s, skip: _k, method: _m, seed: _d, ...evalOptions } = options;
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
            const mask =
              method === 'random'
                ? randomMask(original, { sparsity: s, seed: options.seed as number })
                : magnitudeMask(original, { sparsity: s });
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
