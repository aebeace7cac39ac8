// Blockwise int4 Dense kernels -> ONNX Runtime's com.microsoft MatMulNBits (docs/ContribOperators.md
// of microsoft/onnxruntime): B uint8 [N, nBlocks, blockSize * bits / 8], each block's values
// packed along K, two 4-bit values a byte, the first in the low nibble; scales float32
// [N * nBlocks]; zero points packed the same way per output channel ([N * ceil(nBlocks / 2)]),
// or omitted when the integers are symmetric signed (stored shifted by 8, MatMulNBits' default
// zero point). tfjs kernels are [K, N] with parameters [nBlocks, N]: transposed here.
import * as tf from '@tensorflow/tfjs';
import { ExportError } from '../../errors';
import { QParams } from '../../quantize/qparams';
import { quantize } from '../../quantize/affine';
import { blockCount } from '../../quantize/blockwise';
import { MS_DOMAIN, OnnxGraph } from './builder';

/** How zero points are stored: packed 4-bit (ONNX Runtime), or one float per block (also what OpenVINO's importer reads). */
export type ZeroPointStorage = 'packed' | 'float';

/** MatMulNBits' inputs and attributes for one kernel (plain arrays, ORT's layouts). */
export interface MatMulNBitsData {
  readonly k: number;
  readonly n: number;
  readonly bits: number;
  readonly blockSize: number;
  readonly blocks: number;
  /** [N, nBlocks, blobBytes]. */
  readonly b: Uint8Array;
  /** [N * nBlocks], channel-major. */
  readonly scales: Float32Array;
  /** Absent for symmetric signed integers (the default zero point 2^(bits-1) applies). */
  readonly zeroPoints?: Uint8Array | Float32Array;
}

/**
 * Packs a tfjs Dense kernel [K, N] quantized blockwise by `qp` (4 bits, channel axis 1) into
 * MatMulNBits' layout. The padding of the last block holds the zero point (dequantizes to 0).
 * @example packMatMulNBits(kernel, [784, 256], qp).b.length // 256 * 25 * 16
 */
export function packMatMulNBits(
  data: Float32Array,
  shape: readonly number[],
  qp: QParams,
  zeroPoints: ZeroPointStorage = 'packed',
): MatMulNBitsData {
  const [k, n] = shape as [number, number];
  if (qp.blockSize === undefined || qp.axis !== 1 || qp.bits !== 4 || shape.length !== 2) {
    throw new ExportError(
      `toOnnx: 4-bit blockwise kernel parameters along the input axis of a [K, N] kernel, got ${qp.bits} bits, axis ${qp.axis}, ` +
        `blockSize ${qp.blockSize}. Quantize with quantize.postTraining(model, {mode: 'weight-only', weightBits: 4}).`,
    );
  }
  const bs = qp.blockSize;
  const blocks = blockCount(k, bs);
  const q = tf.tidy(() => quantize(tf.tensor2d(data, [k, n]), qp).dataSync() as Int32Array);
  const shift = qp.signed && qp.symmetric ? 1 << (qp.bits - 1) : 0;
  const blob = bs / 2;
  const b = new Uint8Array(n * blocks * blob);
  const scales = new Float32Array(n * blocks);
  const zp = new Int32Array(n * blocks);
  for (let c = 0; c < n; c++) {
    for (let blk = 0; blk < blocks; blk++) {
      const p = blk * n + c; // tfjs parameter layout [nBlocks, N]
      const o = c * blocks + blk; // ORT layout [N, nBlocks]
      scales[o] = qp.scale[p] as number;
      zp[o] = (qp.zeroPoint[p] as number) + shift;
      for (let i = 0; i < bs; i += 2) {
        const at = (r: number) => (r < k ? (q[r * n + c] as number) + shift : (zp[o] as number));
        b[o * blob + i / 2] = (at(blk * bs + i) & 15) | ((at(blk * bs + i + 1) & 15) << 4);
      }
    }
  }
  let zeroPointData: Uint8Array | Float32Array | undefined;
  if (!shift) {
    if (zeroPoints === 'float') zeroPointData = Float32Array.from(zp);
    else {
      const per = Math.ceil(blocks / 2);
      zeroPointData = new Uint8Array(n * per);
      for (let c = 0; c < n; c++)
        for (let blk = 0; blk < blocks; blk++)
          zeroPointData[c * per + (blk >> 1)]! |= ((zp[c * blocks + blk] as number) & 15) << ((blk & 1) * 4);
    }
  }
  return { k, n, bits: 4, blockSize: bs, blocks, b, scales, ...(zeroPointData ? { zeroPoints: zeroPointData } : {}) };
}

/** Emits MatMulNBits(x, B, scales[, zero points][, bias]) and returns its output name. */
export function emitMatMulNBits(
  g: OnnxGraph,
  base: string,
  x: string,
  m: MatMulNBitsData,
  bias?: Float32Array,
): string {
  const inputs = [
    x,
    g.constant(`${base}_kernel_packed`, m.b, [m.n, m.blocks, m.blockSize / 2]),
    g.constant(`${base}_kernel_scale`, m.scales, [m.n * m.blocks]),
  ];
  if (m.zeroPoints) inputs.push(g.constant(`${base}_kernel_zero_point`, m.zeroPoints, [m.zeroPoints.length]));
  if (bias) {
    while (inputs.length < 5) inputs.push(''); // zero_points and g_idx left out
    inputs.push(g.constant(`${base}_bias`, bias, [m.n]));
  }
  return g.op(
    'MatMulNBits',
    inputs,
    base,
    { K: { int: m.k }, N: { int: m.n }, bits: { int: m.bits }, block_size: { int: m.blockSize } },
    MS_DOMAIN,
  );
}
