// A weight-pruning sweep point as an executor job (notebook 02's sweep): SimpleNet, the course
// baseline, pruned by global magnitude to a sparsity and fine-tuned (method 'finetune': one-shot
// then 3 epochs with the zeros kept), or pruned gradually during 4 epochs of training
// (method 'polynomial': PolynomialDecay from 0 to the sparsity over the first 2 epochs), scored
// on the MNIST test split and cached. Independent points run in parallel on the executor's
// workers; the notebook then reads them from the cache.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../../lib/errors';
import { defineJob } from '../../lib/exec';
import { loadMnist } from '../data/mnist';
import { loadBaseline } from '../models/baselines';
import { CachedModel, cachedModel } from '../../lib/data/model-cache';
import { evaluate } from '../../lib/train/evaluate';
import { magnitude } from '../../lib/prune/magnitude';
import { fineTune } from '../../lib/prune/training';
import { PolynomialDecay } from '../../lib/prune/schedule';
import { sparsityReport } from '../../lib/prune/sparsity';

/** One point of the sweep. */
export interface PrunePointArgs {
  readonly method: 'finetune' | 'polynomial';
  readonly sparsity: number;
  /** 'global' (one threshold for all layers) or 'layer' (each layer at the sparsity). Default 'global'. */
  readonly scope?: 'global' | 'layer';
}

/** What was measured for a point. */
export interface PrunePointMeta {
  readonly testAccuracy: number;
  readonly sparsity: number;
  readonly seconds: number;
}

/**
 * The pruned SimpleNet of one sweep point, from the cache or trained now. Caller owns the model.
 * @example const {model, meta} = await prunedSimpleNet({method: 'polynomial', sparsity: 0.9}); meta.testAccuracy
 */
export async function prunedSimpleNet(a: PrunePointArgs): Promise<CachedModel<PrunePointMeta>> {
  const fn = 'prunedSimpleNet';
  if (a?.method !== 'finetune' && a?.method !== 'polynomial')
    throw new ConfigError(`${fn}: method 'finetune' or 'polynomial', got ${describe(a?.method)}. Use one of the two.`);
  if (!(typeof a.sparsity === 'number' && a.sparsity > 0 && a.sparsity < 1))
    throw new ConfigError(`${fn}: sparsity in (0, 1), got ${describe(a.sparsity)}. Use e.g. 0.9.`);
  const scope = a.scope ?? 'global';
  if (scope !== 'global' && scope !== 'layer')
    throw new ConfigError(`${fn}: scope 'global' or 'layer', got ${describe(scope)}.`);
  if (scope === 'layer' && a.method !== 'finetune')
    throw new ConfigError(`${fn}: scope 'layer' with method 'finetune', got method ${describe(a.method)}.`);
  const base = await loadBaseline('simplenet');
  try {
    const { train, test } = loadMnist();
    const recipe = {
      version: 1,
      baseline: { seed: base.meta.seed, testAccuracy: base.meta.testAccuracy },
      batchSize: 128,
    };
    const epochs = a.method === 'finetune' ? 3 : 4;
    const pct = Math.round(a.sparsity * 100);
    const label = scope === 'layer' ? `prune-simplenet-${a.method}-layer-${pct}` : `prune-simplenet-${a.method}-${pct}`;
    return await cachedModel<PrunePointMeta>(
      { ...recipe, method: a.method, sparsity: a.sparsity, scope, epochs },
      label,
      async () => {
        const t0 = performance.now();
        let out: tf.LayersModel;
        if (a.method === 'finetune') {
          const p = await magnitude(base.model, {
            sparsity: a.sparsity,
            ...(scope === 'global' ? { scope: 'global' as const } : {}),
          });
          out = (await fineTune(p.model, train, { epochs: 3, seed: 1, learningRate: (e) => (e < 2 ? 1e-3 : 3e-4) }))
            .model; // the zeros stay zero
          p.model.dispose();
        } else {
          const stepsPerEpoch = Math.ceil(train.count / 128);
          const schedule = new PolynomialDecay({
            initialSparsity: 0,
            finalSparsity: a.sparsity,
            beginStep: 0,
            endStep: 2 * stepsPerEpoch,
            frequency: 50,
          });
          out = (
            await fineTune(base.model, train, {
              epochs: 4,
              seed: 1,
              learningRate: (e) => (e < 3 ? 1e-3 : 3e-4),
              schedule,
              scope: 'global',
            })
          ).model;
        }
        const acc = (await evaluate(out, test)).accuracy;
        return {
          model: out,
          meta: {
            testAccuracy: acc,
            sparsity: sparsityReport(out).kernels.sparsity,
            seconds: (performance.now() - t0) / 1000,
          },
        };
      },
    );
  } finally {
    base.model.dispose();
  }
}

/** Trains (or reads) one sweep point in a worker and returns what was measured. */
export const prunePointJob = defineJob(
  'course.prunePoint',
  __filename,
  async (a: PrunePointArgs): Promise<PrunePointMeta & { fromCache: boolean }> => {
    const entry = await prunedSimpleNet(a);
    entry.model.dispose();
    return { ...entry.meta, fromCache: entry.fromCache };
  },
);
