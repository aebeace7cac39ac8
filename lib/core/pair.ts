// A 2-D attribute of a layer or kernel (kernelSize, strides, dilationRate, poolSize, padding
// entries) given as one number or as [height, width], read as [height, width]. The one reader:
// Keras configs, tfjs kernel attributes and every exporter go through it.

/**
 * `v` as [height, width]: a number n -> [n, n]; [h] -> [h, h]; [h, w] -> [h, w]; null or
 * undefined -> the fallback (a number n means [n, n]).
 * @example pair(3) // [3, 3]
 * @example pair([2, 1]) // [2, 1]
 * @example pair(undefined, [2, 2]) // [2, 2]
 */
export function pair(v: unknown, fallback: number | readonly [number, number] = 1): [number, number] {
  const [fh, fw] = typeof fallback === 'number' ? [fallback, fallback] : fallback;
  if (v === undefined || v === null) return [fh, fw];
  if (Array.isArray(v)) return [Number(v[0] ?? fh), Number(v[1] ?? v[0] ?? fw)];
  return [Number(v), Number(v)];
}
