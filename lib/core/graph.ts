// The one graph walker: the layers of a tfjs layers model (Sequential or functional) in
// topological order, each with its registry entry, the layers it reads from and its shapes.
// Profile, pruning, quantization and the exporters all walk this list. Shared layers (one layer
// called twice) and multi-output layers are refused with a typed error; graph models
// (tf.loadGraphModel) are refused by `requireLayersModel` with what to do instead.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, UnsupportedLayerError, describe } from '../errors';
import { LayerEntry, isModelInput, layerEntry } from './layers';

/** One layer of the graph. Shapes are without the batch dimension (-1 where unknown). */
export interface GraphNode {
  readonly layer: tf.layers.Layer;
  readonly name: string;
  readonly className: string;
  /** The registry entry, undefined when the library has no rule for the class. */
  readonly entry: LayerEntry | undefined;
  /** The layer's config (Keras-style camelCase keys, as `layer.getConfig()`). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Names of the producing layers (input layers included), in call order. */
  readonly inputs: readonly string[];
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
}

interface SymbolicLike {
  sourceLayer: tf.layers.Layer;
  nodeIndex: number;
  tensorIndex: number;
  shape: (number | null)[];
}
interface NodeLike {
  inputTensors: SymbolicLike[];
}

const dropBatch = (shape: readonly (number | null)[]): number[] => shape.slice(1).map((d) => (d == null ? -1 : d));

/** True for a tf.GraphModel (from tf.loadGraphModel), which has no layers. */
export function isGraphModel(model: unknown): model is tf.GraphModel {
  return model instanceof tf.GraphModel;
}

/**
 * Throws a typed error unless `model` is a tf.LayersModel; `fn` names the caller. A graph
 * model gets an error that says what works on it instead.
 */
export function requireLayersModel(model: unknown, fn: string): asserts model is tf.LayersModel {
  if (model instanceof tf.LayersModel) return;
  if (isGraphModel(model)) {
    throw new ConfigError(
      `${fn}: a tf.LayersModel, got a tf.GraphModel (a converted SavedModel or TF Hub model, loaded with tf.loadGraphModel). ` +
        `A graph model has no layers to ${fn.startsWith('prune') ? 'prune' : fn.startsWith('quantize') ? 'quantize or calibrate' : fn.startsWith('distill') ? 'train' : 'rewrite'}: ` +
        `convert the Keras model with tensorflowjs_converter --output_format tfjs_layers_model, or use profile.profileModel and ` +
        `exporters.quantizeGraphArtifacts (weight quantization of the files), which work on graph models.`,
    );
  }
  throw new ConfigError(
    `${fn}: a tf.LayersModel, got ${describe(model)}. Build one with tf.sequential / tf.model or load it with loadModel.`,
  );
}

/**
 * Layers of `model` in topological order (input layers first), each with its inputs and shapes.
 * @example modelGraph(simpleNet({seed: 1})).map((n) => n.name) // ['fc1_input', 'fc1', 'fc2', 'fc3']
 */
export function modelGraph(model: tf.LayersModel, fn = 'modelGraph'): GraphNode[] {
  requireLayersModel(model, fn);
  const order: GraphNode[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (t: SymbolicLike): void => {
    const layer = t.sourceLayer;
    if (done.has(layer.name)) return;
    if (visiting.has(layer.name)) {
      throw new UnsupportedLayerError(
        `${fn}: an acyclic layer graph, got a cycle through layer "${layer.name}". Rebuild the model with tf.model.`,
        layer.name,
        layer.getClassName(),
      );
    }
    visiting.add(layer.name);
    const className = layer.getClassName();
    const inbound = (layer as unknown as { inboundNodes: NodeLike[] }).inboundNodes ?? [];
    if (inbound.length > 1 && !isModelInput(className)) {
      throw new UnsupportedLayerError(
        `${fn}: each layer applied once, got layer "${layer.name}" (${className}) applied ` +
          `${inbound.length} times (a shared layer). Give each call its own layer.`,
        layer.name,
        className,
      );
    }
    const node = inbound[t.nodeIndex];
    const inputs = isModelInput(className) || !node ? [] : node.inputTensors;
    for (const i of inputs) {
      if (i.tensorIndex !== 0) {
        throw new UnsupportedLayerError(
          `${fn}: single-output layers, got output ${i.tensorIndex} of "${i.sourceLayer.name}" (${i.sourceLayer.getClassName()}). ` +
            `Split the layer into single-output layers.`,
          i.sourceLayer.name,
          i.sourceLayer.getClassName(),
        );
      }
      visit(i);
    }
    visiting.delete(layer.name);
    done.add(layer.name);
    const outputShape = isModelInput(className)
      ? dropBatch((layer as unknown as { batchInputShape: (number | null)[] }).batchInputShape ?? t.shape)
      : dropBatch(t.shape);
    order.push({
      layer,
      name: layer.name,
      className,
      entry: layerEntry(className),
      config: layer.getConfig() as Record<string, unknown>,
      inputs: inputs.map((i) => i.sourceLayer.name),
      inputShapes: inputs.map((i) => dropBatch(i.shape)),
      outputShape,
    });
  };
  for (const o of model.outputs as unknown as SymbolicLike[]) visit(o);
  return order;
}

/** The nodes reading each node's output, by producer name. */
export function consumersOf(graph: readonly GraphNode[]): Map<string, GraphNode[]> {
  const out = new Map<string, GraphNode[]>(graph.map((n) => [n.name, []]));
  for (const n of graph) for (const i of n.inputs) out.get(i)?.push(n);
  return out;
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

/** Options of {@link runGraph}. */
export interface RunGraphOptions {
  /** Training-mode forward pass (dropout, batch statistics). Default false. */
  readonly training?: boolean;
  /**
   * Dispose each intermediate value after its last consumer (bounded memory for inference over
   * big models; never while recording gradients). Default false.
   */
  readonly release?: boolean;
}

/**
 * Runs the graph on `x` layer by layer with optional hooks. Single input and output; call inside
 * tf.tidy (or own the result). With `release`, peak memory is that of the live values only.
 */
export function runGraph(
  graph: readonly GraphNode[],
  x: tf.Tensor,
  hooks: GraphHooks = {},
  options: RunGraphOptions = {},
): tf.Tensor {
  const values = new Map<string, tf.Tensor>();
  const remaining = new Map<string, number>();
  for (const n of graph) for (const i of n.inputs) remaining.set(i, (remaining.get(i) ?? 0) + 1);
  let last: tf.Tensor = x;
  for (const node of graph) {
    let y: tf.Tensor;
    if (isModelInput(node.className)) y = x;
    else {
      let ins = node.inputs.map((n) => values.get(n) as tf.Tensor);
      if (hooks.before) ins = hooks.before(node, ins);
      const apply = () =>
        hooks.apply?.(node, ins) ??
        (node.layer.apply(ins.length === 1 ? (ins[0] as tf.Tensor) : ins, {
          training: options.training ?? false,
        }) as tf.Tensor);
      // With `release`, a layer's own intermediates (some tfjs layers do not tidy their call) go with it.
      y = options.release ? tf.tidy(apply) : apply();
      if (options.release) {
        for (const name of node.inputs) {
          const left = (remaining.get(name) ?? 1) - 1;
          remaining.set(name, left);
          const v = values.get(name);
          if (left === 0 && v && v !== x && v !== y) {
            v.dispose();
            values.delete(name);
          }
        }
      }
    }
    if (hooks.after) y = hooks.after(node, y);
    values.set(node.name, y);
    last = y;
  }
  return last;
}
