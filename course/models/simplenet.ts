// The brief's SimpleNet: Linear(784, 256) -> ReLU -> Linear(256, 128) -> ReLU -> Linear(128, 10).
// Outputs logits (no softmax), like the PyTorch original; 235,146 parameters, 234,752 MACs.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../../lib/errors';
import { Rng } from '../../lib/core/rng';

/** Options of {@link simpleNet}. */
export interface SimpleNetOptions {
  /** Seed of the weight initialization. */
  readonly seed: number;
  /** Hidden widths; default [256, 128] (the brief's). */
  readonly hidden?: readonly number[];
  readonly inputSize?: number;
  readonly numClasses?: number;
}

/**
 * Builds SimpleNet (or an MLP of other widths), Glorot-uniform weights from `seed`, zero biases.
 * Layers are named fc1, fc2, ... so per-layer options can name them.
 * @example simpleNet({seed: 1}).countParams() // 235146
 */
export function simpleNet(options: SimpleNetOptions): tf.LayersModel {
  const hidden = options.hidden ?? [256, 128];
  const inputSize = options.inputSize ?? 784;
  const numClasses = options.numClasses ?? 10;
  for (const [name, v] of [
    ['inputSize', inputSize],
    ['numClasses', numClasses],
    ...hidden.map((h, i) => [`hidden[${i}]`, h]),
  ] as [string, number][]) {
    if (!(Number.isInteger(v) && v > 0)) {
      throw new ConfigError(
        `simpleNet: ${name} a positive integer, got ${describe(v)}. Use widths such as [256, 128].`,
      );
    }
  }
  const rng = new Rng(options.seed);
  const widths = [...hidden, numClasses];
  const model = tf.sequential({ name: 'simplenet' });
  widths.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        name: `fc${i + 1}`,
        units,
        activation: i < widths.length - 1 ? 'relu' : 'linear',
        kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seed() }),
        ...(i === 0 ? { inputShape: [inputSize] } : {}),
      }),
    );
  });
  return model;
}
