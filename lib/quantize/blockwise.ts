// Blockwise (group-wise) quantization of a rank-2 kernel: the input axis is cut into blocks of
// `blockSize` consecutive values, and each (block, output channel) pair has its own scale and
// zero point. What ONNX Runtime's MatMulNBits stores (4-bit weights, blocks of 16-128 along K),
// torchao's int4 weight-only `group_size` and GPTQ/AWQ groups mean. A Dense kernel [K, N] is
// quantized per channel along axis 1 with blocks along axis 0; its parameters are laid out
// [nBlocks, N] (the kernel's layout with K replaced by the block index). This file is the layout
// only (no QParams); the parameters' own checks and shapes live in qparams.ts.
import * as tf from '@tensorflow/tfjs';

/** Number of blocks covering `length` values. @example blockCount(784, 32) // 25 (the last block half full) */
export function blockCount(length: number, blockSize: number): number {
  return Math.ceil(length / blockSize);
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
