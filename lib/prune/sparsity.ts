// Sparsity accounting: sparsity = zeros / elements, counted exactly (value === 0), per
// prunable weight and in total. This is what every pruning report and chart reads.
import * as tf from '@tensorflow/tfjs';
import { prunableLayers } from './prunable';

/** Zeros and elements of one weight. */
export interface WeightSparsity {
  /** The layer's name. */
  readonly name: string;
  readonly className: string;
  readonly shape: number[];
  readonly zeros: number;
  readonly elements: number;
  /** zeros / elements. */
  readonly sparsity: number;
}

/** Sparsity of a model's prunable kernels, and of all its weights. */
export interface SparsityReport {
  readonly layers: WeightSparsity[];
  /** Over the prunable kernels. */
  readonly kernels: { zeros: number; elements: number; sparsity: number };
  /** Over every weight of the model (biases, BatchNorm parameters included). */
  readonly all: { zeros: number; elements: number; sparsity: number };
}

/** Number of entries of `t` that are exactly zero. */
export function countZeros(t: tf.Tensor): number {
  const v = t.dataSync();
  let z = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === 0) z++;
  return z;
}

/**
 * zeros / elements of a tensor.
 * @example sparsityOf(tf.tensor1d([0, 1, 0, 2])) // 0.5
 */
export function sparsityOf(t: tf.Tensor): number {
  return t.size === 0 ? 0 : countZeros(t) / t.size;
}

/** Sparsity of every prunable kernel (the layers with a kernel in the registry) and totals. */
export function sparsityReport(model: tf.LayersModel): SparsityReport {
  const layers: WeightSparsity[] = prunableLayers(model, 'sparsityReport').map((layer) => {
    const w = layer.weights[0] as tf.LayerVariable;
    const v = w.read();
    const zeros = countZeros(v);
    return {
      name: layer.name,
      className: layer.getClassName(),
      shape: v.shape,
      zeros,
      elements: v.size,
      sparsity: v.size ? zeros / v.size : 0,
    };
  });
  const kz = layers.reduce((a, l) => a + l.zeros, 0);
  const ke = layers.reduce((a, l) => a + l.elements, 0);
  let az = 0;
  let ae = 0;
  for (const w of model.weights) {
    const v = w.read();
    az += countZeros(v);
    ae += v.size;
  }
  return {
    layers,
    kernels: { zeros: kz, elements: ke, sparsity: ke ? kz / ke : 0 },
    all: { zeros: az, elements: ae, sparsity: ae ? az / ae : 0 },
  };
}
