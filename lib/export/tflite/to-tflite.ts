// tfjs layers model -> TensorFlow Lite flatbuffer: float32, or full-integer INT8 from the same
// static quantization plan the ONNX exporter reads (int8 activations on the plan's grids, int8
// kernels, int32 biases, ReLU/ReLU6 fused into the op before them). The input and output stay
// float32 (a QUANTIZE after the input, a DEQUANTIZE before the output), which is what LiteRT.js
// and tfjs-tflite-node feed and read. NHWC throughout: no transposes, unlike ONNX.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ExportError, describe } from '../../errors';
import { LayerClass, isModelInput } from '../../core/layers';
import { QuantPlan, planOf } from '../../quantize/plan';
import { Converter, OutputPlan, TfliteContext, TfliteValue, sameGrid } from './context';
import { TfliteModelWriter } from './model-writer';
import { tfliteQuantization } from './quant-view';
import { fuse } from './fusion';
import { convertConv2D, convertDense, convertDepthwiseConv2D } from './convert-kernel';
import { convertActivation, convertLeakyReLU, convertReLU, convertSoftmax, emitActivation } from './convert-activation';
import {
  convertAveragePooling2D,
  convertGlobalAveragePooling2D,
  convertGlobalMaxPooling2D,
  convertMaxPooling2D,
} from './convert-pooling';
import { convertFlatten, convertIdentity, convertReshape, convertZeroPadding2D } from './convert-shape';
import {
  convertAdd,
  convertConcatenate,
  convertMaximum,
  convertMinimum,
  convertMultiply,
  convertSubtract,
} from './convert-merge';
import { convertBatchNormalization, convertRescaling } from './convert-affine';
import { unsupported } from './weights';
import { Refusal, refuse, sharedRefusals, inferenceIdentities } from '../layer-data';
import { exportGraph, fixedInput, layerConverters } from '../export-graph';

const NONE = 'no TFLite converter yet';
const REPLACE = 'Replace the layer with supported ones before exporting, or add a converter in lib/export/tflite';

/** One entry per registry class (typed by LayerClass, so a new registry entry must be decided here). */
export const TFLITE_CONVERTERS: { readonly [K in Exclude<LayerClass, 'InputLayer'>]: Converter | Refusal } = {
  ...sharedRefusals(NONE, REPLACE),
  Dense: convertDense,
  Conv2D: convertConv2D,
  DepthwiseConv2D: convertDepthwiseConv2D,
  BatchNormalization: convertBatchNormalization,
  Activation: convertActivation,
  ReLU: convertReLU,
  LeakyReLU: convertLeakyReLU,
  ELU: (ctx, node, [x], out) => {
    const alpha = node.config.alpha as number | undefined;
    if (alpha !== undefined && alpha !== 1)
      throw unsupported(node, `alpha ${alpha}`, 'TFLite ELU has alpha 1: use ELU with alpha 1');
    return emitActivation(ctx, node, x as TfliteValue, 'elu', out.grid);
  },
  Softmax: convertSoftmax,
  ...inferenceIdentities(convertIdentity),
  ZeroPadding2D: convertZeroPadding2D,
  MaxPooling2D: convertMaxPooling2D,
  AveragePooling2D: convertAveragePooling2D,
  GlobalMaxPooling2D: convertGlobalMaxPooling2D,
  GlobalAveragePooling2D: convertGlobalAveragePooling2D,
  Flatten: convertFlatten,
  Reshape: convertReshape,
  Rescaling: convertRescaling,
  Add: convertAdd,
  Subtract: convertSubtract,
  Multiply: convertMultiply,
  Average: refuse(NONE, 'Use an Add followed by a Rescaling with scale 1 / n'),
  Maximum: convertMaximum,
  Minimum: convertMinimum,
  Concatenate: convertConcatenate,
  // A quantized model's activation points: the grid is the exporter's (quant-view), the value passes.
  FakeQuantize: convertIdentity,
  DynamicQuantize: refuse(
    'dynamic quantization',
    "Quantize with mode 'static' (full-integer INT8) for TFLite, or export the float model",
  ),
};

/** Options of {@link toTflite}. */
export interface TfliteExportOptions {
  /** A static quantization plan (full-integer INT8); float32 when absent. */
  readonly plan?: QuantPlan;
  /** The batch dimension written in the input shape (TFLite shapes are static here). Default 1. */
  readonly batchSize?: number;
  /**
   * Per-channel FULLY_CONNECTED kernels, as the plan has them. Default false: per tensor, because
   * TFLite 2.9's int8 FULLY_CONNECTED (tfjs-tflite-node) reads one scale.
   */
  readonly perChannelFullyConnected?: boolean;
  readonly description?: string;
}

