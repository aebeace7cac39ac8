// The inference form of a layers model: what deployment converters run instead of the model as
// trained. BatchNormalization is folded into the Dense/Conv before it (quantize.foldBatchNorm),
// and a ReLU/ReLU6 that follows a Dense/Conv is fused into it, so tfjs runs one fused kernel
// (XNNPACK's convolution or matmul with bias and clamp) where the trained model runs three
// passes over the feature map. TFLite's converter, tfjs-converter's graph optimizer and ONNX
// Runtime's graph optimizer do the same (Jacob et al. 2018, arXiv:1712.05877, section 3.2, fold
// batch norm; ORT's Conv+Relu fusion). Outputs equal the input model's up to float error.
import * as tf from '@tensorflow/tfjs';
import { GraphNode, modelGraph } from '../core/graph';
import { FUSABLE_ACTIVATIONS } from '../core/layers';
import { foldBatchNorm } from '../quantize/fold-batchnorm';
import { rebuildModel } from '../core/rewrite';

/** What {@link inferenceForm} did. */
export interface InferenceFormReport {
  /** BatchNormalization layers folded, with the layer each went into. */
  readonly folded: { readonly layer: string; readonly batchNorm: string }[];
  /** Activation layers fused into the layer before them. */
  readonly fused: { readonly layer: string; readonly activation: string; readonly activationLayer: string }[];
  /** BatchNormalization layers left in place (no foldable producer). */
  readonly kept: string[];
}

/** The registry fuses a following activation into this layer, and its config has an inline activation to take it. */
const takesActivation = (n: GraphNode): boolean => n.entry?.fusesActivation === true && 'activation' in n.config;

/** The producer an activation layer can be fused into, with the activation's name; undefined if none. */
function fusable(graph: GraphNode[], node: GraphNode): { producer: GraphNode; activation: string } | undefined {
  const activation = node.entry?.activation?.(node.config);
  if (!activation || !FUSABLE_ACTIVATIONS.has(activation) || node.inputs.length !== 1) return undefined;
  const producer = graph.find((n) => n.name === node.inputs[0]);
  if (!producer || !takesActivation(producer) || producer.entry?.activation?.(producer.config) !== undefined)
    return undefined;
  if (graph.filter((n) => n.inputs.includes(producer.name)).length !== 1) return undefined;
  return { producer, activation };
}

/**
 * A new model in inference form: BatchNormalization folded into the Dense/Conv before it, and a
 * ReLU/ReLU6 activation layer after a Dense/Conv fused into it. The input is not modified; the
 * caller owns the result.
 * @example const {model: deployed, report} = await inferenceForm(cnn({seed: 1})); deployed.layers.length // 7 (11 before)
 */
export async function inferenceForm(
  model: tf.LayersModel,
): Promise<{ model: tf.LayersModel; report: InferenceFormReport }> {
  modelGraph(model, 'exporters.inferenceForm'); // typed refusals first (graph models, shared layers)
  const folded = await foldBatchNorm(model);
  try {
    const graph = modelGraph(folded.model, 'exporters.inferenceForm');
    const remove = new Map<string, string>();
    const patch: Record<string, Record<string, unknown>> = {};
    const fused: InferenceFormReport['fused'] = [];
    for (const node of graph) {
      const f = fusable(graph, node);
      if (!f) continue;
      patch[f.producer.name] = { activation: f.activation };
      remove.set(node.name, f.producer.name);
      fused.push({ layer: f.producer.name, activation: f.activation, activationLayer: node.name });
    }
    const out = await rebuildModel(folded.model, { remove, patch });
    return { model: out, report: { folded: folded.report.folded, fused, kept: folded.report.kept } };
  } finally {
    folded.model.dispose();
  }
}
