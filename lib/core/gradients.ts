// A faster matmul gradient registered through tfjs's public gradient API (tf.registerGradient).
//
// Speed: wasm's matmul with a transposed operand is 5-9x slower than the plain matmul, and
//    the stock BatchMatMul gradient asks for exactly those. Materializing the transpose first
//    (a cheap copy) and then running a plain matmul is several times faster end to end.
// The gradient is tested equal (within float error) to the stock one on the cpu backend.
import * as tf from '@tensorflow/tfjs';

type GradConfig = ReturnType<typeof tf.getGradient>;

const stock = new Map<string, GradConfig>();

/** Swaps the last two axes. */
function transposeLast2(x: tf.Tensor): tf.Tensor {
  if (x.rank === 2) return tf.transpose(x);
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1] as number, perm[x.rank - 2] as number];
  return tf.transpose(x, perm);
}

/** Matmul gradient with materialized transposes (same maths as tfjs's BatchMatMul_grad). */
const fastMatMulGrad: GradConfig = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const dyT = dy as tf.Tensor;
    // Broadcast batch dims are left to the stock gradient (they need a reduction we do not add).
    if (a.rank !== b.rank || (a.rank > 2 && a.shape.slice(0, -2).join() !== b.shape.slice(0, -2).join())) {
      return (stock.get('BatchMatMul') as GradConfig).gradFunc(dy, saved, attrs);
    }
    const T = transposeLast2;
    if (!transposeA && !transposeB) return { a: () => tf.matMul(dyT, T(b)), b: () => tf.matMul(T(a), dyT) };
    if (!transposeA && transposeB) return { a: () => tf.matMul(dyT, b), b: () => tf.matMul(T(dyT), a) };
    if (transposeA && !transposeB) return { a: () => tf.matMul(b, T(dyT)), b: () => tf.matMul(a, dyT) };
    return { a: () => tf.matMul(T(b), T(dyT)), b: () => tf.matMul(T(dyT), T(a)) };
  },
};

/**
 * BatchNorm gradient without `tile`: tfjs's stock gradient tiles the per-channel factor to the
 * whole input before multiplying, and wasm's Tile is slow (a fifth of a conv net's step);
 * broadcasting gives the same values.
 */
const fastBatchNormGrad: GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const { varianceEpsilon } = attrs as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const dyT = dy as tf.Tensor;
    if (mean.rank !== 1) return (stock.get('FusedBatchNorm') as GradConfig).gradFunc(dy, saved, attrs);
    const axes = [...Array(x.rank - 1).keys()];
    const scaleValue = scale ?? tf.scalar(1);
    const inv = tf.rsqrt(tf.add(variance, varianceEpsilon));
    const xMinusMean = tf.sub(x, mean);
    const dyScaled = tf.mul(dyT, scaleValue);
    return {
      x: () => tf.mul(dyT, tf.mul(inv, scaleValue)),
      mean: () => tf.reshape(tf.sum(tf.mul(tf.neg(inv), dyScaled), axes), mean.shape),
      variance: () =>
        tf.reshape(tf.sum(tf.mul(tf.mul(tf.mul(tf.pow(inv, 3), -0.5), xMinusMean), dyScaled), axes), mean.shape),
      scale: () => tf.reshape(tf.sum(tf.mul(dyT, tf.mul(xMinusMean, inv)), axes), mean.shape),
      offset: () => tf.reshape(tf.sum(dyT, axes), mean.shape),
    };
  },
};

/** Which gradient sets are installed in place of tfjs's stock ones. */
export interface GradientOptions {
  /** Matmul gradients with materialized transposes and a tile-free BatchNorm gradient (faster on wasm, equal maths). */
  readonly fastMatMul: boolean;
}

function swap(config: GradConfig, install: boolean): void {
  const name = config.kernelName;
  if (!stock.has(name)) stock.set(name, tf.getGradient(name));
  tf.unregisterGradient(name);
  tf.registerGradient(install ? config : (stock.get(name) as GradConfig));
}

/**
 * Installs (or restores to tfjs's stock) the library's gradients. Global: affects every backend.
 * @example setGradients({fastMatMul: false}) // back to tfjs's stock matmul gradient
 */
export function setGradients(options: GradientOptions): void {
  swap(fastMatMulGrad, options.fastMatMul);
  swap(fastBatchNormGrad, options.fastMatMul);
  current = { ...options };
}

let current: GradientOptions = { fastMatMul: false };

/** The gradient sets installed now. */
export function currentGradients(): GradientOptions {
  return { ...current };
}
