// tfjs layers model -> Core ML NeuralNetwork model (.mlmodel, specification version 4), with
// kernels stored as float32, float16, linear 8-bit (per output channel; the plan's int8
// parameters when a plan is given) or a k-means lookup table (palettization). Core ML's
// NeuralNetwork runs float activations (a plan affects the stored kernels only). There is no
// Core ML runtime on Linux: files are checked structurally (decodedEqual), not run.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ExportError, describe } from '../../errors';
import { LayerClass, isModelInput } from '../../core/layers';
import { QuantPlan, planOf } from '../../quantize/plan';
import { Refusal, refuse, sharedRefusals, inferenceIdentities } from '../layer-data';
import { exportGraph, fixedInput, layerConverters } from '../export-graph';
import { ARRAY_FLOAT32, COREML_SPEC_VERSION, modelType } from './proto';
import { Converter, CoreMLContext, CoreMLValue, coremlShape } from './context';
import { CoreMLWeightMode } from './weights';
import {
  convertActivation,
  convertAdd,
  convertAveragePooling2D,
  convertBatchNormalization,
  convertConcatenate,
  convertConv2D,
  convertDense,
  convertDepthwiseConv2D,
  convertFlatten,
  convertGlobalAveragePooling2D,
  convertGlobalMaxPooling2D,
  convertIdentity,
  convertLeakyReLU,
  convertMaxPooling2D,
  convertMultiply,
  convertReLU,
  convertRescaling,
  convertReshape,
  convertSoftmax,
  convertZeroPadding2D,
  emitActivation,
} from './convert-layers';

const NONE = 'no Core ML converter yet';
const REPLACE = 'Replace the layer with supported ones before exporting, or add a converter in lib/export/coreml';

