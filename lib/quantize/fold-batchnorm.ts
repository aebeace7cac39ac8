// Folding BatchNormalization into the preceding Dense / Conv2D / DepthwiseConv2D (inference
// form): with s = gamma / sqrt(var + eps), W' = W * s (per output channel), b' = (b - mean) * s + beta.
// Static INT8 runtimes fold BN before quantizing, so the quantized kernel is the folded one.
import * as tf from '@tensorflow/tfjs';
import { GraphNode, modelGraph } from '../core/graph';
import { rebuildModel } from './rebuild';

/** What {@link foldBatchNorm} did. */
export interface FoldReport {
  readonly folded: { readonly layer: string; readonly batchNorm: string }[];
  /** BatchNormalization layers left in place (no foldable producer). */
  readonly kept: string[];
}

const FOLDABLE = new Set(['Dense', 'Conv2D', 'DepthwiseConv2D']);

function foldable(graph: GraphNode[], bn: GraphNode): GraphNode | undefined {
  const producer = graph.find((n) => n.name === bn.inputs[0]);
  if (!producer || !FOLDABLE.has(producer.className)) return undefined;
  const cfg = producer.layer.getConfig() as { activation?: string };
  if ((cfg.activation ?? 'linear') !== 'linear') return undefined;
  const consumers = graph.filter((n) => n.inputs.includes(producer.name));
  const axis = (bn.layer.getConfig() as { axis?: number }).axis ?? -1;
  const rank = bn.outputShape.length + 1;
  if (consumers.length !== 1 || !(axis === -1 || axis === rank - 1)) return undefined;
  return producer;
}

/**
 * A new model with every BatchNormalization that directly follows a linear Dense/Conv2D/
 * DepthwiseConv2D folded into it. Outputs equal the input model's (inference mode) up to float error.
 * @example const {model: folded} = await foldBatchNorm(cnn({seed: 1})); // no BatchNormalization layers
 */
export async function foldBatchNorm(model: tf.LayersModel): Promise<{ model: tf.LayersModel; report: FoldReport }> {
  const graph = modelGraph(model, 'foldBatchNorm');
  const remove = new Map<string, string>();
  const patch: Record<string, Record<string, unknown>> = {};
  const weights: Record<string, tf.Tensor[]> = {};
  const report: FoldReport = { folded: [], kept: [] };
  for (const bn of graph.filter((n) => n.className === 'BatchNormalization')) {
    const producer = foldable(graph, bn);
    if (!producer) {
      report.kept.push(bn.name);
      continue;
    }
    const cfg = bn.layer.getConfig() as { epsilon?: number; scale?: boolean; center?: boolean };
    const bw = bn.layer.getWeights();
    const pw = producer.layer.getWeights();
    weights[producer.name] = tf.tidy(() => {
      let i = 0;
      const c = (bw[bw.length - 1] as tf.Tensor).size;
      const gamma = cfg.scale !== false ? bw[i++] as tf.Tensor : tf.ones([c]);
      const beta = cfg.center !== false ? bw[i++] as tf.Tensor : tf.zeros([c]);
      const mean = bw[i++] as tf.Tensor;
      const variance = bw[i++] as tf.Tensor;
      const s = tf.div(gamma, tf.sqrt(tf.add(variance, cfg.epsilon ?? 1e-3)));
      const kernel = pw[0] as tf.Tensor;
      // Depthwise kernels are [kh, kw, in, mult]; output channel = in * mult + m.
      const sk = producer.className === 'DepthwiseConv2D' ? tf.reshape(s, kernel.shape.slice(2)) : s;
      const bias = pw[1] ?? tf.zeros([c]);
      return [tf.mul(kernel, sk), tf.add(tf.mul(tf.sub(bias, mean), s), beta)];
    });
    patch[producer.name] = { use_bias: true };
    remove.set(bn.name, producer.name);
    report.folded.push({ layer: producer.name, batchNorm: bn.name });
  }
  const folded = await rebuildModel(model, { remove, patch, weights });
  Object.values(weights).forEach((ws) => tf.dispose(ws));
  return { model: folded, report };
}
