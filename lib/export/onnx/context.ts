// What every layer converter receives: the graph being built, the layer's inputs as ONNX values
// (each with the quantization grid it lies on, in static QDQ graphs), and the quantization
// plan. Layouts: tfjs is NHWC, ONNX Conv/Pool are NCHW. Rank-4 values are kept NCHW inside the
// graph (`nchw: true`) and transposed back only where order matters (Flatten, the graph output).
import * as tf from '@tensorflow/tfjs';
import { ExportError } from '../../errors';
import { GraphNode } from '../../core/graph';
import { QuantPlan, biasQParams } from '../../quantize/plan';
import { QParams } from '../../quantize/qparams';
import { quantize } from '../../quantize/affine';
import { Attr, OnnxGraph } from './builder';
import { TargetProfile } from './targets';
import { transpose4 } from '../layer-data';
import { valuesOf } from '../../core/values';

/** The quantization grid a value lies on, with the names of its scale and zero-point constants. */
export interface ValueGrid {
  readonly qp: QParams;
  readonly scale: string;
  readonly zeroPoint: string;
}

/** A value in the ONNX graph; `shape` is the tfjs (NHWC) shape without the batch dimension. */
export interface OnnxValue {
  readonly name: string;
  readonly shape: readonly number[];
  readonly nchw: boolean;
  /** Static QDQ graphs: the grid of the QuantizeLinear/DequantizeLinear pair the value comes out of. */
  readonly grid?: ValueGrid;
}

/** State shared by the converters of one export. */
export interface ConvertContext {
  readonly g: OnnxGraph;
  readonly plan?: QuantPlan;
  /** The runtime the file is shaped for (its rules: activation grids, bias form, kernels it takes). */
  readonly target: TargetProfile;
  /**
   * Static QDQ graphs: the grid a layer's output is quantized to next (its FakeQuantize's), for
   * converters that emit several ops and must put the QDQ pair between them (ONNX Runtime fuses
   * DequantizeLinear -> GlobalAveragePool -> QuantizeLinear, not with a Flatten in between).
   */
  outputGrid(layer: string): QParams | undefined;
}

/** True when two per-tensor grids are the same. */
export function sameGrid(a: QParams, b: QParams): boolean {
  return (
    a.bits === b.bits &&
    a.signed === b.signed &&
    a.scale[0] === b.scale[0] &&
    a.zeroPoint[0] === b.zeroPoint[0] &&
    a.axis === b.axis
  );
}

/** A layer converter: emits nodes for `node` and returns its output value. */
export type Converter = (ctx: ConvertContext, node: GraphNode, inputs: readonly OnnxValue[]) => OnnxValue;

/** A layer's weights as plain arrays (tfjs layout) with shapes. */
export function layerWeights(node: GraphNode): { data: Float32Array; shape: number[] }[] {
  return node.layer.getWeights().map((w) => {
    const data = w.dataSync() as Float32Array;
    if (!data.every(Number.isFinite)) {
      throw new ExportError(
        `toOnnx: finite weights, got NaN or Infinity in layer "${node.name}" (${node.className}). Repair or retrain that layer before exporting.`,
      );
    }
    return { data, shape: w.shape.slice() };
  });
}

/** The layer's config value `key`. */
export function config<T>(node: GraphNode, key: string): T {
  return (node.layer.getConfig() as Record<string, unknown>)[key] as T;
}

/** ExportError for a configuration the converter does not handle. */
export function unsupported(node: GraphNode, what: string, fix: string): ExportError {
  return new ExportError(
    `toOnnx: ${node.className} layer "${node.name}" with ${what} is not supported, got it in the model. ${fix}.`,
  );
}

