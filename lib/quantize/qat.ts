// Quantization-aware training (Jacob et al. 2018, arXiv:1712.05877; TFMOT's QAT): fold
// BatchNormalization, then fine-tune with fake quantization in the forward pass (kernels per
// channel at `weightBits`, activations per tensor at `activationBits` with moving-average
// ranges) and straight-through gradients, then convert to a QuantizedModel with the same plan
// form as post-training quantization (so it exports to ONNX the same way).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, UnsupportedLayerError, describe } from '../errors';
import { requireLayersModel } from '../core/graph';
import { DataSource } from '../data/source';
import { fit } from '../train/fit';
import { ProgressReporter } from '../train/progress';
import { fakeQuantize } from './affine';
import { foldBatchNorm } from './fold-batchnorm';
import { GraphNode, modelGraph, runGraph } from '../core/graph';
import { PASS_THROUGH, QuantPlan, WEIGHT_LAYERS } from './plan';
import { QParams, chooseQParams, qparamsFromRange } from './qparams';
import { QuantizedModel, makeQuantizedModel } from './quantized-model';
import { kernelAxis, weightPlan } from './post-training';

/** Options of {@link quantizationAwareTraining}. */
export interface QatOptions {
  readonly epochs: number;
  readonly seed: number;
  /** Kernel bits (default 8); per channel unless granularity says otherwise. */
  readonly weightBits?: number;
  readonly granularity?: 'per-tensor' | 'per-channel';
  /** Activation bits (default 8). */
  readonly activationBits?: number;
  /** Adam learning rate (default 1e-4: fine-tuning). */
  readonly learningRate?: number;
  readonly batchSize?: number;
  /** Weight of each batch in the activation ranges' moving average (default 0.01). */
  readonly averagingConstant?: number;
  readonly progress?: ProgressReporter;
}

/** Activation ranges learned during QAT, by layer name (plain JSON, cacheable). */
export type ActivationRanges = Record<string, { min: number; max: number }>;

/** What {@link quantizationAwareTraining} reports. */
export interface QatReport {
  readonly weightBits: number;
  readonly activationBits: number;
  readonly steps: number;
  readonly epochLosses: number[];
  readonly foldedBatchNorm: { layer: string; batchNorm: string }[];
  readonly ranges: ActivationRanges;
}

const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x, relu: tf.relu, relu6: tf.relu6, sigmoid: tf.sigmoid, tanh: tf.tanh, elu: tf.elu,
  softmax: (x) => tf.softmax(x), softplus: tf.softplus,
};

type Pair = [number, number];
const pair = (v: unknown): Pair => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] as Pair : [v as number, v as number]);

/** The forward op of a weight layer with its kernel replaced by `kernel` (gradients reach the layer's variables). */
export function weightLayerForward(node: GraphNode, x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
  const cfg = node.layer.getConfig() as Record<string, unknown>;
  const bias = node.layer.weights[1]?.read();
  const act = ACTIVATIONS[(cfg.activation as string) ?? 'linear'];
  if (!act) throw new UnsupportedLayerError(`quantizationAwareTraining: activations ${Object.keys(ACTIVATIONS).join(', ')}, got "${String(cfg.activation)}" in layer "${node.name}". Use a supported activation.`, node.name, node.className);
  let y: tf.Tensor;
  if (node.className === 'Dense') y = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
  else {
    const strides = pair(cfg.strides ?? 1);
    const dilations = pair(cfg.dilationRate ?? 1);
    const padding = cfg.padding as 'same' | 'valid';
    y = node.className === 'Conv2D'
      ? tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, strides, padding, 'NHWC', dilations)
      : tf.depthwiseConv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, strides, padding, 'NHWC', dilations);
  }
  if (bias) y = tf.add(y, bias);
  return act(y);
}

function check(o: QatOptions): void {
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0)) throw new ConfigError(`quantizationAwareTraining: epochs a non-negative integer, got ${describe(o.epochs)}. Use 1.`);
  for (const [k, v] of [['weightBits', o.weightBits ?? 8], ['activationBits', o.activationBits ?? 8]] as const) {
    if (!(Number.isInteger(v) && v >= 2 && v <= 16)) throw new ConfigError(`quantizationAwareTraining: ${k} an integer in [2, 16], got ${describe(v)}. Use 8 or 4.`);
  }
}

