// Summary features of input examples for drift detection. A 784-pixel image is too many
// dimensions to compare bin by bin with a few hundred examples, so each example is reduced to a
// handful of statistics that move when the input distribution moves: brightness (mean), contrast
// (std), ink (fraction of values above 0.5) and, for square images, the mean of each cell of a
// 3x3 grid (where the ink is: rotation and translation move it).

/** Names of the features {@link inputFeatures} computes for an example of `exampleSize` values. */
export function featureNames(exampleSize: number): string[] {
  const side = Math.round(Math.sqrt(exampleSize));
  const base = ['mean', 'std', 'inkFraction'];
  if (side * side === exampleSize && side >= 3) {
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) base.push(`grid${r}${c}Mean`);
  } else {
    for (let q = 0; q < 4; q++) base.push(`quarter${q}Mean`);
  }
  return base;
}

/**
 * Features of `count` examples stored row-major in `values` (each `exampleSize` long); returns a
 * row-major (count, features) array, features in the order of {@link featureNames}.
 * @example inputFeatures(new Float32Array([0, 1, 1, 0]), 1, 4) // mean 0.5, std 0.5, ink 0.5, quarters 0,1,1,0
 */
export function inputFeatures(values: ArrayLike<number>, count: number, exampleSize: number): Float32Array {
  const names = featureNames(exampleSize);
  const f = names.length;
  const out = new Float32Array(count * f);
  const side = Math.round(Math.sqrt(exampleSize));
  const square = side * side === exampleSize && side >= 3;
  const cells = square ? 9 : 4;
  const sums = new Float64Array(cells);
  const sizes = new Float64Array(cells);
  for (let n = 0; n < count; n++) {
    const off = n * exampleSize;
    let s = 0;
    let s2 = 0;
    let ink = 0;
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < exampleSize; i++) {
      const v = values[off + i] as number;
      s += v;
      s2 += v * v;
      if (v > 0.5) ink++;
      const cell = square
        ? Math.min(2, Math.floor((Math.floor(i / side) * 3) / side)) * 3 +
          Math.min(2, Math.floor(((i % side) * 3) / side))
        : Math.min(3, Math.floor((i * 4) / exampleSize));
      sums[cell] = (sums[cell] as number) + v;
      sizes[cell] = (sizes[cell] as number) + 1;
    }
    const mean = s / exampleSize;
    out[n * f] = mean;
    out[n * f + 1] = Math.sqrt(Math.max(0, s2 / exampleSize - mean * mean));
    out[n * f + 2] = ink / exampleSize;
    for (let c = 0; c < cells; c++) out[n * f + 3 + c] = (sums[c] as number) / Math.max(1, sizes[c] as number);
  }
  return out;
}

/** Index of the largest value and the value, per row of a row-major (count, classes) array. */
export function argmaxRows(
  probs: ArrayLike<number>,
  count: number,
  classes: number,
): { labels: Int32Array; confidences: Float32Array } {
  const labels = new Int32Array(count);
  const confidences = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    let best = 0;
    let bv = -Infinity;
    for (let k = 0; k < classes; k++) {
      const v = probs[n * classes + k] as number;
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    labels[n] = best;
    confidences[n] = bv;
  }
  return { labels, confidences };
}
