// tfjs layers model -> ONNX model (opset 13): fp32, weight-only INT8 (DequantizeLinear weights),
// static INT8 in QDQ form (QuantizeLinear/DequantizeLinear pairs around every activation, the
// form ONNX Runtime fuses into QGemm / QLinearConv and TensorRT consumes), or dynamic INT8
// (DynamicQuantizeLinear + MatMulInteger). The graph's input and output keep tfjs's NHWC order.
import * as tf from '@tensorflow/tfjs';
import { ExportError } from '../../errors';
import { GraphNode } from '../../core/graph';
import { LayerClass, isModelInput } from '../../core/layers';
import { QuantPlan, planOf } from '../../quantize/plan';
import { FakeQuantize } from '../../quantize/fake-quantize-layer';
import { inheritsGrid } from '../../quantize/placement';
import { OPSET, OnnxGraph } from './builder';
import { ConvertContext, Converter, OnnxValue, quantizeDequantize } from './context';
import { convertDense } from './convert-dense';
import { convertConv2D, convertDepthwiseConv2D } from './convert-conv';
import {
  convertAveragePooling2D,
  convertGlobalAveragePooling2D,
  convertGlobalMaxPooling2D,
  convertMaxPooling2D,
} from './convert-pooling';
import {
  convertActivation,
  convertAdd,
  convertBatchNormalization,
  convertConcatenate,
  convertDropout,
  convertFlatten,
  convertReLU,
  convertSoftmax,
} from './convert-layers';
import { convertDynamicQuantize, convertFakeQuantize } from './convert-quantize';
import { convertZeroPadding2D } from './convert-padding';
import { convertMultiply } from './convert-multiply';
import { convertReshape } from './convert-reshape';
import { convertRescaling } from './convert-rescaling';
import { OnnxTarget, checkTargetMode, targetGrid, targetProfile } from './targets';
import { QParams } from '../../quantize/qparams';
import { Refusal, inferenceIdentities, refuse, sharedRefusals } from '../layer-data';
import { exportGraph } from '../export-graph';

export type { Refusal } from '../layer-data';

const NONE = 'no ONNX converter yet';
const REPLACE = 'Replace the layer with supported ones before exporting, or add a converter in lib/export/onnx';

/**
 * One entry per registry class (typed by LayerClass, so a new registry entry must be decided
 * here): its converter, or an explicit refusal with the reason.
 */
export const CONVERTERS: { readonly [K in Exclude<LayerClass, 'InputLayer'>]: Converter | Refusal } = {
  ...sharedRefusals(NONE, REPLACE),
  Dense: convertDense,
  Conv2D: convertConv2D,
  DepthwiseConv2D: convertDepthwiseConv2D,
  BatchNormalization: convertBatchNormalization,
  Activation: convertActivation,
  ReLU: convertReLU,
  LeakyReLU: refuse(NONE, REPLACE),
  ELU: refuse(NONE, "Use Activation('elu')"),
  Softmax: convertSoftmax,
  PReLU: refuse(NONE, REPLACE),
  ...inferenceIdentities(convertDropout),
  ZeroPadding2D: convertZeroPadding2D,
  MaxPooling2D: convertMaxPooling2D,
  AveragePooling2D: convertAveragePooling2D,
  GlobalMaxPooling2D: convertGlobalMaxPooling2D,
  GlobalAveragePooling2D: convertGlobalAveragePooling2D,
  Flatten: convertFlatten,
  Reshape: convertReshape,
  Rescaling: convertRescaling,
  Add: convertAdd,
  Subtract: refuse(NONE, REPLACE),
  Multiply: convertMultiply,
  Average: refuse(NONE, REPLACE),
  Maximum: refuse(NONE, REPLACE),
  Minimum: refuse(NONE, REPLACE),
  Concatenate: convertConcatenate,
  FakeQuantize: convertFakeQuantize,
  DynamicQuantize: convertDynamicQuantize,
};

/** The converter of a layer class, or its refusal (undefined: a class the registry does not know). */
function entryOf(className: string): Converter | Refusal | undefined {
  return (CONVERTERS as Readonly<Record<string, Converter | Refusal>>)[className];
}

