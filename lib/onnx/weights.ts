// Quantizing one ONNX weight tensor with the library's primitives (quantize/qparams and
// quantize/affine: the same scale, zero point and rounding as the tfjs path), in ONNX layouts:
// Conv W [outC, inC/group, k...] per channel on axis 0, ConvTranspose W [inC, outC/group, k...]
// on axis 1, MatMul B [K, N] on axis 1, Gemm B on axis 1 ([K, N]) or 0 (transB: [N, K]).
import * as tf from '@tensorflow/tfjs';
import { QParams, chooseQParams } from '../quantize/qparams';
import { dequantize, quantize } from '../quantize/affine';

/** How a weight is quantized. */
export interface WeightSpec {
  readonly bits: number;
  readonly symmetric: boolean;
  /** Per-channel axis (ONNX layout); per tensor when absent. */
  readonly axis?: number;
  /** Blockwise (rank-2 [K, N] weights, axis 1): values per block along K. */
  readonly blockSize?: number;
}

/** A quantized weight: integers, parameters, and the signal-to-quantization-noise ratio it keeps. */
export interface QuantizedWeight {
  readonly q: Int32Array;
  readonly qp: QParams;
  readonly sqnrDb: number;
}

/**
 * Quantizes `values` of `dims` with `spec` (symmetric weights are signed with zero point 0; others
 * unsigned). Needs a ready tfjs backend (the verbs await tf.ready()).
 * @example quantizeWeight(Float32Array.of(-1, 0.5, 2, 4), [2, 2], {bits: 8, symmetric: true, axis: 0}).q // [-127, 64, 64, 127]
 */
export function quantizeWeight(values: Float32Array, dims: readonly number[], spec: WeightSpec): QuantizedWeight {
  const w = tf.tensor(values, dims.length ? [...dims] : [1], 'float32');
  try {
    const qp = chooseQParams(w, {
      bits: spec.bits,
      symmetric: spec.symmetric,
      signed: spec.symmetric,
      ...(spec.axis !== undefined ? { axis: spec.axis } : {}),
      ...(spec.blockSize !== undefined ? { blockSize: spec.blockSize } : {}),
    });
    const [q, deq] = tf.tidy(() => {
      const ints = quantize(w, qp);
      return [ints, dequantize(ints, qp)];
    });
    const ints = q.dataSync() as Int32Array;
    const back = deq.dataSync() as Float32Array;
    tf.dispose([q, deq]);
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      const d = v - (back[i] as number);
      signal += v * v;
      noise += d * d;
    }
    return { q: ints, qp, sqnrDb: noise === 0 ? Infinity : 10 * Math.log10(signal / noise) };
  } finally {
    w.dispose();
  }
}

/** The integers as the ONNX 8-bit type of their parameters (int8 when signed, else uint8). */
export function eightBit(w: QuantizedWeight): Int8Array | Uint8Array {
  return w.qp.signed ? Int8Array.from(w.q) : Uint8Array.from(w.q);
}

/** The zero points as the ONNX 8-bit type of their parameters. */
export function zeroPoints(qp: QParams): Int8Array | Uint8Array {
  return qp.signed ? Int8Array.from(qp.zeroPoint) : Uint8Array.from(qp.zeroPoint);
}

/** Transposes a row-major [rows, cols] matrix. */
export function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] as number;
  return out;
}
