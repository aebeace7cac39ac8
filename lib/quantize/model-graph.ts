// The layer graph of a tfjs layers model, in topological order, with each layer's input layer
// names: what the simulated quantized forward pass and the ONNX exporter walk. Shared layers
// (one layer applied twice) and multi-output layers are refused: they have no single output name.
import * as tf from '@tensorflow/tfjs';
import { UnsupportedLayerError } from '../errors';

/** A layer and the names of the layers whose outputs it consumes. */
export interface GraphNode {
  readonly layer: tf.layers.Layer;
  readonly name: string;
  readonly className: string;
  /** Names of the producing layers (input layers included), in call order. */
  readonly inputs: readonly string[];
  /** Output shape without the batch dimension. */
  readonly outputShape: readonly number[];
}

interface SymbolicLike {
  sourceLayer: tf.layers.Layer;
  nodeIndex: number;
  tensorIndex: number;
  shape: (number | null)[];
}
interface NodeLike { inputTensors: SymbolicLike[] }

/**
 * Layers of `model` in topological order (input layers first), each with its inputs.
 * @example modelGraph(simpleNet({seed: 1})).map((n) => n.name) // ['fc1_input', 'fc1', 'fc2', 'fc3']
 */
export function modelGraph(model: tf.LayersModel, fn = 'modelGraph'): GraphNode[] {
  const order: GraphNode[] = [];
  const done = new Set<string>();
  const visit = (t: SymbolicLike): void => {
    const layer = t.sourceLayer;
    if (done.has(layer.name)) return;
    const inbound = (layer as unknown as { inboundNodes: NodeLike[] }).inboundNodes;
    if (inbound.length > 1 && layer.getClassName() !== 'InputLayer') {
      throw new UnsupportedLayerError(`${fn}: each layer applied once, got layer "${layer.name}" (${layer.getClassName()}) applied ` +
        `${inbound.length} times. Give each call its own layer.`, layer.name, layer.getClassName());
    }
    const node = inbound[t.nodeIndex] as NodeLike;
    const inputs = layer.getClassName() === 'InputLayer' ? [] : node.inputTensors;
    for (const i of inputs) {
      if (i.tensorIndex !== 0) {
        throw new UnsupportedLayerError(`${fn}: single-output layers, got output ${i.tensorIndex} of "${i.sourceLayer.name}". ` +
          `Split the layer into single-output layers.`, i.sourceLayer.name, i.sourceLayer.getClassName());
      }
      visit(i);
    }
    done.add(layer.name);
    order.push({
      layer, name: layer.name, className: layer.getClassName(), inputs: inputs.map((i) => i.sourceLayer.name),
      outputShape: t.shape.slice(1) as number[],
    });
  };
  for (const o of model.outputs as unknown as SymbolicLike[]) visit(o);
  return order;
}

/** Hooks of {@link runGraph}. */
export interface GraphHooks {
  /** Replaces a layer's output (e.g. with a fake-quantized copy). */
  readonly after?: (node: GraphNode, y: tf.Tensor) => tf.Tensor;
  /** Replaces a layer's inputs. */
  readonly before?: (node: GraphNode, inputs: tf.Tensor[]) => tf.Tensor[];
  /** Computes a layer instead of `layer.apply` (return undefined to fall back). */
  readonly apply?: (node: GraphNode, inputs: tf.Tensor[]) => tf.Tensor | undefined;
}

/** Runs the graph on `x` layer by layer (inference mode) with optional hooks. Call inside tf.tidy. Single input and output. */
export function runGraph(graph: readonly GraphNode[], x: tf.Tensor, hooks: GraphHooks = {}): tf.Tensor {
  const values = new Map<string, tf.Tensor>();
  let last: tf.Tensor = x;
  for (const node of graph) {
    let y: tf.Tensor;
    if (node.className === 'InputLayer') y = x;
    else {
      let ins = node.inputs.map((n) => values.get(n) as tf.Tensor);
      if (hooks.before) ins = hooks.before(node, ins);
      y = hooks.apply?.(node, ins) ?? node.layer.apply(ins.length === 1 ? ins[0] as tf.Tensor : ins, { training: false }) as tf.Tensor;
    }
    if (hooks.after) y = hooks.after(node, y);
    values.set(node.name, y);
    last = y;
  }
  return last;
}
