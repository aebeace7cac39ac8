// Blockwise (group-wise) quantization of a rank-2 kernel: the input axis is cut into blocks of
// `blockSize` consecutive values, and each (block, output channel) pair has its own scale and
// zero point. What ONNX Runtime's MatMulNBits stores (4-bit weights, blocks of 16-128 along K),
// torchao's int4 weight-only `group_size` and GPTQ/AWQ groups mean. A Dense kernel [K, N] is
// quantized per channel along axis 1 with blocks along axis 0; its parameters are laid out
// [nBlocks, N] (the kernel's layout with K replaced by the block index).
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors';
import type { QParams } from './qparams';

/** Number of blocks covering `length` values. @example blockCount(784, 32) // 25 (the last block half full) */
export function blockCount(length: number, blockSize: number): number {
  return Math.ceil(length / blockSize);
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

/**
 * The blocked view of a rank-2 tensor quantized per channel along `axis`: the other axis padded
 * with zeros to whole blocks and split in two. [K, N] (axis 1) -> [nBlocks, blockSize, N];
 * [N, K] (axis 0) -> [N, nBlocks, blockSize]. The input is borrowed; the caller owns the result.
 */
export function toBlocks(x: tf.Tensor, axis: number, blockSize: number): tf.Tensor {
  return tf.tidy(() => {
    const along = 1 - axis;
    const length = x.shape[along] as number;
    const channels = x.shape[axis] as number;
    const blocks = blockCount(length, blockSize);
    const pad = blocks * blockSize - length;
    const padded =
      pad === 0
        ? x
        : tf.pad(
            x,
            along === 0
              ? [
                  [0, pad],
                  [0, 0],
                ]
              : [
                  [0, 0],
                  [0, pad],
                ],
          );
    return tf.reshape(padded, along === 0 ? [blocks, blockSize, channels] : [channels, blocks, blockSize]);
  });
}

/** The inverse of {@link toBlocks}: back to `shape`, the padding cut off. The input is borrowed. */
export function fromBlocks(t: tf.Tensor, shape: readonly number[], axis: number): tf.Tensor {
  return tf.tidy(() => {
    const along = 1 - axis;
    const [a, b, c] = t.shape as [number, number, number];
    const flat = tf.reshape(t, along === 0 ? [a * b, c] : [a, b * c]);
    return flat.shape[along] === shape[along] ? flat : tf.slice(flat, [0, 0], [...shape]);
  });
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
