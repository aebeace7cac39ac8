// Weights as TFLite stores them: float32, or int8 kernels (symmetric, zero point 0, per output
// channel for convolutions) with int32 biases on scale inputScale * weightScale[c] (zero point 0),
// as TFLite's int8 kernels require. Also the per-channel affine map of an inference-mode
// BatchNormalization (y = x * scale + shift), used to fold it into the op before it or to write
// it as MUL + ADD.
import * as tf from '@tensorflow/tfjs';
import { ExportError } from '../../errors';
import { GraphNode } from '../../core/graph';
import { QParams } from '../../quantize/qparams';
import { quantize } from '../../quantize/affine';
import { BatchNormAffine, batchNormAffine as affineOf } from '../../core/batchnorm';
import { config, exporterReaders, transpose4 } from '../layer-data';

export { config, transpose4 };

/** layer-data's weight reader (ExportError on NaN or Infinity), batchNorm reader and configuration error, as toTflite's. */
export const { layerWeights, batchNormParams, unsupported } = exporterReaders('toTflite');

/** Checks that kernel parameters are what TFLite's int8 kernels take: symmetric signed, at most 8 bits. */
export function checkKernelParams(node: GraphNode, qp: QParams): void {
  if (!qp.signed || qp.zeroPoint.some((z) => z !== 0) || qp.bits > 8) {
    throw new ExportError(
      `toTflite: symmetric signed kernels of at most 8 bits (zero point 0), got ${qp.bits}-bit ${qp.signed ? 'signed' : 'unsigned'} ` +
        `integers with zero point ${qp.zeroPoint[0]} in layer "${node.name}". Quantize with weightSymmetric true and weightBits <= 8 (the defaults).`,
    );
  }
}

/** Integer kernel of `data` (tfjs layout `shape`) under `qp`, as int8. */
export function quantizeKernel(data: Float32Array, shape: readonly number[], qp: QParams): Int8Array {
  const q = tf.tidy(() => quantize(tf.tensor(data, [...shape]), qp));
  const out = Int8Array.from(q.dataSync());
  q.dispose();
  return out;
}

/**
 * Per-tensor symmetric parameters for a kernel quantized per channel under `qp`: the scale that
 * covers the largest |w| of `kernel`. Read from the weights, not from the channel scales: a
 * channel of zeros has scale 1 in a per-channel plan (any scale represents it), and taking the
 * largest channel scale would then round every other weight to zero.
 */
export function perTensor(qp: QParams, kernel: Float32Array): QParams {
  if (qp.axis === undefined) return qp;
  let amax = 0;
  for (let i = 0; i < kernel.length; i++) amax = Math.max(amax, Math.abs(kernel[i] as number));
  const scale = amax > 0 ? amax / qp.qmax : 1;
  return { ...qp, axis: undefined, scale: Float32Array.of(scale), zeroPoint: Int32Array.of(0) };
}

/** int32 bias on scale inputScale * weightScale[c], zero point 0 (one scale when per tensor). */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  qp: QParams,
): { data: Int32Array; scale: number[] } {
  const scale = Array.from(qp.scale, (s) => Math.fround(s * inputScale));
  const data = Int32Array.from(bias, (b, c) => {
    const q = Math.round(b / (scale[qp.axis === undefined ? 0 : c] as number));
    return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, q));
  });
  return { data, scale };
}

/** Inference-mode BatchNormalization as y = x * scale + shift per channel. */
export function batchNormAffine(node: GraphNode): BatchNormAffine {
  return affineOf(batchNormParams(node));
}

/** True when a BatchNormalization normalizes the last (channel) axis. */
export function lastAxisBatchNorm(node: GraphNode): boolean {
  const axis = config<number | undefined>(node, 'axis') ?? -1;
  return axis === -1 || axis === node.outputShape.length;
}
