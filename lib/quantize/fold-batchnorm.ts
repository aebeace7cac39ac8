// Folding BatchNormalization into the layer before it (inference form): with
// s = gamma / sqrt(var + eps), W' = W * s along the kernel's output-channel axis and
// b' = (b - mean) * s + beta (the arithmetic is core/batchnorm.ts's, shared with TFLite's fusion). Static INT8 runtimes fold BN before quantizing, so the quantized
// kernel is the folded one. Which layers can absorb it is the registry's `foldsBatchNorm`.
import * as tf from '@tensorflow/tfjs';
import { GraphNode, consumersOf, modelGraph, requireLayersModel } from '../core/graph';
import { batchNormAffine, batchNormParamsOf, foldBatchNormInto } from '../core/batchnorm';
import { rebuildModel } from '../core/rewrite';

/** What {@link foldBatchNorm} did. */
export interface FoldReport {
  readonly folded: { readonly layer: string; readonly batchNorm: string }[];
  /** BatchNormalization layers left in place (no foldable producer). */
  readonly kept: string[];
}

function foldable(
  byName: Map<string, GraphNode>,
  consumers: Map<string, GraphNode[]>,
  bn: GraphNode,
): GraphNode | undefined {
  const producer = byName.get(bn.inputs[0] as string);
  // The registry's answer: a kernel whose output axis carries the output channels (Dense, convolutions, depthwise).
  if (!producer?.entry?.foldsBatchNorm || !producer.entry.kernel) return undefined;
  if (producer.entry.activation?.(producer.config)) return undefined;
  const axis = (bn.config as { axis?: number }).axis ?? -1;
  const rank = bn.outputShape.length + 1;
  if ((consumers.get(producer.name) ?? []).length !== 1 || !(axis === -1 || axis === rank - 1)) return undefined;
  return producer;
}

/**
 * A new model with every BatchNormalization that directly follows a linear Dense/Conv/
 * DepthwiseConv2D folded into it. Outputs equal the input model's (inference mode) up to float error.
 * @example const {model: folded} = await foldBatchNorm(cnn({seed: 1})); // no BatchNormalization layers
 */
export async function foldBatchNorm(model: tf.LayersModel): Promise<{ model: tf.LayersModel; report: FoldReport }> {
  requireLayersModel(model, 'quantize.foldBatchNorm');
  const graph = modelGraph(model, 'quantize.foldBatchNorm');
  const byName = new Map(graph.map((n) => [n.name, n]));
  const consumers = consumersOf(graph);
  const remove = new Map<string, string>();
  const patch: Record<string, Record<string, unknown>> = {};
  const weights: Record<string, tf.Tensor[]> = {};
  const report: FoldReport = { folded: [], kept: [] };
  for (const bn of graph.filter((n) => n.entry?.batchNorm)) {
    const producer = foldable(byName, consumers, bn);
    if (!producer) {
      report.kept.push(bn.name);
      continue;
    }
    const affine = batchNormAffine(
      batchNormParamsOf(
        bn.config,
        bn.layer.getWeights().map((w) => w.dataSync() as Float32Array),
      ),
    );
    const [kernel, bias] = producer.layer.getWeights() as [tf.Tensor, tf.Tensor | undefined];
    const f = foldBatchNormInto(
      kernel.dataSync() as Float32Array,
      bias?.dataSync() as Float32Array | undefined,
      affine.scale.length,
      affine,
    );
    weights[producer.name] = [tf.tensor(f.kernel, kernel.shape, 'float32'), tf.tensor1d(f.bias, 'float32')];
    patch[producer.name] = { use_bias: true };
    remove.set(bn.name, producer.name);
    report.folded.push({ layer: producer.name, batchNorm: bn.name });
  }
  const folded = await rebuildModel(model, { remove, patch, weights }, 'quantize.foldBatchNorm');
  Object.values(weights).forEach((ws) => tf.dispose(ws));
  return { model: folded, report };
}