/** Transposes a plain array of `shape` by `perm` (e.g. a conv kernel HWIO -> OIHW). */
export function transposeData<T extends Float32Array | Int8Array | Uint8Array | Int32Array>(
  data: T,
  shape: readonly number[],
  perm: readonly number[],
): T {
  const rank = shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = (strides[i + 1] as number) * (shape[i + 1] as number);
  // Conv kernels: plain loops (the general odometer below takes seconds on ResNet50's 25M weights).
  if (rank === 4) return transpose4(data, shape, perm);
  const outShape = perm.map((p) => shape[p] as number);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (idx[d] as number) * (strides[perm[d] as number] as number);
    out[o] = data[src] as number;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (outShape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Integer weights of `data` under `qp` (tfjs layout), as the ONNX integer type of `qp`. */
export function quantizedData(data: Float32Array, shape: readonly number[], qp: QParams): Int8Array | Uint8Array {
  const q = valuesOf(() => quantize(tf.tensor(data, [...shape]), qp));
  if (qp.qmin < -128 || qp.qmax > 255 || (qp.signed && qp.qmax > 127)) {
    throw new ExportError(
      `toOnnx: weights of at most 8 bits, got ${qp.bits}-bit integers. ONNX opset 13 stores int8/uint8: quantize weights with bits <= 8.`,
    );
  }
  return qp.signed ? Int8Array.from(q) : Uint8Array.from(q);
}

/** DequantizeLinear of an integer constant with per-tensor or per-channel (`onnxAxis`) params. */
export function dequantizeConstant(
  g: OnnxGraph,
  base: string,
  q: Int8Array | Uint8Array | Int32Array,
  dims: readonly number[],
  qp: QParams,
  onnxAxis: number,
): string {
  const w = g.constant(`${base}_quantized`, q, dims);
  const perChannel = qp.axis !== undefined;
  const scale = g.constant(`${base}_scale`, Float32Array.from(qp.scale), perChannel ? [qp.scale.length] : []);
  const attrs: Record<string, Attr> = perChannel ? { axis: { int: onnxAxis } } : {};
  // int32 biases have zero point 0, ONNX's default when the input is omitted (saves 4 bytes a channel).
  if (q instanceof Int32Array) return g.op('DequantizeLinear', [w, scale], base, attrs);
  const zp = q instanceof Int8Array ? Int8Array.from(qp.zeroPoint) : Uint8Array.from(qp.zeroPoint);
  const zero = g.constant(`${base}_zero_point`, perChannel ? zp : zp.subarray(0, 1), perChannel ? [zp.length] : []);
  return g.op('DequantizeLinear', [w, scale, zero], base, attrs);
}

/**
 * QuantizeLinear -> DequantizeLinear of an activation with per-tensor 8-bit params (the
 * constants of `grid` when given, so a value re-quantized on its input's grid shares them).
 */
export function quantizeDequantize(
  g: OnnxGraph,
  value: string,
  qp: QParams,
  base: string,
  grid?: ValueGrid,
): { name: string; grid: ValueGrid } {
  if (qp.axis !== undefined || qp.bits !== 8) {
    throw new ExportError(
      `toOnnx: per-tensor 8-bit activations, got ${qp.bits} bits${qp.axis !== undefined ? ' per channel' : ''} at "${base}". ` +
        `Calibrate activations with bits 8 per tensor for ONNX QDQ export.`,
    );
  }
  const scale = grid?.scale ?? g.constant(`${base}_scale`, Float32Array.of(qp.scale[0] as number), []);
  const zeroPoint =
    grid?.zeroPoint ??
    g.constant(
      `${base}_zero_point`,
      qp.signed ? Int8Array.of(qp.zeroPoint[0] as number) : Uint8Array.of(qp.zeroPoint[0] as number),
      [],
    );
  const q = g.op('QuantizeLinear', [value, scale, zeroPoint], `${base}_quantized`);
  return {
    name: g.op('DequantizeLinear', [q, scale, zeroPoint], `${base}_dequantized`),
    grid: { qp, scale, zeroPoint },
  };
}

/**
 * The bias of a kernel layer: int32 with scale inputScale * weightScale (zero point 0) when the
 * layer's input lies on a grid, its kernel is quantized and the target takes int32 biases (what
 * QLinearConv / QGemm accumulate into); float32 otherwise (the values are the same: a static
 * model's biases already lie on that grid).
 */
export function emitBias(
  ctx: ConvertContext,
  base: string,
  bias: Float32Array,
  input: OnnxValue,
  wq: QParams | undefined,
): string {
  if (wq && input.grid && ctx.plan?.mode === 'static' && ctx.target.int32Bias) {
    const bq = biasQParams(input.grid.qp, wq);
    const ints = Int32Array.from(valuesOf(() => quantize(tf.tensor1d(bias), bq)));
    return dequantizeConstant(ctx.g, `${base}_bias`, ints, [bias.length], bq, 0);
  }
  return ctx.g.constant(`${base}_bias`, bias, [bias.length]);
}

/** Emits a fused activation (Keras `activation` names) on `x`; channel axis for softmax. */
export function emitActivation(
  g: OnnxGraph,
  node: GraphNode,
  x: string,
  activation: string,
  channelAxis: number,
): string {
  const base = node.name;
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return g.op('Relu', [x], `${base}_relu`);
    case 'relu6': {
      const lo = g.constant(`${base}_min`, Float32Array.of(0), []);
      const hi = g.constant(`${base}_max`, Float32Array.of(6), []);
      return g.op('Clip', [x, lo, hi], `${base}_relu6`);
    }
    case 'sigmoid':
      return g.op('Sigmoid', [x], `${base}_sigmoid`);
    case 'tanh':
      return g.op('Tanh', [x], `${base}_tanh`);
    case 'elu':
      return g.op('Elu', [x], `${base}_elu`, { alpha: { float: 1 } });
    case 'softplus':
      return g.op('Softplus', [x], `${base}_softplus`);
    case 'softmax':
      return g.op('Softmax', [x], `${base}_softmax`, { axis: { int: channelAxis } });
    // swish (SiLU) = x * sigmoid(x); opset 13 has no Swish op.
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x], `${base}_swish_gate`)], `${base}_swish`);
    default:
      throw unsupported(
        node,
        `activation "${activation}"`,
        'Use linear, relu, relu6, sigmoid, tanh, elu, softplus, softmax or swish',
      );
  }
}
