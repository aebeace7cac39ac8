// What every Core ML layer converter receives: the layer list being written and each input as a
// named blob with its Core ML shape. Core ML's NeuralNetwork layers (convolution, pooling,
// batchnorm, softmax, concat) work on [Batch, C, H, W]; the exporter keeps every blob rank 4:
// a tfjs [H, W, C] image is [1, C, H, W] and a tfjs vector [C] is [1, C, 1, 1].
import { ExportError } from '../../errors';
import { GraphNode } from '../../core/graph';
import { QuantPlan } from '../../quantize/plan';
import { CoreMLWeightMode, WeightParamsMessage, kernelParams, plainParams } from './weights';

/** A blob of the network. */
export interface CoreMLValue {
  readonly name: string;
  /** [1, C, H, W]. */
  readonly shape: readonly [number, number, number, number];
}

/** One NeuralNetworkLayer as a plain object: name, inputs, outputs and one layer-type field. */
export interface LayerMessage {
  name: string;
  input: string[];
  output: string[];
  [layerType: string]: unknown;
}

/** The Core ML shape of a tfjs shape without the batch dimension. */
export function coremlShape(node: GraphNode, tfjsShape: readonly number[]): [number, number, number, number] {
  if (tfjsShape.length === 3) return [1, tfjsShape[2] as number, tfjsShape[0] as number, tfjsShape[1] as number];
  if (tfjsShape.length === 1) return [1, tfjsShape[0] as number, 1, 1];
  throw new ExportError(
    `toCoreML: layers with [H, W, C] or [C] outputs, got [${tfjsShape.join(', ')}] at layer "${node.name}" (${node.className}). ` +
      `Reshape to an image or a vector before it.`,
  );
}

/** Options every converter reads. */
export interface CoreMLWriteOptions {
  readonly weights: CoreMLWeightMode;
  readonly lutBits: number;
  readonly seed: number;
  readonly plan?: QuantPlan;
}

/** A layer converter: appends layers for `node`, returns its output blob. */
export type Converter = (ctx: CoreMLContext, node: GraphNode, inputs: readonly CoreMLValue[]) => CoreMLValue;

/** State of one export. */
export class CoreMLContext {
  readonly layers: LayerMessage[] = [];
  /** Kernels stored quantized, with their mode, for the report. */
  readonly quantizedKernels: string[] = [];
  private readonly names = new Set<string>(['input']);

  constructor(readonly options: CoreMLWriteOptions) {}

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Appends a layer of type `type` with parameters `params`; returns its output blob. */
  layer(
    name: string,
    inputs: readonly CoreMLValue[],
    type: string,
    params: object,
    shape: CoreMLValue['shape'],
  ): CoreMLValue {
    const layerName = this.unique(name);
    this.layers.push({ name: layerName, input: inputs.map((i) => i.name), output: [layerName], [type]: params });
    return { name: layerName, shape };
  }

  /** A kernel (Core ML layout, output channel on axis 0) in the export's weight mode. */
  kernel(node: GraphNode, values: Float32Array, channels: number): WeightParamsMessage {
    const mode = this.options.weights;
    if (mode === 'linear8' || mode === 'lut') this.quantizedKernels.push(node.name);
    const planned = this.options.plan?.weights[node.name];
    return kernelParams(values, {
      mode,
      channels,
      lutBits: this.options.lutBits,
      seed: this.options.seed,
      layer: node.name,
      ...(planned ? { planned } : {}),
    });
  }

  /** A bias or normalization parameter (float16 in float16 exports, float32 otherwise). */
  plain(values: Float32Array): WeightParamsMessage {
    return plainParams(values, this.options.weights);
  }
}
