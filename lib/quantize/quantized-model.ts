// A quantized model as tfjs can run it: the float model the plan refers to, a copy whose
// kernels are dequantize(quantize(w)), and the simulated quantized forward pass (activations
// fake-quantized where the plan says: per layer output for static, per batch at each weight
// layer's input for dynamic). tfjs has no int8 kernels, so this measures accuracy, not speed.
import * as tf from '@tensorflow/tfjs';
import { fakeQuantize } from './affine';
import { GraphNode, modelGraph, runGraph } from '../core/graph';
import { QuantPlan, WEIGHT_LAYERS, biasQParams } from './plan';
import { QParams, qparamsFromRange } from './qparams';
import { rebuildModel } from './rebuild';

/** A model with its quantization plan and a simulated quantized forward pass. */
export interface QuantizedModel {
  /** The float model the plan refers to (BatchNormalization folded for static plans). Export this with the plan. */
  readonly model: tf.LayersModel;
  /** `model` with every quantized kernel (and static bias) replaced by its dequantized value. */
  readonly dequantized: tf.LayersModel;
  readonly plan: QuantPlan;
  /** Simulated quantized forward pass (logits). The caller owns the result. */
  predict(x: tf.Tensor): tf.Tensor;
  /** Bytes of the quantized parameters (integer kernels, scales, zero points, int32 biases, other floats). */
  readonly sizeBytes: number;
  dispose(): void;
}

/** Bytes of a plan's parameters for `model` (kernels at `bits` packed, scales f32, zero points, the rest f32). */
export function quantizedSizeBytes(model: tf.LayersModel, plan: QuantPlan): number {
  let bytes = 0;
  for (const layer of model.layers) {
    const qp = plan.weights[layer.name];
    layer.weights.forEach((w, i) => {
      const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      if (qp && i === 0) bytes += Math.ceil((n * plan.weightBits) / 8) + qp.scale.length * (4 + (plan.weightBits <= 8 ? 1 : 2));
      else bytes += 4 * n;
    });
  }
  return bytes;
}

/** Dynamic quantization of an activation batch: asymmetric uint8 over [min(x, 0), max(x, 0)], as DynamicQuantizeLinear. */
export function dynamicQParams(x: tf.Tensor, bits: number): QParams {
  const [lo, hi] = tf.tidy(() => [tf.min(x), tf.max(x)]);
  const qp = qparamsFromRange([lo.dataSync()[0] as number], [hi.dataSync()[0] as number], { bits });
  tf.dispose([lo, hi]);
  return qp;
}

/** Builds the dequantized copy and the simulated forward pass of `model` under `plan`. Takes ownership of `model`. */
export async function makeQuantizedModel(model: tf.LayersModel, plan: QuantPlan): Promise<QuantizedModel> {
  const graph: GraphNode[] = modelGraph(model, 'quantize');
  const weights: Record<string, tf.Tensor[]> = {};
  for (const node of graph) {
    const qp = plan.weights[node.name];
    if (!qp || !WEIGHT_LAYERS.has(node.className)) continue;
    const ws = node.layer.getWeights();
    const inQ = plan.mode === 'static' ? plan.activations[node.inputs[0] as string] : undefined;
    weights[node.name] = ws.map((w, i) => {
      if (i === 0) return fakeQuantize(w, qp);
      if (i === 1 && inQ) return fakeQuantize(w, biasQParams(inQ, qp));
      return w.clone();
    });
  }
  const dequantized = await rebuildModel(model, { weights });
  Object.values(weights).forEach((ws) => tf.dispose(ws));
  const dqGraph = modelGraph(dequantized, 'quantize');
  const predict = (x: tf.Tensor): tf.Tensor => tf.tidy(() => {
    if (plan.mode === 'static') {
      return runGraph(dqGraph, x, { after: (node, y) => {
        const qp = plan.activations[node.name];
        return qp ? fakeQuantize(y, qp) : y;
      } });
    }
    if (plan.mode === 'dynamic') {
      return runGraph(dqGraph, x, { before: (node, ins) => (plan.weights[node.name] && node.className === 'Dense'
        ? ins.map((t) => fakeQuantize(t, dynamicQParams(t, plan.activationBits))) : ins) });
    }
    return dequantized.predict(x, { batchSize: x.shape[0] }) as tf.Tensor;
  });
  return {
    model, dequantized, plan, predict, sizeBytes: quantizedSizeBytes(model, plan),
    dispose() {
      model.dispose();
      dequantized.dispose();
    },
  };
}
