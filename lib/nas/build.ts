// From a genotype to a tfjs model (logits out). MLPs take flat (n, 784) inputs like SimpleNet;
// below 28 pixels they reshape to (n, 28, 28, 1) and average-pool to the chosen side first.
// CNNs take (n, 28, 28, 1) NHWC images; a separable stage is depthwise kxk then pointwise 1x1.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { Rng } from '../core/rng';
import { Genotype, IMAGE_SIDE } from './space';

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /** Seed of the weight initialization. */
  readonly seed: number;
  readonly numClasses?: number;
}

type Act = 'relu' | 'relu6' | 'elu' | 'tanh';

/**
 * The (28k, 28/k) matrix that averages k x k blocks of k consecutive 28-pixel image rows:
 * entry (a * 28 + c, j) = 1/k^2 when floor(c / k) = j. Owned by the caller.
 */
export function poolMatrix(k: number): tf.Tensor2D {
  const side = IMAGE_SIDE / k;
  const m = new Float32Array(IMAGE_SIDE * k * side);
  for (let a = 0; a < k; a++) {
    for (let c = 0; c < IMAGE_SIDE; c++) m[(a * IMAGE_SIDE + c) * side + Math.floor(c / k)] = 1 / (k * k);
  }
  return tf.tensor2d(m, [IMAGE_SIDE * k, side]);
}

/**
 * Builds the model of a genotype, weights drawn from `seed`. The caller owns the model.
 * @example buildModel({kind: 'mlp', resolution: 14, widths: [32], activation: 'relu'}, {seed: 1}).countParams() // 196*32+32 + 32*10+10 = 6634
 */
export function buildModel(g: Genotype, options: BuildOptions): tf.LayersModel {
  if (!Number.isFinite(options.seed)) throw new ConfigError(`nas.buildModel: seed a number, got ${describe(options.seed)}. Pass e.g. seed: 1.`);
  const numClasses = options.numClasses ?? 10;
  const rng = new Rng(options.seed);
  const glorot = () => tf.initializers.glorotUniform({ seed: rng.seed() });
  const he = () => tf.initializers.heUniform({ seed: rng.seed() });
  const pool = IMAGE_SIDE / g.resolution;
  if (!Number.isInteger(pool) || pool < 1) {
    throw new ConfigError(`nas.buildModel: a resolution dividing ${IMAGE_SIDE}, got ${describe(g.resolution)}. Use e.g. 28 or 14.`);
  }
  const layers: tf.layers.Layer[] = [];
  if (g.kind === 'mlp') {
    const flatIn = { inputShape: [IMAGE_SIDE * IMAGE_SIDE] };
    if (pool > 1) {
      // Average pooling as a fixed matrix product: (n, 784) -> (n, R, 28k) groups of k image rows
      // -> (n, R, R) by a frozen Dense -> (n, R*R). On wasm this is several times faster than
      // AveragePooling2D on a one-channel image (measured in notebook 06), and uses only
      // standard layers, so the model still serializes and exports.
      layers.push(tf.layers.reshape({ name: 'rows', targetShape: [g.resolution, IMAGE_SIDE * pool], ...flatIn }));
      layers.push(tf.layers.dense({ name: 'pool', units: g.resolution, useBias: false, trainable: false }));
      layers.push(tf.layers.flatten({ name: 'flatten' }));
    }
    g.widths.forEach((units, i) => layers.push(tf.layers.dense({
      name: `fc${i + 1}`, units, activation: g.activation as Act, kernelInitializer: g.activation === 'tanh' ? glorot() : he(),
      ...(layers.length === 0 ? flatIn : {}),
    })));
    layers.push(tf.layers.dense({ name: `fc${g.widths.length + 1}`, units: numClasses, kernelInitializer: glorot(), ...(layers.length === 0 ? flatIn : {}) }));
    const model = tf.sequential({ name: 'nas_mlp', layers });
    if (pool > 1) {
      const w = poolMatrix(pool);
      model.getLayer('pool').setWeights([w]);
      w.dispose();
    }
    return model;
  }
  const imageIn = { inputShape: [IMAGE_SIDE, IMAGE_SIDE, 1] };
  if (pool > 1) layers.push(tf.layers.averagePooling2d({ name: 'pool', poolSize: pool, strides: pool, ...imageIn }));
  g.stages.forEach((s, i) => {
    const first = layers.length === 0 ? imageIn : {};
    if (s.separable) {
      layers.push(tf.layers.depthwiseConv2d({ name: `dw${i + 1}`, kernelSize: s.kernelSize, padding: 'same', useBias: false, depthwiseInitializer: he(), ...first }));
      layers.push(tf.layers.conv2d({ name: `pw${i + 1}`, filters: s.channels, kernelSize: 1, useBias: false, kernelInitializer: he() }));
    } else {
      layers.push(tf.layers.conv2d({ name: `conv${i + 1}`, filters: s.channels, kernelSize: s.kernelSize, padding: 'same', useBias: false, kernelInitializer: he(), ...first }));
    }
    layers.push(tf.layers.batchNormalization({ name: `bn${i + 1}` }));
    layers.push(tf.layers.activation({ name: `act${i + 1}`, activation: g.activation as Act }));
    layers.push(tf.layers.maxPooling2d({ name: `maxpool${i + 1}`, poolSize: 2 }));
  });
  layers.push(tf.layers.flatten({ name: 'flatten', ...(layers.length === 0 ? imageIn : {}) }));
  layers.push(tf.layers.dense({ name: 'fc', units: numClasses, kernelInitializer: glorot() }));
  return tf.sequential({ name: 'nas_cnn', layers });
}

/** The input layout a genotype's model expects. */
export function genotypeLayout(g: Genotype): 'flat' | 'image' {
  return g.kind === 'mlp' ? 'flat' : 'image';
}
