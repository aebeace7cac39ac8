// Simulated distribution shifts for drift demonstrations and tests: additive Gaussian noise and
// rotation of square images. Inputs are row-major example arrays; outputs are new arrays.
import { ConfigError, describe } from '../lib/errors';
import { Rng } from '../lib/core/rng';

/**
 * Adds N(0, std^2) noise to every value and clips to [min, max] (default [0, 1]).
 * @example addNoise(new Float32Array([0.5]), {std: 0, seed: 1}) // [0.5]
 */
export function addNoise(
  values: ArrayLike<number>,
  options: { readonly std: number; readonly seed: number; readonly min?: number; readonly max?: number },
): Float32Array {
  if (!(options.std >= 0)) throw new ConfigError(`addNoise: std >= 0, got ${describe(options.std)}. Use e.g. 0.3.`);
  const rng = new Rng(options.seed);
  const lo = options.min ?? 0;
  const hi = options.max ?? 1;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++)
    out[i] = Math.min(hi, Math.max(lo, (values[i] as number) + options.std * rng.normal()));
  return out;
}

/**
 * Rotates each square image (side x side, row-major) by `degrees` counter-clockwise about its
 * centre, nearest-neighbour sampling, zero outside.
 * @example rotateImages(new Float32Array([1, 0, 0, 0]), 1, 90) // [0, 0, 1, 0]
 */
export function rotateImages(values: ArrayLike<number>, count: number, degrees: number): Float32Array {
  const size = values.length / count;
  const side = Math.round(Math.sqrt(size));
  if (!(Number.isInteger(count) && count > 0) || side * side !== size) {
    throw new ConfigError(
      `rotateImages: count square images, got ${values.length} values for count ${describe(count)}. Pass row-major side x side images.`,
    );
  }
  const out = new Float32Array(values.length);
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const c = (side - 1) / 2;
  for (let n = 0; n < count; n++) {
    const off = n * size;
    for (let r = 0; r < side; r++) {
      for (let col = 0; col < side; col++) {
        // Inverse mapping: the source pixel that lands on (r, col).
        const x = col - c;
        const y = c - r;
        const sx = Math.round(cos * x + sin * y + c);
        const sy = Math.round(c - (-sin * x + cos * y));
        if (sx >= 0 && sx < side && sy >= 0 && sy < side)
          out[off + r * side + col] = values[off + sy * side + sx] as number;
      }
    }
  }
  return out;
}