/** True when layers of `className` convert to ONNX. */
export function hasConverter(className: string): boolean {
  return typeof entryOf(className) === 'function';
}

/** Options of {@link toOnnx}. */
export interface OnnxExportOptions {
  /**
   * A quantization plan; default the model's own (planOf: the models quantize.postTraining,
   * quantizationAwareTraining and convertQat return carry it). fp32 when neither.
   */
  readonly plan?: QuantPlan;
  readonly graphName?: string;
  /**
   * The runtime the file is shaped for (default 'ort'): 'tensorrt' writes signed int8 QDQ only
   * (zero point 0, symmetric per-tensor activations, per-channel weights on the output-channel
   * axis, float biases); 'openvino' writes QDQ pairs OpenVINO turns into FakeQuantize (int8
   * weights, float biases, MatMulNBits zero points one float per block). Activation grids a
   * target does not take are re-derived as the symmetric int8 grid over the same range (listed
   * in `regridded`). See targets.ts for the rules and their sources; checkOnnxTarget checks a file.
   */
  readonly target?: OnnxTarget;
}

/** An exported ONNX model. */
export interface OnnxModel {
  /** The .onnx file. */
  readonly bytes: Uint8Array;
  readonly report: OnnxReport;
}

/** What {@link toOnnx} wrote (plain JSON). */
export interface OnnxReport {
  readonly sizeBytes: number;
  readonly opset: number;
  readonly mode: 'float32' | QuantPlan['mode'];
  readonly target: OnnxTarget;
  /** Activation points whose planned grid the target does not take, written on its symmetric int8 grid instead. */
  readonly regridded: readonly string[];
  readonly inputName: string;
  readonly outputName: string;
  /** Input and output shapes without the batch dimension (NHWC for images, like tfjs). */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Number of nodes of each op type. */
  readonly ops: Readonly<Record<string, number>>;
}

/**
 * Converts a single-input, single-output layers model to ONNX: fp32, or the INT8 form of its
 * quantization plan (static: a QuantizeLinear/DequantizeLinear pair at each FakeQuantize layer,
 * and again after each layer that only moves values, so every integer op has its DequantizeLinear
 * right before it). Unsupported layers throw an ExportError naming the layer, why, and what to
 * do. The model is not modified.
 * @example const {bytes, report} = toOnnx((await quantize.postTraining(m, calibration, {mode: 'static'})).model); // run bytes with onnxruntime-node; report.ops counts its nodes
 */
