// Fine-grained pruning masks (Han et al. 2015, arXiv:1506.02626): a 0/1 tensor of the weight's
// shape that keeps the largest-|w| entries (per layer, or with one threshold across layers),
// or random entries as the control. The number of zeros is exact: round(sparsity * elements),
// ties broken by position, so sparsity accounting never depends on how many weights tie.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { permutation } from '../core/rng';
import { keepLargest, zerosFor } from '../core/magnitude-order';

export { zerosFor };

/** Options for {@link magnitudeMask}. */
export interface MaskOptions {
  /** Fraction of entries set to zero, in [0, 1). */
  readonly sparsity: number;
}

/** Options for {@link randomMask}. */
export interface RandomMaskOptions extends MaskOptions {
  readonly seed: number;
}

/** Throws a ConfigError unless `sparsity` is a number in [0, 1). */
export function checkSparsity(fn: string, sparsity: unknown, what = 'sparsity'): number {
  if (!(typeof sparsity === 'number' && sparsity >= 0 && sparsity < 1)) {
    throw new ConfigError(
      `${fn}: ${what} in [0, 1), got ${describe(sparsity)}. Pass a fraction such as 0.9 (90% zeros).`,
    );
  }
  return sparsity;
}

function absOf(weight: tf.Tensor): Float32Array {
  const v = weight.dataSync() as Float32Array;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.abs(v[i] as number);
  return out;
}

function toMask(keep: Uint8Array, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from(keep), shape, 'float32');
}

/**
 * Mask keeping the largest-|w| entries of `weight` (PyTorch's `l1_unstructured(amount)`);
 * sparsity = zeros / elements. The input is borrowed; the caller owns the result.
 * @example magnitudeMask(tf.tensor2d([[0.1, -0.9], [0.4, -0.2]]), {sparsity: 0.5}) // [[0,1],[1,0]]
 */
export function magnitudeMask(weight: tf.Tensor, options: MaskOptions): tf.Tensor {
  const s = checkSparsity('magnitudeMask', options?.sparsity);
  return toMask(keepLargest(absOf(weight), zerosFor(weight.size, s)), weight.shape);
}

/**
 * One magnitude threshold across all `weights` (global pruning): the round(sparsity * total)
 * smallest |w| of all of them are zeroed, so layers with many small weights lose more.
 * @example globalMagnitudeMasks([tf.tensor1d([1, 2]), tf.tensor1d([3, 0.5])], {sparsity: 0.5}) // [[0,1],[1,0]]
 */
export function globalMagnitudeMasks(weights: readonly tf.Tensor[], options: MaskOptions): tf.Tensor[] {
  const s = checkSparsity('globalMagnitudeMasks', options?.sparsity);
  const total = weights.reduce((a, w) => a + w.size, 0);
  const all = new Float32Array(total);
  let off = 0;
  for (const w of weights) {
    all.set(absOf(w), off);
    off += w.size;
  }
  const keep = keepLargest(all, zerosFor(total, s));
  off = 0;
  return weights.map((w) => {
    const m = toMask(keep.subarray(off, off + w.size), w.shape);
    off += w.size;
    return m;
  });
}

/**
 * Random mask with exactly round(sparsity * elements) zeros (the control for magnitude pruning).
 * @example randomMask(tf.zeros([10]), {sparsity: 0.3, seed: 1}).sum() // 7
 */
export function randomMask(weight: tf.Tensor, options: RandomMaskOptions): tf.Tensor {
  const s = checkSparsity('randomMask', options?.sparsity);
  if (!Number.isFinite(options.seed))
    throw new ConfigError(`randomMask: a numeric seed, got ${describe(options.seed)}. Pass e.g. seed: 1.`);
  const n = weight.size;
  const perm = permutation(n, options.seed);
  const keep = new Uint8Array(n).fill(1);
  const z = zerosFor(n, s);
  for (let k = 0; k < z; k++) keep[perm[k] as number] = 0;
  return toMask(keep, weight.shape);
}

/** Mask of the entries of `weight` that are not exactly zero (recovers a pruned model's masks). */
export function nonzeroMask(weight: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.notEqual(weight, 0), 'float32'));
}
