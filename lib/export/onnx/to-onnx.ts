// tfjs layers model -> ONNX model (opset 13): fp32, weight-only INT8 (DequantizeLinear weights),
// static INT8 in QDQ form (QuantizeLinear/DequantizeLinear pairs around every activation, the
// form ONNX Runtime fuses into QGemm / QLinearConv and TensorRT consumes), or dynamic INT8
// (DynamicQuantizeLinear + MatMulInteger). The graph's input and output keep tfjs's NHWC order.
import * as tf from '@tensorflow/tfjs';
import { ExportError } from '../../errors';
import { GraphNode, modelGraph } from '../../core/graph';
import { QuantPlan } from '../../quantize/plan';
import { OPSET, OnnxGraph } from './builder';
import { ConvertContext, Converter, OnnxValue, quantizeDequantize } from './context';
import { convertDense } from './convert-dense';
import { convertConv2D, convertDepthwiseConv2D } from './convert-conv';
import { convertAveragePooling2D, convertGlobalAveragePooling2D, convertGlobalMaxPooling2D, convertMaxPooling2D } from './convert-pooling';
import {
  convertActivation, convertAdd, convertBatchNormalization, convertConcatenate, convertDropout, convertFlatten, convertReLU, convertSoftmax,
} from './convert-layers';
import { convertZeroPadding2D } from './convert-padding';
import { convertMultiply } from './convert-multiply';
import { convertReshape } from './convert-reshape';
import { convertRescaling } from './convert-rescaling';

/** One converter per supported layer class. */
export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Dense: convertDense, Conv2D: convertConv2D, DepthwiseConv2D: convertDepthwiseConv2D,
  MaxPooling2D: convertMaxPooling2D, AveragePooling2D: convertAveragePooling2D,
  GlobalAveragePooling2D: convertGlobalAveragePooling2D, GlobalMaxPooling2D: convertGlobalMaxPooling2D,
  BatchNormalization: convertBatchNormalization, Activation: convertActivation, ReLU: convertReLU, Softmax: convertSoftmax,
  Flatten: convertFlatten, Dropout: convertDropout, Add: convertAdd, Concatenate: convertConcatenate,
  ZeroPadding2D: convertZeroPadding2D, Multiply: convertMultiply, Reshape: convertReshape, Rescaling: convertRescaling,
};

/** Options of {@link toOnnx}. */
export interface OnnxExportOptions {
  /** A quantization plan (from quantize.postTraining or quantize.convertQat); fp32 when absent. */
  readonly plan?: QuantPlan;
  readonly graphName?: string;
}

/** An exported ONNX model. */
export interface OnnxModel {
  readonly bytes: Uint8Array;
  readonly sizeBytes: number;
  readonly opset: number;
  readonly mode: 'float32' | QuantPlan['mode'];
  readonly inputName: string;
  readonly outputName: string;
  /** Input and output shapes without the batch dimension (NHWC for images, like tfjs). */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Number of nodes of each op type. */
  readonly ops: Readonly<Record<string, number>>;
}

/**
 * Converts a single-input, single-output layers model to ONNX. Unsupported layers throw an
 * ExportError naming the layer and its class. The model is not modified.
 * @example const {bytes} = toOnnx(simpleNet({seed: 1})); // run it with onnxruntime-node
 */
export function toOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): OnnxModel {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ExportError(`toOnnx: a model with one input and one output, got ${model.inputs.length} and ${model.outputs.length}. Export each head as its own model.`);
  }
  const graph: GraphNode[] = modelGraph(model, 'toOnnx');
  const missing = graph.filter((n) => n.className !== 'InputLayer' && !CONVERTERS[n.className]);
  if (missing.length > 0) throw unsupportedLayers(missing);
  const plan = options.plan;
  const g = new OnnxGraph();
  const ctx: ConvertContext = { g, plan, activation: (name) => (plan?.mode === 'static' ? plan.activations[name] : undefined) };
  const values = new Map<string, OnnxValue>();
  const inputNode = graph[0] as GraphNode;
  const inputShape = inputNode.outputShape;
  const inputName = g.unique('input');
  let last: OnnxValue | undefined;
  for (const node of graph) {
    let v: OnnxValue;
    if (node.className === 'InputLayer') {
      v = { name: inputName, shape: node.outputShape, nchw: false };
    } else {
      v = (CONVERTERS[node.className] as Converter)(ctx, node, node.inputs.map((n) => values.get(n) as OnnxValue));
    }
    const qp = ctx.activation(node.name);
    if (qp) v = { ...v, name: quantizeDequantize(g, v.name, qp, node.name) };
    if (node.className === 'InputLayer' && v.shape.length === 3) {
      // NHWC input -> NCHW inside the graph.
      v = { ...v, name: g.op('Transpose', [v.name], 'input_nchw', { perm: { ints: [0, 3, 1, 2] } }), nchw: true };
    }
    values.set(node.name, v);
    last = v;
  }
  const out = last as OnnxValue;
  const outName = g.unique('output');
  g.nodes.push(out.nchw
    ? { opType: 'Transpose', name: g.unique('output/Transpose'), input: [out.name], output: [outName], attribute: [{ name: 'perm', type: 7, ints: [0, 2, 3, 1] }] }
    : { opType: 'Identity', name: g.unique('output/Identity'), input: [out.name], output: [outName] });
  const bytes = g.encode({ name: inputName, shape: inputShape }, { name: outName, shape: out.shape }, options.graphName ?? model.name);
  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.opType as string] = (ops[n.opType as string] ?? 0) + 1;
  return {
    bytes, sizeBytes: bytes.length, opset: OPSET, mode: plan?.mode ?? 'float32', inputName, outputName: outName,
    inputShape, outputShape: out.shape, ops,
  };
}

/** The error for layer classes without a converter: every such layer, what is supported, what to do. */
function unsupportedLayers(missing: readonly GraphNode[]): ExportError {
  const classes = [...new Set(missing.map((n) => n.className))];
  const shown = missing.slice(0, 5).map((n) => `layer "${n.name}" of class ${n.className}`).join(', ');
  const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
  return new ExportError(`toOnnx: layers with an ONNX converter (${Object.keys(CONVERTERS).join(', ')}), got ${shown}${more}. ` +
    `${classes.join(', ')} ${classes.length === 1 ? 'has' : 'have'} no converter yet: replace ${missing.length === 1 ? 'that layer' : 'those layers'} with supported ones ` +
    `(an activation as an Activation layer with a supported activation), or add a converter (one small file in lib/export/onnx, registered in CONVERTERS) ` +
    `and open an issue or pull request at tfjs-compress naming the layer class.`);
}
