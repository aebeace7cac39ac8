// Channel importance criteria: the L1 or L2 norm of each output filter/neuron of the group's
// producers (Li et al. 2017, arXiv:1608.08710), the |gamma| of the group's BatchNormalization
// layers (Network Slimming, Liu et al. 2017, arXiv:1708.06519), or random scores (the control).
// Scores are summed over the layers of a group (a residual group has several producers).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { Rng } from '../core/rng';
import { layerEntry } from '../core/layers';
import { PruningGroup } from './graph';
import { kernelOf } from './prunable';

/** How channels are ranked; the lowest scores are removed first. */
export type ImportanceCriterion = 'l1' | 'l2' | 'bn' | 'random';

/**
 * Norms of a kernel's slices along its output-channel `axis` (default the last): C values (L1 or L2).
 * @example channelNorms(tf.tensor2d([[1, -2], [3, 0]]), 1) // [4, 2]
 */
export function channelNorms(kernel: tf.Tensor, p: 1 | 2, axis = kernel.rank - 1): Float32Array {
  return tf
    .tidy(() => {
      const c = kernel.shape[axis] as number;
      const perm = [...Array(kernel.rank).keys()].filter((a) => a !== axis);
      const last = axis === kernel.rank - 1 ? kernel : tf.transpose(kernel, [...perm, axis]);
      const m = tf.reshape(last, [-1, c]);
      const n = p === 1 ? tf.sum(tf.abs(m), 0) : tf.sqrt(tf.sum(tf.square(m), 0));
      return n.dataSync() as Float32Array;
    })
    .slice();
}

/**
 * One score per channel of `group` in `model` (model borrowed). For 'bn' a group without a
 * BatchNormalization layer falls back to 'l1' and says so in `fallback`.
 * @example groupImportance(model, group, 'l1', 0).scores // Float32Array of group.channels
 */
export function groupImportance(
  model: tf.LayersModel,
  group: PruningGroup,
  criterion: ImportanceCriterion,
  seed: number,
): { scores: Float32Array; fallback?: string } {
  const scores = new Float32Array(group.channels);
  if (criterion === 'random') {
    const rng = new Rng(seed + group.id);
    for (let i = 0; i < scores.length; i++) scores[i] = rng.next();
    return { scores };
  }
  if (criterion === 'bn') {
    const bns = group.tied.filter((n) => layerEntry(model.getLayer(n).getClassName())?.batchNorm);
    const withGamma = bns.filter((n) => (model.getLayer(n).getConfig() as { scale?: boolean }).scale !== false);
    if (withGamma.length > 0) {
      for (const n of withGamma) {
        const gamma = model.getLayer(n).getWeights()[0] as tf.Tensor;
        const g = gamma.dataSync();
        for (let i = 0; i < scores.length; i++) scores[i] = (scores[i] as number) + Math.abs(g[i] as number);
      }
      return { scores };
    }
    const r = groupImportance(model, group, 'l1', seed);
    return {
      scores: r.scores,
      fallback: `group of ${group.producers.join(', ')} has no BatchNormalization scale: ranked by l1`,
    };
  }
  if (criterion !== 'l1' && criterion !== 'l2') {
    throw new ConfigError(
      `groupImportance: importance 'l1', 'l2', 'bn' or 'random', got ${describe(criterion)}. Use 'l1' (Li et al.) or 'bn' (Network Slimming).`,
    );
  }
  for (const n of group.producers) {
    const layer = model.getLayer(n);
    const norms = channelNorms(
      kernelOf(layer).read(),
      criterion === 'l1' ? 1 : 2,
      layerEntry(layer.getClassName())?.kernel?.outAxis,
    );
    for (let i = 0; i < scores.length; i++) scores[i] = (scores[i] as number) + (norms[i] as number);
  }
  return { scores };
}

/** The `keep` highest-scoring channel indices, in increasing index order (ties keep the lower index). */
export function keepTop(scores: Float32Array, keep: number): number[] {
  const order = Array.from(scores, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return order.slice(0, keep).sort((a, b) => a - b);
}

/**
 * Network Slimming's sparsity penalty lambda * sum |gamma| over the model's BatchNormalization
 * layers, as `fit`'s `regularizer` (it reads the variables inside the training step).
 * @example await fit(model, train, {epochs: 2, seed: 1, regularizer: slimmingRegularizer(model, {lambda: 1e-4})})
 */
export function slimmingRegularizer(model: tf.LayersModel, options: { readonly lambda: number }): () => tf.Scalar {
  if (!(typeof options?.lambda === 'number' && options.lambda >= 0)) {
    throw new ConfigError(
      `slimmingRegularizer: lambda >= 0, got ${describe(options?.lambda)}. Network Slimming uses 1e-4 to 1e-5.`,
    );
  }
  const gammas = model.layers
    .filter((l) => layerEntry(l.getClassName())?.batchNorm && (l.getConfig() as { scale?: boolean }).scale !== false)
    .map((l) => l.weights[0] as tf.LayerVariable);
  if (gammas.length === 0)
    throw new ConfigError(
      `slimmingRegularizer: a model with BatchNormalization layers (with scale), got none in ${model.name}. Add BatchNormalization after the conv layers.`,
    );
  return () => tf.tidy(() => tf.mul(options.lambda, tf.addN(gammas.map((g) => tf.sum(tf.abs(g.read()))))) as tf.Scalar);
}
