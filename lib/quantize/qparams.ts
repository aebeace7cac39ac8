// Quantization parameters of the affine mapping x ~ scale * (q - zeroPoint) (Jacob et al. 2018,
// arXiv:1712.05877): bits, symmetric or asymmetric, signed or unsigned integers, per tensor or per
// channel along any axis, or blockwise (per channel and per block of the other axis of a
// rank-2 kernel). Zero is always exactly representable (zero padding and ReLU need it).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, ShapeError, describe } from '../errors';
import { blockCount, toBlocks } from './blockwise';

/** How a tensor is quantized (plain data). */
export interface QuantSpec {
  /** Integer width, 2-16. */
  readonly bits: number;
  /** Symmetric: zeroPoint is the middle of the integer range (0 when signed). Default false. */
  readonly symmetric?: boolean;
  /** Signed integers (int8: [-128, 127]) or unsigned (uint8: [0, 255]). Default: symmetric. */
  readonly signed?: boolean;
  /** Per-channel along this axis (negative counts from the end); per tensor when absent. */
  readonly axis?: number;
  /**
   * Blockwise (rank-2 tensors, with `axis`): blocks of this many consecutive values along the
   * other axis, one scale and zero point per block and channel (see blockwise.ts).
   */
  readonly blockSize?: number;
}

/** Quantization parameters: one scale and zero point per channel (one entry when per tensor). */
export interface QParams {
  readonly bits: number;
  readonly signed: boolean;
  readonly symmetric: boolean;
  /** Resolved non-negative channel axis, or undefined for per tensor. */
  readonly axis?: number;
  readonly qmin: number;
  readonly qmax: number;
  /** One per channel; blockwise, one per (block, channel) in the tensor's layout with the block axis shrunk to the block count. */
  readonly scale: Float32Array;
  readonly zeroPoint: Int32Array;
  /** Blockwise: values per block along the non-channel axis of a rank-2 tensor. */
  readonly blockSize?: number;
}

/** The integer range of a spec: symmetric signed uses the restricted range [-(2^(b-1)-1), 2^(b-1)-1]. */
export function integerRange(spec: QuantSpec): { qmin: number; qmax: number } {
  checkBits('integerRange', spec.bits);
  const signed = spec.signed ?? spec.symmetric ?? false;
  const half = 2 ** (spec.bits - 1);
  if (signed) return spec.symmetric ? { qmin: -(half - 1), qmax: half - 1 } : { qmin: -half, qmax: half - 1 };
  return { qmin: 0, qmax: 2 * half - 1 };
}

function checkBits(fn: string, bits: number): void {
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 16)) {
    throw new ConfigError(`${fn}: bits an integer in [2, 16], got ${describe(bits)}. Use 8 for int8 or 4 for int4.`);
  }
}

/**
 * Quantization parameters covering [min[c], max[c]] for each channel c (the range is widened to
 * include 0, and the zero point rounded, so 0 maps exactly to an integer).
 * @example qparamsFromRange([-1], [3], {bits: 8}).scale[0] // 4 / 255
 */
export function qparamsFromRange(
  min: ArrayLike<number>,
  max: ArrayLike<number>,
  spec: QuantSpec,
  axis?: number,
): QParams {
  checkBits('chooseQParams', spec.bits);
  if (min.length !== max.length || min.length === 0) {
    throw new ConfigError(
      `chooseQParams: min and max of equal non-zero length, got ${min.length} and ${max.length}. Pass one value per channel.`,
    );
  }
  const symmetric = spec.symmetric ?? false;
  const signed = spec.signed ?? symmetric;
  const { qmin, qmax } = integerRange({ ...spec, symmetric, signed });
  const n = min.length;
  const scale = new Float32Array(n);
  const zeroPoint = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    const lo = Math.min(min[c] as number, 0);
    const hi = Math.max(max[c] as number, 0);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      throw new DataError(
        `chooseQParams: finite ranges, got [${describe(min[c])}, ${describe(max[c])}] at channel ${c}. ` +
          `Remove NaN/Infinity from the weights or activations first.`,
      );
    }
    if (symmetric) {
      const amax = Math.max(-lo, hi);
      const z = signed ? 0 : Math.floor((qmax + 1) / 2);
      const levels = signed ? qmax : qmax - z;
      scale[c] = amax > 0 ? amax / levels : 1;
      zeroPoint[c] = z;
    } else {
      const s = (hi - lo) / (qmax - qmin);
      scale[c] = s > 0 ? s : 1;
      zeroPoint[c] = Math.min(qmax, Math.max(qmin, Math.round(qmin - lo / (scale[c] as number))));
    }
  }
  return { bits: spec.bits, signed, symmetric, axis, qmin, qmax, scale, zeroPoint };
}

/** Resolves a possibly negative axis against a rank. */
export function resolveAxis(fn: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(Number.isInteger(a) && a >= 0 && a < rank)) {
    throw new ConfigError(
      `${fn}: axis in [${-rank}, ${rank - 1}] for a rank-${rank} tensor, got ${describe(axis)}. ` +
        `Use -1 for the output channels of a Dense or Conv2D kernel.`,
    );
  }
  return a;
}

