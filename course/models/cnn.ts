// The course's small CNN, LeNet-5 in spirit (LeCun et al. 1998) with BatchNormalization so the
// channel-pruning criteria of Network Slimming apply:
//   (n, 28, 28, 1) conv5x5/8 same -> BN -> ReLU -> maxpool 2 -> (n, 14, 14, 8)
//   conv5x5/16 valid -> BN -> ReLU -> maxpool 2 -> (n, 5, 5, 16) -> flatten (400)
//   dense 128 ReLU -> dense 10 (logits).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../../lib/errors';
import { Rng } from '../../lib/core/rng';

/** Options of {@link cnn}. */
export interface CnnOptions {
  readonly seed: number;
  /** Filters of the two conv layers; default [8, 16] (LeNet-5 has 6 and 16). */
  readonly filters?: readonly [number, number];
  /** Units of the hidden dense layer; default 128. */
  readonly hidden?: number;
  readonly numClasses?: number;
}

/**
 * Builds the CNN with He-uniform conv and Glorot-uniform dense weights from `seed`.
 * @example cnn({seed: 1}).outputs[0].shape // [null, 10]
 */
export function cnn(options: CnnOptions): tf.LayersModel {
  const [f1, f2] = options.filters ?? [8, 16];
  const hidden = options.hidden ?? 128;
  const numClasses = options.numClasses ?? 10;
  for (const [name, v] of [
    ['filters[0]', f1],
    ['filters[1]', f2],
    ['hidden', hidden],
    ['numClasses', numClasses],
  ] as [string, number][]) {
    if (!(Number.isInteger(v) && v > 0)) {
      throw new ConfigError(
        `cnn: ${name} a positive integer, got ${describe(v)}. Use e.g. filters [8, 16], hidden 128.`,
      );
    }
  }
  const rng = new Rng(options.seed);
  const he = () => tf.initializers.heUniform({ seed: rng.seed() });
  const glorot = () => tf.initializers.glorotUniform({ seed: rng.seed() });
  return tf.sequential({
    name: 'cnn',
    layers: [
      tf.layers.conv2d({
        name: 'conv1',
        inputShape: [28, 28, 1],
        filters: f1,
        kernelSize: 5,
        padding: 'same',
        useBias: false,
        kernelInitializer: he(),
      }),
      tf.layers.batchNormalization({ name: 'bn1' }),
      tf.layers.activation({ name: 'relu1', activation: 'relu' }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({
        name: 'conv2',
        filters: f2,
        kernelSize: 5,
        padding: 'valid',
        useBias: false,
        kernelInitializer: he(),
      }),
      tf.layers.batchNormalization({ name: 'bn2' }),
      tf.layers.activation({ name: 'relu2', activation: 'relu' }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: hidden, activation: 'relu', kernelInitializer: glorot() }),
      tf.layers.dense({ name: 'fc2', units: numClasses, kernelInitializer: glorot() }),
    ],
  });
}
