// The two models the deployment chapter serves side by side: the dense fp32 SimpleNet baseline
// and a compressed SimpleNet (global magnitude pruning to 90% sparsity, fine-tuned with the masks kept),
// both cached on disk so benchmarks and notebooks share them.
import * as tf from '@tensorflow/tfjs';
import { loadBaseline } from './models/baselines';
import { cachedModel } from '../lib/data/model-cache';
import { loadMnist } from './data/mnist';
import { evaluate } from '../lib/train/evaluate';
import { magnitude } from '../lib/prune/magnitude';
import { fineTune } from '../lib/prune/training';
import { sparsityOf } from '../lib/prune/sparsity';
import { ProgressReporter } from '../lib/train/progress';

/** A served model and what was measured on it. */
export interface DeployModel {
  readonly model: tf.LayersModel;
  readonly label: string;
  readonly testAccuracy: number;
  /** zeros / weights over the Dense kernels. */
  readonly sparsity: number;
}

/** Options for {@link deploymentModels}. */
export interface DeploymentModelsOptions {
  /** Sparsity of the compressed model. Default 0.9. */
  readonly sparsity?: number;
  /** Fine-tuning epochs after pruning. Default 3. */
  readonly epochs?: number;
  readonly seed?: number;
  readonly progress?: ProgressReporter;
}

function kernelSparsity(model: tf.LayersModel): number {
  let zeros = 0;
  let total = 0;
  for (const layer of model.layers) {
    const w = layer.getWeights()[0];
    if (!w || w.rank !== 2) continue;
    zeros += sparsityOf(w) * w.size;
    total += w.size;
  }
  return total ? zeros / total : 0;
}

/**
 * The baseline and the compressed SimpleNet (caller owns both models).
 * @example const {baseline, compressed} = await deploymentModels(); compressed.sparsity // ~0.9
 */
export async function deploymentModels(
  options: DeploymentModelsOptions = {},
): Promise<{ baseline: DeployModel; compressed: DeployModel }> {
  const sparsity = options.sparsity ?? 0.9;
  const epochs = options.epochs ?? 3;
  const seed = options.seed ?? 0;
  const base = await loadBaseline('simplenet', { seed, progress: options.progress });
  const mnist = loadMnist();
  const key = {
    what: 'deploy-compressed-simplenet',
    sparsity,
    epochs,
    seed,
    baseline: base.meta.testAccuracy,
    scope: 'global',
    v: 2,
  };
  const compressed = await cachedModel(key, 'deploy-pruned-simplenet', async () => {
    const pruned = await magnitude(base.model, { sparsity, scope: 'global' }); // one |w| threshold: layers keep what matters
    const { model } = await fineTune(pruned.model, mnist.train, {
      epochs,
      seed,
      learningRate: (epoch: number) => (epoch < epochs - 1 ? 1e-3 : 3e-4),
      progress: options.progress,
    }); // the pruned zeros stay zero
    pruned.model.dispose();
    return { model, meta: { testAccuracy: (await evaluate(model, mnist.test)).accuracy } };
  });
  return {
    baseline: {
      model: base.model,
      label: 'SimpleNet fp32 (dense)',
      testAccuracy: base.meta.testAccuracy,
      sparsity: kernelSparsity(base.model),
    },
    compressed: {
      model: compressed.model,
      label: `SimpleNet pruned ${Math.round(sparsity * 100)}% + fine-tuned`,
      testAccuracy: compressed.meta.testAccuracy,
      sparsity: kernelSparsity(compressed.model),
    },
  };
}