/** One entry per registry class (typed by LayerClass, so a new registry entry must be decided here). */
export const COREML_CONVERTERS: { readonly [K in Exclude<LayerClass, 'InputLayer'>]: Converter | Refusal } = {
  ...sharedRefusals(NONE, REPLACE),
  Dense: convertDense,
  Conv2D: convertConv2D,
  DepthwiseConv2D: convertDepthwiseConv2D,
  BatchNormalization: convertBatchNormalization,
  Activation: convertActivation,
  ReLU: convertReLU,
  LeakyReLU: convertLeakyReLU,
  ELU: (ctx, node, [x]) => {
    const alpha = node.config.alpha as number | undefined;
    if (alpha !== undefined && alpha !== 1)
      throw new ExportError(
        `toCoreML: ELU with alpha 1, got alpha ${alpha} in layer "${node.name}". Use Activation('elu').`,
      );
    return emitActivation(ctx, node, x as CoreMLValue, 'elu');
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
  Subtract: refuse(NONE, 'Use Add with a Rescaling of scale -1 on the second input'),
  Multiply: convertMultiply,
  Average: refuse(NONE, REPLACE),
  Maximum: refuse(NONE, REPLACE),
  Minimum: refuse(NONE, REPLACE),
  Concatenate: convertConcatenate,
  // Core ML's NeuralNetwork runs float activations: the points of a quantized model pass values through.
  FakeQuantize: convertIdentity,
  DynamicQuantize: convertIdentity,
};

/** Options of {@link toCoreML}. */
export interface CoreMLExportOptions {
  /** How kernels are stored (default 'float32'). */
  readonly weights?: CoreMLWeightMode;
  /** A quantization plan: 'linear8' then stores its int8 kernels (scale s, bias -128 s); default the float model's own ranges. */
  readonly plan?: QuantPlan;
  /** 'lut': bits of the lookup-table index (1-8, default 4: 16 entries). */
  readonly lutBits?: number;
  /** 'lut': the k-means seed (default 0). */
  readonly seed?: number;
  readonly description?: string;
}

/** An exported Core ML model. */
export interface CoreMLModel {
  /** The .mlmodel file. */
  readonly bytes: Uint8Array;
  readonly report: CoreMLReport;
}

/** What {@link toCoreML} wrote (plain JSON). */
export interface CoreMLReport {
  readonly sizeBytes: number;
  readonly specificationVersion: number;
  readonly weights: CoreMLWeightMode;
  readonly inputName: string;
  readonly outputName: string;
  /** Core ML shapes, [1, C, H, W] (a vector of n values is [1, n, 1, 1]). */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Number of layers of each Core ML type. */
  readonly layers: Readonly<Record<string, number>>;
  /** Layers whose kernel is stored quantized ('linear8' or 'lut'). */
  readonly quantizedKernels: readonly string[];
}

const MODES: readonly CoreMLWeightMode[] = ['float32', 'float16', 'linear8', 'lut'];

/**
 * Converts a single-input, single-output layers model to a Core ML NeuralNetwork (.mlmodel
 * bytes). Structural validation only: decode it with {@link decodedEqual}; it is not run in
 * Core ML here (no Core ML runtime on Linux). Unsupported layers throw an ExportError naming the
 * layer and the way out; non-finite weights are refused. The model is not modified.
 * @example const {bytes, report} = toCoreML(simpleNet({seed: 1}), {weights: 'linear8'}); // write bytes to simplenet.mlmodel; report.quantizedKernels
 */
export function toCoreML(model: tf.LayersModel, options: CoreMLExportOptions = {}): CoreMLModel {
  const graph = exportGraph(model, options, 'toCoreML');
  const weights = options.weights ?? 'float32';
  if (!MODES.includes(weights))
    throw new ConfigError(
      `toCoreML: weights one of ${MODES.join(', ')}, got ${describe(weights)}. Use 'float16' or 'linear8'.`,
    );
  const converters = layerConverters<Converter>(graph, COREML_CONVERTERS, 'toCoreML', 'lib/export/coreml');
  const plan = options.plan ?? planOf(model);
  const ctx = new CoreMLContext({
    weights,
    lutBits: options.lutBits ?? 4,
    seed: options.seed ?? 0,
    ...(plan ? { plan } : {}),
  });
  const inputNode = fixedInput(graph, 'toCoreML');
  const input: CoreMLValue = { name: 'input', shape: coremlShape(inputNode, inputNode.outputShape) };
  const values = new Map<string, CoreMLValue>();
  let last = input;
  for (const node of graph) {
    last = isModelInput(node.className)
      ? input
      : (converters.get(node.name) as Converter)(
          ctx,
          node,
          node.inputs.map((n) => values.get(n) as CoreMLValue),
        );
    values.set(node.name, last);
  }
  const producer = ctx.layers.find((l) => l.output[0] === last.name);
  if (!producer)
    throw new ExportError(`toCoreML: a model that computes something, got one whose output is its input. Add layers.`);
  // The network's output blob carries the output feature's name.
  producer.output = ['output'];
  for (const l of ctx.layers) l.input = l.input.map((n) => (n === last.name ? 'output' : n));
  const feature = (name: string, shape: readonly number[]) => ({
    name,
    type: { multiArrayType: { shape: [...shape], dataType: ARRAY_FLOAT32 } },
  });
  const Model = modelType();
  const message = Model.fromObject({
    specificationVersion: COREML_SPEC_VERSION,
    description: {
      input: [feature('input', input.shape)],
      output: [feature('output', last.shape)],
      metadata: {
        shortDescription: options.description ?? `${model.name}, exported by tfjs-compress (weights: ${weights})`,
        author: 'tfjs-compress',
      },
    },
    neuralNetwork: { layers: ctx.layers, arrayInputShapeMapping: 1 },
  });
  const bytes = Model.encode(message).finish();
  const counts: Record<string, number> = {};
  for (const l of ctx.layers) {
    const type = Object.keys(l).find((k) => k !== 'name' && k !== 'input' && k !== 'output') as string;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return {
    bytes,
    report: {
      sizeBytes: bytes.length,
      specificationVersion: COREML_SPEC_VERSION,
      weights,
      inputName: 'input',
      outputName: 'output',
      inputShape: [...input.shape],
      outputShape: [...last.shape],
      layers: counts,
      quantizedKernels: [...ctx.quantizedKernels],
    },
  };
}