/** An exported TFLite model. */
export interface TfliteModel {
  /** The .tflite file. */
  readonly bytes: Uint8Array;
  readonly report: TfliteReport;
}

/** What {@link toTflite} wrote (plain JSON). */
export interface TfliteReport {
  readonly sizeBytes: number;
  readonly mode: 'float32' | 'int8';
  readonly batchSize: number;
  /** Input and output shapes without the batch dimension (NHWC for images, like tfjs). */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Number of operators of each type. */
  readonly ops: Readonly<Record<string, number>>;
  /** INT8 export: layers that run in float32 between a DEQUANTIZE and a QUANTIZE, and why. */
  readonly floatLayers: readonly { layer: string; reason: string }[];
  readonly notes: readonly string[];
}

/**
 * Converts a single-input, single-output layers model to a .tflite flatbuffer. Unsupported layers
 * throw an ExportError naming the layer, why, and what to do; non-finite weights are refused.
 * The model is not modified.
 * @example const {bytes, report} = toTflite(simpleNet({seed: 1})); // run bytes with tfjs-tflite-node or LiteRT.js; report.floatLayers
 */
export function toTflite(model: tf.LayersModel, options: TfliteExportOptions = {}): TfliteModel {
  const graph = exportGraph(model, options, 'toTflite');
  const batch = options.batchSize ?? 1;
  if (!(Number.isInteger(batch) && batch >= 1))
    throw new ConfigError(`toTflite: batchSize a positive integer, got ${describe(batch)}. Use 1.`);
  // The plan first: a dynamic or weight-only model gets the plan's reason, not its DynamicQuantize layers'.
  const quant = tfliteQuantization(graph, options.plan ?? planOf(model));
  const converters = layerConverters<Converter>(graph, TFLITE_CONVERTERS, 'toTflite', 'lib/export/tflite');
  const fusion = fuse(graph, !quant);
  const w = new TfliteModelWriter();
  const ctx = new TfliteContext(w, quant, { perChannelFullyConnected: options.perChannelFullyConnected ?? false });
  const values = new Map<string, TfliteValue>();
  const inputNode = fixedInput(graph, 'toTflite');
  const inputTensor = ctx.floatTensor('input', [batch, ...inputNode.outputShape]);
  let last: TfliteValue | undefined;
  for (const node of graph) {
    let v: TfliteValue;
    const alias = fusion.aliases.get(node.name);
    if (isModelInput(node.className)) {
      v = { shape: [batch, ...node.outputShape], float: inputTensor };
    } else if (alias) {
      v = values.get(alias) as TfliteValue;
    } else {
      const fused = fusion.ops.get(node.name);
      const out: OutputPlan = {
        activation: fused?.activation ?? 'NONE',
        ...(fused?.batchNorm ? { batchNorm: fused.batchNorm } : {}),
        ...(!fused?.after && quant?.grid(fused?.gridOf ?? node.name)
          ? { grid: quant.grid(fused?.gridOf ?? node.name) }
          : {}),
      };
      v = (converters.get(node.name) as Converter)(
        ctx,
        node,
        node.inputs.map((n) => values.get(n) as TfliteValue),
        out,
      );
      if (fused?.after) v = emitActivation(ctx, node, v, fused.after, quant?.grid(node.name));
    }
    // The grid the layer's output must end on (a fused op's: its last fused layer's).
    const grid = quant?.grid(fusion.ops.get(node.name)?.gridOf ?? node.name);
    if (grid && !alias) {
      if (v.int8 !== undefined && !sameGrid(v.grid, grid)) v = ctx.requantize(v, grid, node.name);
      else if (v.int8 === undefined && !sameGrid(v.grid, grid)) v = { ...v, grid };
    }
    values.set(node.name, v);
    last = v;
  }
  const out = last as TfliteValue;
  const output = ctx.asFloat(out, 'output');
  if (output === inputTensor)
    throw new ExportError(`toTflite: a model that computes something, got one whose output is its input. Add layers.`);
  const bytes = w.encode([inputTensor], [output], options.description ?? `tfjs-compress: ${model.name}`);
  return {
    bytes,
    report: {
      sizeBytes: bytes.length,
      mode: quant ? 'int8' : 'float32',
      batchSize: batch,
      inputShape: [...inputNode.outputShape],
      outputShape: out.shape.slice(1),
      ops: w.opCounts(),
      floatLayers: ctx.floatLayers.map((f) => ({ ...f })),
      notes: [...ctx.notes],
    },
  };
}
