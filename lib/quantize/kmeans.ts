// 1-D k-means (Lloyd) of a tensor's values into a codebook and one index per value: the shared
// weights of Deep Compression (Han et al. 2016, arXiv:1510.00149), with linear initialization
// (the paper's best) and an optional code 0 reserved for the exact zeros of a pruned kernel.
import { ConfigError, DataError, describe } from '../errors';
import { Rng } from '../core/rng';

/** Options of {@link kmeansCluster}. */
export interface KMeansOptions {
  /** Codebook of 2^bits centroids, bits in [1, 16]. */
  readonly bits: number;
  readonly seed: number;
  /** 'linear' (evenly spaced over [min, max]: best in Deep Compression, default), 'random' or 'density' (quantiles). */
  readonly init?: 'linear' | 'random' | 'density';
  readonly iterations?: number;
  /**
   * Keep code 0 for the exact zeros (pruned weights): only the nonzero values are clustered, into
   * 2^bits - 1 centroids (codes 1..), and codebook[0] is 0. Default false. Deep Compression
   * clusters a pruned layer this way, so pruning survives weight sharing.
   */
  readonly reserveZero?: boolean;
}

/** A clustered tensor: codebook + one index per value. */
export interface SharedTensor {
  readonly codebook: Float32Array;
  readonly indices: Uint16Array;
  readonly shape: readonly number[];
}

/**
 * 1-D k-means (Lloyd) of `values`. Deterministic for a seed.
 * @example kmeansCluster(new Float32Array([0, 0.1, 1, 1.1]), [4], {bits: 1, seed: 1}).codebook // [0.05, 1.05]
 * @example kmeansCluster(new Float32Array([0, 0.1, 0, 1.1]), [4], {bits: 2, seed: 1, reserveZero: true}).indices // [0, 1, 0, 2]
 */
export function kmeansCluster(values: Float32Array, shape: readonly number[], options: KMeansOptions): SharedTensor {
  if (!(Number.isInteger(options.bits) && options.bits >= 1 && options.bits <= 16)) {
    throw new ConfigError(
      `kmeansCluster: bits an integer in [1, 16], got ${describe(options.bits)}. Use 4 or 5 as Deep Compression does.`,
    );
  }
  if (values.length === 0)
    throw new DataError(`kmeansCluster: a non-empty tensor, got 0 values. Pass a layer's kernel.`);
  for (const v of values) {
    if (!Number.isFinite(v))
      throw new DataError(`kmeansCluster: finite weights, got ${describe(v)}. Repair the layer before clustering.`);
  }
  if (!options.reserveZero) {
    const { codebook, indices } = lloyd(values, Math.min(2 ** options.bits, values.length), options);
    return { codebook, indices, shape: [...shape] };
  }
  // Code 0 is the exact zero; the nonzeros get 2^bits - 1 centroids, codes 1...
  const at: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) at.push(i);
  const indices = new Uint16Array(values.length);
  if (at.length === 0) return { codebook: new Float32Array(1), indices, shape: [...shape] };
  const nonzeros = Float32Array.from(at, (i) => values[i] as number);
  const inner = lloyd(nonzeros, Math.min(2 ** options.bits - 1, nonzeros.length), options);
  at.forEach((i, n) => {
    indices[i] = (inner.indices[n] as number) + 1;
  });
  return { codebook: Float32Array.from([0, ...inner.codebook]), indices, shape: [...shape] };
}

/** Lloyd's iterations with k >= 1 sorted centroids over finite, non-empty `values`. */
function lloyd(
  values: Float32Array,
  k: number,
  options: KMeansOptions,
): { codebook: Float32Array; indices: Uint16Array } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const rng = new Rng(options.seed);
  const sorted = values.slice().sort();
  let c: Float64Array;
  if (options.init === 'random') c = Float64Array.from({ length: k }, () => values[rng.int(values.length)] as number);
  else if (options.init === 'density')
    c = Float64Array.from({ length: k }, (_, i) => sorted[Math.floor(((i + 0.5) / k) * sorted.length)] as number);
  else c = Float64Array.from({ length: k }, (_, i) => (k === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * i) / (k - 1)));
  c.sort();
  const indices = new Uint16Array(values.length);
  const assign = (v: number): number => {
    let a = 0;
    let b = k - 1;
    while (a < b) {
      const m = (a + b) >> 1;
      if (v > ((c[m] as number) + (c[m + 1] as number)) / 2) a = m + 1;
      else b = m;
    }
    return a;
  };
  for (let it = 0; it < (options.iterations ?? 30); it++) {
    const sum = new Float64Array(k);
    const cnt = new Float64Array(k);
    let changed = it === 0;
    for (let i = 0; i < values.length; i++) {
      const j = assign(values[i] as number);
      if (j !== indices[i]) changed = true;
      indices[i] = j;
      sum[j] = (sum[j] as number) + (values[i] as number);
      cnt[j] = (cnt[j] as number) + 1;
    }
    for (let j = 0; j < k; j++) if ((cnt[j] as number) > 0) c[j] = (sum[j] as number) / (cnt[j] as number);
    if (!changed) break;
  }
  for (let i = 0; i < values.length; i++) indices[i] = assign(values[i] as number);
  return { codebook: Float32Array.from(c), indices };
}

/** The values a SharedTensor stands for. */
export function decodeShared(s: SharedTensor): Float32Array {
  return Float32Array.from(s.indices, (i) => s.codebook[i] as number);
}
