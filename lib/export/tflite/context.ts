// What every TFLite layer converter receives: the model being written, the quantization view, and
// each input as a value that may exist as a float32 tensor, an int8 tensor, or both. Converting
// between the two inserts QUANTIZE / DEQUANTIZE once per value; requantizing an int8 value onto
// another grid inserts an int8 -> int8 QUANTIZE. A layer runs in int8 when its inputs and its
// output have grids; otherwise it runs in float32 between a DEQUANTIZE and a QUANTIZE, which
// `floatLayers` reports.
import { Builder } from 'flatbuffers';
import { ExportError } from '../../errors';
import { GraphNode } from '../../core/graph';
import { QParams } from '../../quantize/qparams';
import { FusedActivation, OperatorName, TensorType } from './schema';
import { OperatorOptions, TensorData, TensorQuantization, TfliteModelWriter } from './model-writer';
import { TfliteQuantization } from './quant-view';

/** One value of the graph (shape with the batch dimension, NHWC). */
export interface TfliteValue {
  readonly shape: readonly number[];
  /** Index of its float32 tensor, once it exists. */
  float?: number;
  /** Index of its int8 tensor, once it exists. */
  int8?: number;
  /** The int8 grid (signed, per tensor) of the value, when it has one. */
  grid?: QParams;
}

/** What the exporter decided for a layer's output before converting it. */
export interface OutputPlan {
  /** The output's grid (after the fused activation), when it is quantized. */
  readonly grid?: QParams;
  /** An activation fused into the op (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD). */
  readonly activation: FusedActivation;
  /** A BatchNormalization folded into the op (float export): y = op(x) * scale + shift per channel. */
  readonly batchNorm?: { readonly scale: Float32Array; readonly shift: Float32Array };
}

/** A layer converter: writes the ops of `node` and returns its output value. */
export type Converter = (
  ctx: TfliteContext,
  node: GraphNode,
  inputs: readonly TfliteValue[],
  out: OutputPlan,
) => TfliteValue;

/**
 * Operator versions of int8 kernels, as TFLite's converter assigns them (tools/versioning/op_version.cc):
 * the runtime looks kernels up by (op, version), and float ops are version 1.
 */
const INT8_VERSION: Partial<Record<OperatorName, number>> = {
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 3,
  FULLY_CONNECTED: 4,
  ADD: 2,
  MUL: 2,
  SUB: 2,
  AVERAGE_POOL_2D: 2,
  MAX_POOL_2D: 2,
  CONCATENATION: 2,
  SOFTMAX: 2,
  LOGISTIC: 2,
  TANH: 2,
  MEAN: 2,
  REDUCE_MAX: 2,
  PAD: 2,
  RELU: 2,
  RELU6: 2,
  LEAKY_RELU: 2,
  MAXIMUM: 2,
  MINIMUM: 2,
  DEQUANTIZE: 2,
  QUANTIZE: 2,
};

/** Per-tensor TFLite quantization of a grid. */
export function gridQuantization(qp: QParams): TensorQuantization {
  return { scale: [qp.scale[0] as number], zeroPoint: [qp.zeroPoint[0] as number] };
}

/** The signed 8-bit grid with this scale and zero point (fixed output grids of LOGISTIC, SOFTMAX, TANH). */
export function fixedGrid(scale: number, zeroPoint: number): QParams {
  return {
    bits: 8,
    signed: true,
    symmetric: false,
    qmin: -128,
    qmax: 127,
    scale: Float32Array.of(scale),
    zeroPoint: Int32Array.of(zeroPoint),
  };
}

/** True when two grids are the same map (as float32 scales). */
export function sameGrid(a: QParams | undefined, b: QParams | undefined): boolean {
  return (
    !!a &&
    !!b &&
    Math.fround(a.scale[0] as number) === Math.fround(b.scale[0] as number) &&
    a.zeroPoint[0] === b.zeroPoint[0]
  );
}

