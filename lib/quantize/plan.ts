// The plain-data description of a quantized model: its mode, bits, placement, and the
// quantization of each quantized kernel and each activation point. A quantized model carries
// it: the kernels' parameters in the model's user-defined metadata (saved in model.json), the
// activations' in its FakeQuantize layers. `planOf(model)` reads both back, so the exporters
// need nothing but the model.
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../errors';
import { ActivationPlacement } from './placement';
import { QParams } from './qparams';
import { FakeQuantize } from './fake-quantize-layer';
import { modelGraph } from '../core/graph';

/** How activations are quantized at run time. */
export type QuantMode = 'weight-only' | 'dynamic' | 'static';

/** A quantized model's parameters, keyed by layer name. */
export interface QuantPlan {
  readonly mode: QuantMode;
  readonly weightBits: number;
  /** Bits of activations (dynamic and static). */
  readonly activationBits: number;
  readonly placement: ActivationPlacement;
  /** Quantization of each quantized layer's kernel (tfjs layout; per channel along the registry's axis). */
  readonly weights: Readonly<Record<string, QParams>>;
  /**
   * Static mode: the quantization of each activation point, keyed by the layer whose output it
   * quantizes (the model input under its InputLayer's name).
   */
  readonly activations: Readonly<Record<string, QParams>>;
}

/**
 * Bias quantization of a statically quantized layer: int32 with scale inputScale * weightScale[c]
 * and zero point 0 (what ONNX Runtime's QLinearConv / QGemm accumulate into).
 */
export function biasQParams(input: QParams, weight: QParams): QParams {
  const s = input.scale[0] as number;
  const scale = Float32Array.from(weight.scale, (w) => w * s);
  return {
    bits: 32,
    signed: true,
    symmetric: true,
    axis: weight.axis === undefined ? undefined : 0,
    qmin: -(2 ** 31),
    qmax: 2 ** 31 - 1,
    scale,
    zeroPoint: new Int32Array(scale.length),
  };
}

const KEY = 'tfjsCompressQuantization';

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** QParams as JSON (per-channel arrays as base64 of their little-endian bytes: compact and exact). */
interface QParamsJson {
  bits: number;
  signed: boolean;
  symmetric: boolean;
  axis: number | null;
  qmin: number;
  qmax: number;
  scale: string;
  zeroPoint: string;
  blockSize?: number;
}

function qparamsToJson(qp: QParams): QParamsJson {
  return {
    bits: qp.bits,
    signed: qp.signed,
    symmetric: qp.symmetric,
    axis: qp.axis ?? null,
    qmin: qp.qmin,
    qmax: qp.qmax,
    scale: toBase64(new Uint8Array(qp.scale.buffer, qp.scale.byteOffset, qp.scale.byteLength)),
    zeroPoint: toBase64(new Uint8Array(qp.zeroPoint.buffer, qp.zeroPoint.byteOffset, qp.zeroPoint.byteLength)),
    ...(qp.blockSize !== undefined ? { blockSize: qp.blockSize } : {}),
  };
}

function qparamsFromJson(j: QParamsJson): QParams {
  const s = fromBase64(j.scale);
  const z = fromBase64(j.zeroPoint);
  return {
    bits: j.bits,
    signed: j.signed,
    symmetric: j.symmetric,
    ...(j.axis === null ? {} : { axis: j.axis }),
    qmin: j.qmin,
    qmax: j.qmax,
    scale: new Float32Array(s.buffer, s.byteOffset, s.byteLength / 4),
    zeroPoint: new Int32Array(z.buffer, z.byteOffset, z.byteLength / 4),
    ...(typeof j.blockSize === 'number' ? { blockSize: j.blockSize } : {}),
  };
}

/** Records the plan's mode, bits, placement and kernel parameters in `model`'s user-defined metadata (saved in model.json). */
export function attachPlan(model: tf.LayersModel, plan: QuantPlan): void {
  const previous = (model.getUserDefinedMetadata() ?? {}) as Record<string, unknown>;
  const weights = Object.fromEntries(Object.entries(plan.weights).map(([k, v]) => [k, qparamsToJson(v)]));
  model.setUserDefinedMetadata({
    ...previous,
    [KEY]: {
      version: 1,
      mode: plan.mode,
      weightBits: plan.weightBits,
      activationBits: plan.activationBits,
      placement: plan.placement,
      weights,
    },
  });
}

/**
 * The quantization plan a quantized model carries (from quantize.postTraining,
 * quantizationAwareTraining or convertQat, also after saveModel / loadModel), or undefined for
 * a float model.
 * @example quantize.planOf((await quantize.postTraining(m, {mode: 'dynamic'})).model)?.mode // 'dynamic'
 */
export function planOf(model: tf.LayersModel): QuantPlan | undefined {
  const meta = (model.getUserDefinedMetadata?.() ?? {}) as Record<string, unknown>;
  const p = meta[KEY] as
    | {
        version: number;
        mode: QuantMode;
        weightBits: number;
        activationBits: number;
        placement: ActivationPlacement;
        weights: Record<string, QParamsJson>;
      }
    | undefined;
  if (!p) return undefined;
  if (p.version !== 1 || typeof p.weights !== 'object') {
    throw new DataError(
      `planOf: quantization metadata of version 1, got ${JSON.stringify(p.version)}. Quantize the float model again with this version of the library.`,
    );
  }
  const activations: Record<string, QParams> = {};
  for (const node of modelGraph(model, 'planOf')) {
    if (node.layer instanceof FakeQuantize) activations[node.inputs[0] as string] = node.layer.qparams;
  }
  const weights = Object.fromEntries(Object.entries(p.weights).map(([k, v]) => [k, qparamsFromJson(v)]));
  return {
    mode: p.mode,
    weightBits: p.weightBits,
    activationBits: p.activationBits,
    placement: p.placement,
    weights,
    activations,
  };
}