/**
 * Chooses scale and zero point from the min and max of `x` (per tensor, per channel along
 * `spec.axis`, or per block and channel with `spec.blockSize`). The input is borrowed. Throws
 * DataError on non-finite values.
 * @example chooseQParams(tf.tensor1d([-1, 0, 3]), {bits: 8}) // scale 4/255, zeroPoint 64
 * @example chooseQParams(tf.tensor2d([[1], [2], [-4], [0]]), {bits: 4, symmetric: true, axis: 1, blockSize: 2}).scale // [2/7, 4/7]
 */
export function chooseQParams(x: tf.Tensor, spec: QuantSpec): QParams {
  checkBits('chooseQParams', spec.bits);
  if (x.size === 0)
    throw new DataError(
      `chooseQParams: a non-empty tensor, got shape [${x.shape.join(', ')}]. Pass the weights or recorded activations.`,
    );
  const axis = spec.axis === undefined ? undefined : resolveAxis('chooseQParams', spec.axis, x.rank);
  const blockSize = spec.blockSize;
  if (
    blockSize !== undefined &&
    !(Number.isInteger(blockSize) && blockSize >= 1 && x.rank === 2 && axis !== undefined)
  ) {
    throw new ConfigError(
      `chooseQParams: blockSize a positive integer with a channel axis on a rank-2 tensor, got blockSize ${describe(blockSize)}, axis ${describe(spec.axis)}, ` +
        `shape [${x.shape.join(', ')}]. Quantize a Dense kernel [in, out] with axis 1 and blockSize 32.`,
    );
  }
  const [mins, maxs] = tf.tidy(() => {
    if (blockSize !== undefined) {
      // Zero padding of the last block cannot change a range that always includes 0.
      const blocks = toBlocks(x, axis as number, blockSize);
      const inner = axis === 1 ? 1 : 2;
      return [tf.min(blocks, inner), tf.max(blocks, inner)];
    }
    const reduce = axis === undefined ? undefined : x.shape.map((_, i) => i).filter((i) => i !== axis);
    return [tf.min(x, reduce), tf.max(x, reduce)];
  });
  const lo = mins.dataSync();
  const hi = maxs.dataSync();
  mins.dispose();
  maxs.dispose();
  const qp = qparamsFromRange(lo, hi, spec, axis);
  return blockSize === undefined ? qp : { ...qp, blockSize };
}

/** Scale and zero point shaped to broadcast against a tensor of `rank` (per channel: 1s except `axis`). */
export function broadcastParams(qp: QParams, rank: number): { scale: tf.Tensor; zeroPoint: tf.Tensor } {
  const shape =
    qp.axis === undefined ? [] : Array.from({ length: rank }, (_, i) => (i === qp.axis ? qp.scale.length : 1));
  return {
    scale: tf.tensor(qp.axis === undefined ? (qp.scale[0] as number) : qp.scale, shape, 'float32'),
    zeroPoint: tf.tensor(
      qp.axis === undefined ? (qp.zeroPoint[0] as number) : Float32Array.from(qp.zeroPoint),
      shape,
      'float32',
    ),
  };
}

/** Validates that `qp` (blockwise) fits a tensor of `shape`; `fn` names the caller. */
export function checkBlocks(fn: string, shape: readonly number[], qp: QParams): void {
  const bs = qp.blockSize as number;
  const axis = qp.axis;
  if (shape.length !== 2 || (axis !== 0 && axis !== 1)) {
    throw new ShapeError(
      `${fn}: blockwise parameters for a rank-2 kernel with a channel axis 0 or 1, got shape [${shape.join(', ')}] and axis ${axis}. ` +
        `Quantize Dense kernels blockwise; other kernels per channel.`,
    );
  }
  const channels = shape[axis] as number;
  const blocks = blockCount(shape[1 - axis] as number, bs);
  if (qp.scale.length !== blocks * channels || qp.zeroPoint.length !== blocks * channels) {
    throw new ShapeError(
      `${fn}: ${blocks} blocks x ${channels} channels of parameters for shape [${shape.join(', ')}] with blocks of ${bs}, ` +
        `got ${qp.scale.length} scales. Choose the parameters from a tensor of this shape.`,
    );
  }
}

/** Scale and zero point shaped to broadcast against the blocked view: [nBlocks, 1, N] or [N, nBlocks, 1]. */
export function blockParams(qp: QParams, shape: readonly number[]): { scale: tf.Tensor; zeroPoint: tf.Tensor } {
  const axis = qp.axis as number;
  const channels = shape[axis] as number;
  const blocks = blockCount(shape[1 - axis] as number, qp.blockSize as number);
  const dims = axis === 1 ? [blocks, 1, channels] : [channels, blocks, 1];
  return {
    scale: tf.tensor(qp.scale, dims, 'float32'),
    zeroPoint: tf.tensor(Float32Array.from(qp.zeroPoint), dims, 'float32'),
  };
}