/** Builds the QuantizedModel of a QAT-trained (BN-folded) model from its learned activation ranges. Borrows `model`. */
export async function convertQat(model: tf.LayersModel, ranges: ActivationRanges, options: Pick<QatOptions, 'weightBits' | 'activationBits' | 'granularity'> = {}): Promise<QuantizedModel> {
  const { model: base } = await foldBatchNorm(model);
  const activationBits = options.activationBits ?? 8;
  const activations: Record<string, QParams> = {};
  for (const [name, r] of Object.entries(ranges)) activations[name] = qparamsFromRange([r.min], [r.max], { bits: activationBits });
  const plan: QuantPlan = {
    mode: 'static', weightBits: options.weightBits ?? 8, activationBits,
    weights: weightPlan(base, { weightBits: options.weightBits ?? 8, granularity: options.granularity }), activations,
  };
  return makeQuantizedModel(base, plan);
}

/**
 * Fine-tunes a copy of `model` with fake quantization and returns the converted quantized model.
 * The input model is not modified. Randomness (batch order) comes from `seed`.
 * @example const {model: q} = await quantize.quantizationAwareTraining(model, mnist.train, {epochs: 1, seed: 1, weightBits: 4});
 */
export async function quantizationAwareTraining(model: tf.LayersModel, train: DataSource, options: QatOptions): Promise<{ model: QuantizedModel; report: QatReport }> {
  requireLayersModel(model, 'quantize.quantizationAwareTraining');
  check(options);
  const weightBits = options.weightBits ?? 8;
  const activationBits = options.activationBits ?? 8;
  const c = options.averagingConstant ?? 0.01;
  const folded = await foldBatchNorm(model);
  const base = folded.model;
  const graph = modelGraph(base, 'quantizationAwareTraining');
  const ranges: ActivationRanges = {};
  const axis = (n: GraphNode) => (options.granularity === 'per-tensor' ? undefined : kernelAxis(n.className, n.layer.weights[0]?.shape as number[]));
  let kernelQ = new Map<string, QParams>();
  const observed: [string, tf.Tensor, tf.Tensor][] = [];
  // fit's hooks: kernels' qparams from the current weights before each step; the fake-quantized
  // forward pass; moving-average activation ranges after each step (the first batch initializes them).
  const history = await fit(base, train, {
    epochs: options.epochs, seed: options.seed, batchSize: options.batchSize ?? 128, learningRate: options.learningRate ?? 1e-4,
    ...(options.progress ? { progress: options.progress } : {}),
    beforeStep: () => {
      kernelQ = new Map();
      for (const n of graph) {
        if (WEIGHT_LAYERS.has(n.className)) kernelQ.set(n.name, chooseQParams(n.layer.weights[0]?.read() as tf.Tensor, { bits: weightBits, symmetric: true, axis: axis(n) }));
      }
    },
    forward: (xs) => runGraph(graph, xs, {
      apply: (node, ins) => {
        const qp = kernelQ.get(node.name);
        const kernel = node.layer.weights[0]?.read();
        return qp && kernel ? weightLayerForward(node, ins[0] as tf.Tensor, fakeQuantize(kernel, qp)) : undefined;
      },
      after: (node, y) => {
        if (PASS_THROUGH.has(node.className)) return y;
        observed.push([node.name, tf.keep(tf.min(y)), tf.keep(tf.max(y))]);
        const r = ranges[node.name];
        return r ? fakeQuantize(y, qparamsFromRange([r.min], [r.max], { bits: activationBits })) : y;
      },
    }, { training: true }),
    afterStep: () => {
      for (const [name, lo, hi] of observed) {
        const l = lo.dataSync()[0] as number;
        const h = hi.dataSync()[0] as number;
        const r = ranges[name];
        ranges[name] = r ? { min: r.min + c * (l - r.min), max: r.max + c * (h - r.max) } : { min: l, max: h };
        tf.dispose([lo, hi]);
      }
      observed.length = 0;
    },
  }).catch((e: unknown) => {
    tf.dispose(observed.flatMap(([, lo, hi]) => [lo, hi]));
    base.dispose();
    throw e;
  });
  const steps = history.steps;
  const epochLosses = history.epochs.map((e) => e.loss);
  for (const n of graph) if (!ranges[n.name] && PASS_THROUGH.has(n.className)) ranges[n.name] = ranges[n.inputs[0] as string] as { min: number; max: number };
  const q = await convertQat(base, ranges, { weightBits, activationBits, granularity: options.granularity });
  base.dispose();
  return { model: q, report: { weightBits, activationBits, steps, epochLosses, foldedBatchNorm: folded.report.folded, ranges } };
}
