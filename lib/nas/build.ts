// From a genotype to a tfjs model (logits out) for a task's input (n, h, w, c), NHWC. MLPs
// flatten it (like SimpleNet's 784 inputs), average-pooled to the genotype's resolution first;
// CNNs stack conv stages; a separable stage is depthwise kxk then pointwise 1x1.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { Rng } from '../core/rng';
import { checkTask, Genotype, NasTask, poolFactor } from './space';

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /** Seed of the weight initialization. */
  readonly seed: number;
  /** The input shape and class count. */
  readonly task: NasTask;
}

type Act = 'relu' | 'relu6' | 'elu' | 'tanh';

/**
 * The (k*w*c, (w/k)*c) matrix that averages k x k blocks within k consecutive image rows of
 * width `w` and `c` channels (NHWC, flattened): entry ((a*w + x)*c + ch, floor(x/k)*c + ch) = 1/k^2.
 * Owned by the caller.
 * @example poolMatrix(2, 2, 1).arraySync() // [[0.25], [0.25], [0.25], [0.25]]
 */
export function poolMatrix(k: number, width: number, channels = 1): tf.Tensor2D {
  const out = (width / k) * channels;
  const m = new Float32Array(k * width * channels * out);
  for (let a = 0; a < k; a++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < channels; ch++)
        m[((a * width + x) * channels + ch) * out + Math.floor(x / k) * channels + ch] = 1 / (k * k);
    }
  }
  return tf.tensor2d(m, [k * width * channels, out]);
}

/**
 * Builds the model of a genotype for a task, weights drawn from `seed`. The caller owns the model.
 * @example buildModel({kind: 'mlp', resolution: 14, widths: [32], activation: 'relu'}, {seed: 1, task: {inputShape: [28, 28, 1], classes: 10}}).countParams() // 196*32+32 + 32*10+10 = 6634 (+ 784 frozen pooling weights)
 */
export function buildModel(g: Genotype, options: BuildOptions): tf.LayersModel {
  if (!Number.isFinite(options?.seed))
    throw new ConfigError(`nas.buildModel: seed a number, got ${describe(options?.seed)}. Pass e.g. seed: 1.`);
  checkTask(options.task, 'nas.buildModel');
  const [h, w, c] = options.task.inputShape;
  const numClasses = options.task.classes;
  const rng = new Rng(options.seed);
  const glorot = () => tf.initializers.glorotUniform({ seed: rng.seed() });
  const he = () => tf.initializers.heUniform({ seed: rng.seed() });
  const pool = poolFactor(options.task, g.resolution);
  if (pool === undefined) {
    throw new ConfigError(
      `nas.buildModel: a resolution that divides the input's height ${h} (and its width ${w} by the same factor), got ${describe(g.resolution)}. ` +
        `Use e.g. ${h} or ${h / 2}.`,
    );
  }
  const layers: tf.layers.Layer[] = [];
  if (g.kind === 'mlp') {
    const imageIn = { inputShape: [h, w, c] };
    if (pool > 1) {
      // Average pooling as a fixed matrix product: (n, h*w*c) -> (n, h/k, k*w*c) groups of k image
      // rows -> (n, h/k, (w/k)*c) by a frozen Dense -> flat. On wasm this is several times faster
      // than AveragePooling2D on a one-channel image (measured in notebook 06), and uses only
      // standard layers, so the model still serializes and exports.
      layers.push(tf.layers.reshape({ name: 'rows', targetShape: [h / pool, pool * w * c], ...imageIn }));
      layers.push(tf.layers.dense({ name: 'pool', units: (w / pool) * c, useBias: false, trainable: false }));
      layers.push(tf.layers.flatten({ name: 'flatten' }));
    } else {
      layers.push(tf.layers.flatten({ name: 'flatten', ...imageIn }));
    }
    g.widths.forEach((units, i) =>
      layers.push(
        tf.layers.dense({
          name: `fc${i + 1}`,
          units,
          activation: g.activation as Act,
          kernelInitializer: g.activation === 'tanh' ? glorot() : he(),
        }),
      ),
    );
    layers.push(tf.layers.dense({ name: `fc${g.widths.length + 1}`, units: numClasses, kernelInitializer: glorot() }));
    const model = tf.sequential({ name: 'nas_mlp', layers });
    if (pool > 1) {
      const m = poolMatrix(pool, w, c);
      model.getLayer('pool').setWeights([m]);
      m.dispose();
    }
    return model;
  }
  const imageIn = { inputShape: [h, w, c] };
  if (Math.min(h, w) / pool / 2 ** g.stages.length < 1) {
    throw new ConfigError(
      `nas.buildModel: stages that leave at least one pixel (each halves the image), got ${g.stages.length} stages on ${h / pool}x${w / pool}. ` +
        `Use fewer stages or a larger resolution.`,
    );
  }
  if (pool > 1) layers.push(tf.layers.averagePooling2d({ name: 'pool', poolSize: pool, strides: pool, ...imageIn }));
  g.stages.forEach((s, i) => {
    const first = layers.length === 0 ? imageIn : {};
    if (s.separable) {
      layers.push(
        tf.layers.depthwiseConv2d({
          name: `dw${i + 1}`,
          kernelSize: s.kernelSize,
          padding: 'same',
          useBias: false,
          depthwiseInitializer: he(),
          ...first,
        }),
      );
      layers.push(
        tf.layers.conv2d({
          name: `pw${i + 1}`,
          filters: s.channels,
          kernelSize: 1,
          useBias: false,
          kernelInitializer: he(),
        }),
      );
    } else {
      layers.push(
        tf.layers.conv2d({
          name: `conv${i + 1}`,
          filters: s.channels,
          kernelSize: s.kernelSize,
          padding: 'same',
          useBias: false,
          kernelInitializer: he(),
          ...first,
        }),
      );
    }
    layers.push(tf.layers.batchNormalization({ name: `bn${i + 1}` }));
    layers.push(tf.layers.activation({ name: `act${i + 1}`, activation: g.activation as Act }));
    layers.push(tf.layers.maxPooling2d({ name: `maxpool${i + 1}`, poolSize: 2 }));
  });
  layers.push(tf.layers.flatten({ name: 'flatten', ...(layers.length === 0 ? imageIn : {}) }));
  layers.push(tf.layers.dense({ name: 'fc', units: numClasses, kernelInitializer: glorot() }));
  return tf.sequential({ name: 'nas_cnn', layers });
}