/** State shared by the converters of one export. */
export class TfliteContext {
  /** Layers that ran in float32 inside an INT8 export, with the reason. */
  readonly floatLayers: { layer: string; reason: string }[] = [];
  /** Other notes for the report (e.g. kernels re-quantized per tensor). */
  readonly notes: string[] = [];

  constructor(
    readonly w: TfliteModelWriter,
    readonly quant: TfliteQuantization | undefined,
    readonly options: { readonly perChannelFullyConnected: boolean },
  ) {}

  /** Appends an op; `int8` picks the integer kernel's version. */
  op(
    op: OperatorName,
    int8: boolean,
    inputs: readonly number[],
    outputs: readonly number[],
    options?: OperatorOptions,
  ): void {
    this.w.operator(op, int8 ? (INT8_VERSION[op] ?? 1) : 1, inputs, outputs, options);
  }

  /** A float32 activation tensor. */
  floatTensor(name: string, shape: readonly number[]): number {
    return this.w.activation(name, shape, TensorType.FLOAT32);
  }

  /** An int8 activation tensor on `grid`. */
  int8Tensor(name: string, shape: readonly number[], grid: QParams): number {
    return this.w.activation(name, shape, TensorType.INT8, gridQuantization(grid));
  }

  /** A constant tensor. */
  constant(name: string, data: TensorData, shape: readonly number[], quantization?: TensorQuantization): number {
    return this.w.constant(name, data, shape, quantization);
  }

  /** The value's float32 tensor (a DEQUANTIZE the first time an int8-only value is read as float). */
  asFloat(v: TfliteValue, name: string): number {
    if (v.float === undefined) {
      const out = this.floatTensor(`${name}/dequantized`, v.shape);
      this.op('DEQUANTIZE', true, [v.int8 as number], [out]);
      v.float = out;
    }
    return v.float;
  }

  /** The value's int8 tensor (a QUANTIZE onto its grid the first time a float value is read as int8). */
  asInt8(v: TfliteValue, name: string): number {
    if (v.int8 === undefined) {
      if (!v.grid)
        throw new ExportError(
          `toTflite: a quantization grid for "${name}", got none. Calibrate the model (quantize.postTraining with mode 'static').`,
        );
      const out = this.int8Tensor(`${name}/quantized`, v.shape, v.grid);
      this.op('QUANTIZE', false, [v.float as number], [out]);
      v.int8 = out;
    }
    return v.int8;
  }

  /** The same values on `grid` (an int8 -> int8 QUANTIZE unless already there). */
  requantize(v: TfliteValue, grid: QParams, name: string): TfliteValue {
    if (sameGrid(v.grid, grid)) return v.int8 !== undefined ? v : { shape: v.shape, int8: this.asInt8(v, name), grid };
    const src = this.asInt8(v, name);
    const out = this.int8Tensor(`${name}/requantized`, v.shape, grid);
    this.op('QUANTIZE', true, [src], [out]);
    return { shape: v.shape, int8: out, grid };
  }

  /** Whether a layer with these inputs and this output grid runs in int8. */
  int8(inputs: readonly TfliteValue[], out: OutputPlan): boolean {
    return !!this.quant && !!out.grid && inputs.every((i) => i.grid || i.int8 !== undefined);
  }

  /** A new output value: int8 on `grid`, or float32. */
  output(name: string, shape: readonly number[], grid: QParams | undefined): TfliteValue {
    return grid
      ? { shape, int8: this.int8Tensor(name, shape, grid), grid }
      : { shape, float: this.floatTensor(name, shape) };
  }

  /** Records that `node` ran in float32 inside an INT8 export (the first reason per layer). */
  ranInFloat(node: GraphNode, reason: string): void {
    if (this.quant && !this.floatLayers.some((f) => f.layer === node.name))
      this.floatLayers.push({ layer: node.name, reason });
  }
}

/** Writes an options table with `write` into the union member `type`. */
export function options(type: number, write: (b: Builder) => number): OperatorOptions {
  return { type, write };
}
