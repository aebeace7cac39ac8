// The plain-data description of a quantized model: which weights and which activations are
// quantized, with what parameters. PTQ and QAT produce one; the simulated forward pass and the
// ONNX exporter (QDQ / dynamic INT8) both read it, so they compute the same thing.
import { QParams } from './qparams';

/** How activations are quantized at run time. */
export type QuantMode = 'weight-only' | 'dynamic' | 'static';

/** A quantized model's parameters, keyed by layer name. */
export interface QuantPlan {
  readonly mode: QuantMode;
  readonly weightBits: number;
  /** Bits of activations (dynamic and static). */
  readonly activationBits: number;
  /** Quantization of each quantized layer's kernel (tfjs layout; per channel along the output axis). */
  readonly weights: Readonly<Record<string, QParams>>;
  /**
   * Static mode: quantization of each layer's output (the model input under its InputLayer's
   * name). Layers that only move values (max pooling, flatten, dropout) carry their input's.
   */
  readonly activations: Readonly<Record<string, QParams>>;
}

/** Layer classes whose outputs lie on their input's quantization grid. */
export const PASS_THROUGH = new Set(['MaxPooling2D', 'GlobalMaxPooling2D', 'Flatten', 'Dropout', 'Reshape']);

/** Layer classes whose kernels are quantized. */
export const WEIGHT_LAYERS = new Set(['Dense', 'Conv2D', 'DepthwiseConv2D']);

/**
 * Bias quantization of a statically quantized layer: int32 with scale inputScale * weightScale[c]
 * and zero point 0 (what ONNX Runtime's QLinearConv / QGemm accumulate into).
 */
export function biasQParams(input: QParams, weight: QParams): QParams {
  const s = input.scale[0] as number;
  const scale = Float32Array.from(weight.scale, (w) => w * s);
  return {
    bits: 32, signed: true, symmetric: true, axis: weight.axis === undefined ? undefined : 0, qmin: -(2 ** 31), qmax: 2 ** 31 - 1,
    scale, zeroPoint: new Int32Array(scale.length),
  };
}
