// The order fine-grained pruning keeps weights in (Han et al. 2015, arXiv:1506.02626): the
// round(sparsity * elements) smallest |w| are zeroed, ties broken by position, so the number of
// zeros is exact whatever ties. Shared by prune's masks and quantize's Deep Compression.

/** Number of zeros a mask of `elements` entries at `sparsity` has. */
export function zerosFor(elements: number, sparsity: number): number {
  return Math.round(sparsity * elements);
}

/**
 * Positions of the `count` smallest values of `abs` (non-negative), ties by position, as a
 * 0/1 keep array. Sorting a float64 key (float bits * n + index) keeps it exact and fast.
 */
export function keepLargest(abs: Float32Array, count: number): Uint8Array {
  const n = abs.length;
  const keep = new Uint8Array(n).fill(1);
  if (count <= 0) return keep;
  const bits = new Uint32Array(abs.buffer, abs.byteOffset, n);
  let order: ArrayLike<number>;
  if (n < 2 ** 22) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (bits[i] as number) * n + i;
    keys.sort();
    const idx = new Int32Array(count);
    for (let k = 0; k < count; k++) idx[k] = (keys[k] as number) % n;
    order = idx;
  } else {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => (abs[a] as number) - (abs[b] as number) || a - b);
    order = idx.slice(0, count);
  }
  for (let k = 0; k < count; k++) keep[order[k] as number] = 0;
  return keep;
}