export function toOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): OnnxModel {
  const graph = exportGraph(model, options, 'toOnnx');
  const missing = graph.filter((n) => !isModelInput(n.className) && !hasConverter(n.className));
  if (missing.length > 0) throw unsupportedLayers(missing);
  const plan = options.plan ?? planOf(model);
  const target = targetProfile(options.target ?? 'ort', 'toOnnx');
  checkTargetMode(target, plan?.mode);
  // A float model with a static plan passed in: its points are the plan's activations.
  const planPoints = plan?.mode === 'static' && !graph.some((n) => n.layer instanceof FakeQuantize);
  const g = new OnnxGraph();
  const regridded: string[] = [];
  const grid = (layer: string, qp: QParams) => {
    const t = targetGrid(target, qp);
    if (t !== qp && !regridded.includes(layer)) regridded.push(layer);
    return t;
  };
  const quantizedNext = new Map(
    graph
      .filter((n) => n.layer instanceof FakeQuantize)
      .map((n) => [n.inputs[0] as string, grid(n.inputs[0] as string, (n.layer as FakeQuantize).qparams)]),
  );
  const ctx: ConvertContext = { g, target, ...(plan ? { plan } : {}), outputGrid: (layer) => quantizedNext.get(layer) };
  const values = new Map<string, OnnxValue>();
  const inputNode = graph[0] as GraphNode;
  const inputShape = inputNode.outputShape;
  const inputName = g.unique('input');
  let last: OnnxValue | undefined;
  for (const node of graph) {
    let v: OnnxValue;
    if (isModelInput(node.className)) {
      v = { name: inputName, shape: node.outputShape, nchw: false };
    } else {
      const inputs = node.inputs.map((n) => values.get(n) as OnnxValue);
      v = (entryOf(node.className) as Converter)(ctx, node, inputs);
      const first = inputs[0] as OnnxValue;
      if (node.layer instanceof FakeQuantize) {
        // v.grid set by the converter.
      } else if (inheritsGrid(node) && first.grid) {
        // Same values, same grid: ONNX Runtime's QDQ form puts the pair after such ops too.
        v =
          v.name === first.name
            ? { ...v, grid: first.grid }
            : { ...v, ...quantizeDequantize(g, v.name, first.grid.qp, node.name, first.grid) };
      } else if (!v.grid || inputs.some((i) => i.grid === v.grid)) {
        // A grid copied from an input by a converter that computes new values: not this output's.
        v = { name: v.name, shape: v.shape, nchw: v.nchw };
      }
    }
    const planned = planPoints ? plan?.activations[node.name] : undefined;
    const qp = planned ? grid(node.name, planned) : undefined;
    if (qp) v = { ...v, ...quantizeDequantize(g, v.name, qp, node.name) };
    if (isModelInput(node.className) && v.shape.length === 3) {
      // NHWC input -> NCHW inside the graph (on the same grid).
      v = { ...v, name: g.op('Transpose', [v.name], 'input_nchw', { perm: { ints: [0, 3, 1, 2] } }), nchw: true };
      if (v.grid) v = { ...v, ...quantizeDequantize(g, v.name, v.grid.qp, 'input_nchw', v.grid) };
    }
    values.set(node.name, v);
    last = v;
  }
  const out = last as OnnxValue;
  const outName = g.unique('output');
  g.nodes.push(
    out.nchw
      ? {
          opType: 'Transpose',
          name: g.unique('output/Transpose'),
          input: [out.name],
          output: [outName],
          attribute: [{ name: 'perm', type: 7, ints: [0, 2, 3, 1] }],
        }
      : { opType: 'Identity', name: g.unique('output/Identity'), input: [out.name], output: [outName] },
  );
  const bytes = g.encode(
    { name: inputName, shape: inputShape },
    { name: outName, shape: out.shape },
    options.graphName ?? model.name,
  );
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.opType as string] = (ops[n.opType as string] ?? 0) + 1;
  return {
    bytes,
    report: {
      sizeBytes: bytes.length,
      opset: OPSET,
      mode: plan?.mode ?? 'float32',
      target: target.target,
      regridded: [...regridded],
      inputName,
      outputName: outName,
      inputShape: [...inputShape],
      outputShape: [...out.shape],
      ops: { ...ops },
    },
  };
}

/** The error for layers without a converter: every such layer, what is supported, why not, and what to do. */
function unsupportedLayers(missing: readonly GraphNode[]): ExportError {
  const classes = [...new Set(missing.map((n) => n.className))];
  const shown = missing
    .slice(0, 5)
    .map((n) => `layer "${n.name}" of class ${n.className}`)
    .join(', ');
  const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
  const supported = Object.keys(CONVERTERS).filter(hasConverter);
  const advice = classes
    .map((c) => {
      const e = entryOf(c);
      if (e === undefined) return `${c}: not in the layer registry (lib/core/layers.ts)`;
      return typeof e === 'function' || e.fix === REPLACE ? undefined : `${c}: ${e.fix}`;
    })
    .filter((a): a is string => a !== undefined);
  return new ExportError(
    `toOnnx: layers with an ONNX converter (${supported.join(', ')}), got ${shown}${more}. ` +
      `${classes.join(', ')} ${classes.length === 1 ? 'has' : 'have'} no converter yet${advice.length ? ` (${advice.join('; ')})` : ''}: ` +
      `replace ${missing.length === 1 ? 'that layer' : 'those layers'} with supported ones ` +
      `(an activation as an Activation layer with a supported activation), or add a converter (one small file in lib/export/onnx, registered in CONVERTERS) ` +
      `and open an issue or pull request at tfjs-compress naming the layer class.`,
  );
}
