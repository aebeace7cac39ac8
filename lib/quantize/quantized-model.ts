// A quantized model as a real tf.LayersModel (TFMOT's quantize_apply design): the float model
// the plan refers to (BatchNormalization folded for static plans) with every quantized kernel
// replaced by dequantize(quantize(w)) (and static biases by their int32 grid), a FakeQuantize
// layer after each activation point (static) or a DynamicQuantize layer before each quantized
// Dense (dynamic), and the plan in its metadata. predict / evaluate / fit / profile / save /
// export take it like any model. tfjs has no int8 kernels, so it measures accuracy, not speed.
import * as tf from '@tensorflow/tfjs';
import { fakeQuantize } from './affine';
import { GraphNode, modelGraph } from '../core/graph';
import { QuantPlan, attachPlan, biasQParams } from './plan';
import { FakeQuantize } from './fake-quantize-layer';
import { PointDecision, dynamicPoints, inheritsGrid } from './placement';
import { QParams } from './qparams';
import { InsertedLayer, rebuildModel } from '../core/rewrite';
import { blockCount } from './blockwise';

/** Bytes of zero points in ONNX for integers of `bits` (int8/uint8 containers, else 16-bit). */
const zeroPointBytes = (bits: number) => (bits <= 8 ? 1 : 2);

/**
 * Bytes of a blockwise kernel [K, N] as ONNX Runtime's MatMulNBits stores it: `bits`-bit
 * integers packed into bytes per (channel, block), the last block padded to whole; one float32
 * scale per (channel, block); zero points packed the same way per channel, or none for
 * symmetric signed integers (stored shifted by 2^(bits-1), MatMulNBits' default zero point).
 * @example blockwiseBytes(qp4x32, [784, 256]) // 256 * 25 * (16 + 4) = 128000
 */
export function blockwiseBytes(qp: QParams, shape: readonly number[]): number {
  const axis = qp.axis as number;
  const channels = shape[axis] as number;
  const blocks = blockCount(shape[1 - axis] as number, qp.blockSize as number);
  const zeroPoints = qp.signed && qp.symmetric ? 0 : channels * Math.ceil((blocks * qp.bits) / 8);
  return channels * blocks * Math.ceil(((qp.blockSize as number) * qp.bits) / 8) + 4 * channels * blocks + zeroPoints;
}

/**
 * Bytes of a quantized model's parameters as the ONNX export stores them: integer kernels
 * packed at `bits` (ONNX keeps integers narrower than 8 bits in 8-bit containers, so below 8
 * bits the file is larger; blockwise kernels are packed as MatMulNBits packs them, see
 * blockwiseBytes), their scales (float32) and zero points, int32 biases with their scales,
 * one scale and zero point per activation point, and every other weight as float32.
 */
export function quantizedSizeBytes(model: tf.LayersModel, plan: QuantPlan): number {
  let bytes = 0;
  const graph = modelGraph(model, 'quantizedSizeBytes');
  const grids = valueGridsOf(graph);
  for (const node of graph) {
    if (node.layer instanceof FakeQuantize) bytes += 4 + zeroPointBytes(node.layer.qparams.bits);
    // ONNX BatchNormalization takes a scale and a bias: one without gamma or beta stores ones / zeros.
    if (node.entry?.batchNorm)
      bytes +=
        4 *
        (node.outputShape.at(-1) as number) *
        ((node.config.scale === false ? 1 : 0) + (node.config.center === false ? 1 : 0));
    const qp = plan.weights[node.name];
    const k = node.entry?.kernel?.index ?? 0;
    const int32Bias = plan.mode === 'static' && qp && grids.get(node.inputs[0] as string);
    node.layer.weights.forEach((w, i) => {
      const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      if (qp && i === k && qp.blockSize !== undefined) bytes += blockwiseBytes(qp, w.shape as number[]);
      else if (qp && i === k)
        bytes +=
          Math.ceil((n * qp.bits) / 8) +
          qp.scale.length * (4 + (plan.mode === 'dynamic' ? 0 : zeroPointBytes(qp.bits)));
      else if (int32Bias && i === 1) bytes += 4 * n + 4 * qp.scale.length;
      else bytes += 4 * n;
    });
  }
  return bytes;
}

/**
 * The grid each layer output of a quantized model lies on: a FakeQuantize layer's own, carried
 * through the layers that only move values; undefined for float values.
 */
export function valueGridsOf(graph: readonly GraphNode[]): Map<string, QParams | undefined> {
  const grids = new Map<string, QParams | undefined>();
  for (const n of graph) {
    if (n.layer instanceof FakeQuantize) grids.set(n.name, n.layer.qparams);
    else if (inheritsGrid(n)) grids.set(n.name, grids.get(n.inputs[0] as string));
    else grids.set(n.name, undefined);
  }
  return grids;
}

function uniqueName(taken: Set<string>, base: string): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/**
 * Builds the quantized model of `base` under `plan` (static points from `decisions`). Borrows
 * `base`; the caller owns the result.
 */
export async function buildQuantizedModel(
  base: tf.LayersModel,
  plan: QuantPlan,
  decisions: readonly PointDecision[],
): Promise<tf.LayersModel> {
  const graph: GraphNode[] = modelGraph(base, 'quantize');
  const gridOf = new Map(decisions.map((d) => [d.layer, d.grid]));
  const weights: Record<string, tf.Tensor[]> = {};
  for (const node of graph) {
    const qp = plan.weights[node.name];
    if (!qp) continue;
    const k = node.entry?.kernel?.index ?? 0;
    const grid = gridOf.get(node.inputs[0] as string);
    const inQ = plan.mode === 'static' && grid ? plan.activations[grid] : undefined;
    weights[node.name] = node.layer.getWeights().map((w, i) => {
      if (i === k) return fakeQuantize(w, qp);
      if (i === 1 && inQ) return fakeQuantize(w, biasQParams(inQ, qp));
      return w.clone();
    });
  }
  const taken = new Set(graph.map((n) => n.name));
  const insert: InsertedLayer[] = [];
  if (plan.mode === 'static') {
    for (const d of decisions) {
      const qp = d.point ? plan.activations[d.layer] : undefined;
      if (!qp) continue;
      insert.push({
        after: d.layer,
        className: 'FakeQuantize',
        config: {
          name: uniqueName(taken, `${d.layer}_quant`),
          trainable: false,
          bits: qp.bits,
          signed: qp.signed,
          symmetric: qp.symmetric,
          scale: qp.scale[0] as number,
          zero_point: qp.zeroPoint[0] as number,
        },
      });
    }
  } else if (plan.mode === 'dynamic') {
    for (const p of dynamicPoints(graph, (n) => plan.weights[n] !== undefined)) {
      insert.push({
        after: p.input,
        consumers: [p.layer],
        className: 'DynamicQuantize',
        config: { name: uniqueName(taken, `${p.layer}_input_quant`), trainable: false, bits: plan.activationBits },
      });
    }
  }
  try {
    const model = await rebuildModel(base, { weights, insert }, 'quantize');
    attachPlan(model, plan);
    return model;
  } finally {
    Object.values(weights).forEach((ws) => tf.dispose(ws));
  }
}
