// What a model takes and gives, for the training loop, evaluation, calibration and distillation:
// its input shape, its class count, whether its output is logits or probabilities (Keras
// classifiers usually end in softmax; the course's models output logits), and its own loss
// (the compiled loss when the model was compiled, or a Keras model's training_config).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../errors';
import { requireLayersModel } from '../core/graph';
import { layerEntry } from '../core/layers';

/** A classifier's output: raw logits, or probabilities (softmax or sigmoid last). */
export type OutputKind = 'logits' | 'probabilities';

/** The model's input shape without the batch dimension (-1 where free). One input only. */
export function inputShapeOf(model: tf.LayersModel, fn = 'inputShapeOf'): number[] {
  requireLayersModel(model, fn);
  if (model.inputs.length !== 1) {
    throw new ConfigError(
      `${fn}: a model with one input, got ${model.inputs.length}. Wrap the multi-input model in a single-input one.`,
    );
  }
  return (model.inputs[0]?.shape ?? []).slice(1).map((d) => (d == null ? -1 : d));
}

/** Units of the model's (single) output's last axis. */
export function outputUnits(model: tf.LayersModel, fn = 'outputUnits'): number {
  requireLayersModel(model, fn);
  if (model.outputs.length !== 1)
    throw new ConfigError(
      `${fn}: a model with one output, got ${model.outputs.length}. Build a single-output model for this.`,
    );
  const shape = model.outputs[0]?.shape ?? [];
  const units = shape[shape.length - 1];
  if (!(typeof units === 'number' && units > 0))
    throw new ShapeError(
      `${fn}: an output with a fixed last dimension, got [${shape.join(', ')}]. Give the model a fixed number of outputs.`,
    );
  return units;
}

/** Activations whose outputs are probabilities already (softmax: one distribution; sigmoid: one per unit). */
const PROBABILITY_ACTIVATIONS: ReadonlySet<string> = new Set(['softmax', 'sigmoid']);

/**
 * 'probabilities' when the layer that makes the (first) output applies softmax or sigmoid, else
 * 'logits': the one answer for training, evaluation and serving. The activation is the registry's
 * (a Softmax layer, an Activation layer, or an inline activation); a class outside the registry is
 * read from its `activation` config. A sigmoid output is probabilities: applying softmax to it
 * again (as to logits) would squash independent per-unit probabilities into one distribution.
 */
export function outputKind(model: tf.LayersModel): OutputKind {
  const layer = model.outputs[0]?.sourceLayer;
  if (!layer) return 'logits';
  const config = layer.getConfig() as Record<string, unknown>;
  const entry = layerEntry(layer.getClassName());
  const act = entry ? entry.activation?.(config) : config.activation;
  return typeof act === 'string' && PROBABILITY_ACTIVATIONS.has(act) ? 'probabilities' : 'logits';
}

/** A loss of (targets, outputs) -> scalar. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

const EPS = 1e-7;

/**
 * The model's own loss: its compiled loss (model.compile, or a converted Keras model's
 * training_config), else cross-entropy matched to its output: softmax cross-entropy on logits,
 * categorical (or binary, for one sigmoid unit) cross-entropy on probabilities.
 */
export function modelLoss(model: tf.LayersModel): LossFn {
  const compiled = (model as unknown as { lossFunctions?: ((a: tf.Tensor, b: tf.Tensor) => tf.Tensor)[] })
    .lossFunctions;
  const f = compiled?.length === 1 ? compiled[0] : undefined;
  if (f) return (y, p) => tf.mean(f(y, p)) as tf.Scalar;
  if (outputKind(model) === 'logits') return (y, p) => tf.losses.softmaxCrossEntropy(y, p) as tf.Scalar;
  if ((model.outputs[0]?.shape.at(-1) ?? 0) === 1) {
    return (y, p) =>
      tf.tidy(() => {
        const q = tf.clipByValue(p, EPS, 1 - EPS);
        return tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(q)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, q)))))) as tf.Scalar;
      });
  }
  return (y, p) =>
    tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, EPS, 1))), -1))) as tf.Scalar);
}

/**
 * Outputs as logits: unchanged for a logits model; log(p) for probabilities (softmax(log p) = p,
 * so temperature-scaled distillation works on either). Owned out.
 */
export function asLogits(output: tf.Tensor, kind: OutputKind): tf.Tensor {
  return kind === 'logits' ? output.clone() : tf.tidy(() => tf.log(tf.clipByValue(output, EPS, 1)));
}
