// Quantization-aware training (Jacob et al. 2018, arXiv:1712.05877; TFMOT's QAT): fold
// BatchNormalization, then fine-tune with fake quantization in the forward pass (kernels per
// channel at `weightBits`, activations per tensor at `activationBits` at the same points as
// post-training quantization, with moving-average ranges) and straight-through gradients, then
// convert to the same kind of quantized model (a tf.LayersModel carrying its plan).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, UnsupportedLayerError, describe } from '../errors';
import { DataSource } from '../data/source';
import { fit } from '../train/fit';
import { ProgressReporter } from '../train/progress';
import { fakeQuantize } from './affine';
import { foldBatchNorm } from './fold-batchnorm';
import { GraphNode, modelGraph, requireLayersModel, runGraph } from '../core/graph';
import { LayerPatterns } from '../core/glob';
import { LAYERS } from '../core/layers';
import { QuantPlan, planOf } from './plan';
import { QParams, qparamsFromRange } from './qparams';
import { buildQuantizedModel } from './quantized-model';
import { ActivationPlacement, activationPoints } from './placement';
import { LayerSelection, PointReport, checkLayerOptions, namedSkip, pointReports, weightPlan } from './weight-plan';

/** Options of {@link quantizationAwareTraining}. */
export interface QatOptions extends LayerPatterns {
  readonly epochs: number;
  readonly seed: number;
  /** Kernel bits (default 8); per channel unless granularity says otherwise. */
  readonly weightBits?: number;
  readonly granularity?: 'per-tensor' | 'per-channel';
  /** Activation bits (default 8). */
  readonly activationBits?: number;
  /** Where activations are quantized (default 'fused', as postTraining). */
  readonly activationPlacement?: ActivationPlacement;
  /** Per-layer overrides and layer-name patterns left float (`skip`) or quantized (`only`), as postTraining. */
  readonly layers?: LayerSelection['layers'];
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
  readonly points: PointReport[];
}

/** The classes whose kernel op the registry knows (the layers QAT and weight sharing can run with a replaced kernel). */
const WITH_KERNEL_OP = [...LAYERS.values()].flatMap((e) => (e.kernelOp ? [e.className] : []));

/**
 * The forward op of a quantizable layer with its kernel replaced by `kernel` (gradients reach the
 * layer's variables); its inline activation is the registry's, applied by tfjs's own activation layer.
 */
export function weightLayerForward(node: GraphNode, x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
  const cfg = node.config;
  const bias = node.layer.weights[1]?.read();
  const op = node.entry?.kernelOp;
  if (!op)
    throw new UnsupportedLayerError(
      `quantize: a layer with a known kernel op (${WITH_KERNEL_OP.join(', ')}) to run with a replaced kernel, got "${node.name}" (${node.className}). ` +
        `Put the layer in skip.`,
      node.name,
      node.className,
    );
  let y = op(x, kernel, cfg);
  if (bias) y = tf.add(y, bias);
  const act = node.entry?.activation?.(cfg);
  return act ? (tf.layers.activation({ activation: act as 'relu' }).apply(y) as tf.Tensor) : y;
}

function check(model: unknown, o: QatOptions): asserts model is tf.LayersModel {
  requireLayersModel(model, 'quantize.quantizationAwareTraining');
  if (!o || typeof o !== 'object')
    throw new ConfigError(
      `quantize.quantizationAwareTraining: an options object such as {epochs: 1, seed: 0}, got ${describe(o)}. Pass the options.`,
    );
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0))
    throw new ConfigError(
      `quantize.quantizationAwareTraining: epochs a non-negative integer, got ${describe(o.epochs)}. Use 1.`,
    );
  for (const [k, v] of [
    ['weightBits', o.weightBits ?? 8],
    ['activationBits', o.activationBits ?? 8],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 2 && v <= 16))
      throw new ConfigError(
        `quantize.quantizationAwareTraining: ${k} an integer in [2, 16], got ${describe(v)}. Use 8 or 4.`,
      );
  }
  if (planOf(model))
    throw new ConfigError(
      `quantize.quantizationAwareTraining: a float model, got one already quantized. Train the float model it came from.`,
    );
  checkLayerOptions(model, o, 'quantize.quantizationAwareTraining');
}

/** Options of {@link convertQat}: the activation ranges QAT learned, and the QAT options it ran with. */
export interface ConvertQatOptions extends Omit<QatOptions, 'epochs' | 'seed'> {
  /** The learned activation ranges (`report.ranges` of {@link quantizationAwareTraining}). */
  readonly ranges: ActivationRanges;
}

/** What {@link convertQat} reports. */
export interface ConvertQatReport {
  readonly weightBits: number;
  readonly activationBits: number;
  readonly foldedBatchNorm: { layer: string; batchNorm: string }[];
  readonly points: PointReport[];
}

/**
 * The quantized model of a QAT-trained model from its learned activation ranges (BatchNormalization
 * folded first if still there). The input is not modified; the caller owns the returned model.
 * @example const {model: q} = await quantize.convertQat(trained, {ranges: report.ranges, weightBits: 4});
 */
export async function convertQat(
  model: tf.LayersModel,
  options: ConvertQatOptions,
): Promise<{ model: tf.LayersModel; report: ConvertQatReport }> {
  const FN = 'quantize.convertQat';
  requireLayersModel(model, FN);
  if (!options || typeof options !== 'object' || !options.ranges || typeof options.ranges !== 'object')
    throw new ConfigError(
      `${FN}: options with the learned ranges, {ranges: report.ranges, ...}, got ${describe(options)}. Pass the ranges from the QAT report of this model.`,
    );
  if (planOf(model))
    throw new ConfigError(
      `${FN}: a float model (the one QAT trained), got one already quantized. It needs no conversion: use it as it is.`,
    );
  options = namedSkip(model, options, FN);
  checkLayerOptions(model, { ...options, mode: 'static' }, FN);
  const { ranges } = options;
  const folded = await foldBatchNorm(model);
  const base = folded.model;
  try {
    const activationBits = options.activationBits ?? 8;
    const placement = options.activationPlacement ?? 'fused';
    const decisions = activationPoints(modelGraph(base, FN), { placement, skip: options.skip });
    const activations: Record<string, QParams> = {};
    for (const d of decisions.filter((x) => x.point)) {
      const r = ranges[d.layer];
      if (!r)
        throw new ConfigError(
          `${FN}: a range for every quantization point, got none for "${d.layer}". Pass the ranges from the QAT report of this model.`,
        );
      activations[d.layer] = qparamsFromRange([r.min], [r.max], { bits: activationBits });
    }
    const plan: QuantPlan = {
      mode: 'static',
      weightBits: options.weightBits ?? 8,
      activationBits,
      placement,
      weights: weightPlan(base, { ...options, mode: 'static' }),
      activations,
    };
    const q = await buildQuantizedModel(base, plan, decisions);
    return {
      model: q,
      report: {
        weightBits: plan.weightBits,
        activationBits,
        foldedBatchNorm: folded.report.folded,
        points: pointReports(decisions, ranges, activations),
      },
    };
  } finally {
    base.dispose();
  }
}

/**
 * Fine-tunes a copy of `model` with fake quantization and returns the quantized model (a
 * tf.LayersModel carrying its plan, as postTraining's). The input model is not modified.
 * Randomness (batch order) comes from `seed`.
 * @example const {model: q} = await quantize.quantizationAwareTraining(model, mnist.train, {epochs: 1, seed: 1, weightBits: 4});
 */
export async function quantizationAwareTraining(
  model: tf.LayersModel,
  train: DataSource,
  options: QatOptions,
): Promise<{ model: tf.LayersModel; report: QatReport }> {
  requireLayersModel(model, 'quantize.quantizationAwareTraining');
  if (options && typeof options === 'object') options = namedSkip(model, options, 'quantize.quantizationAwareTraining');
  check(model, options);
  const weightBits = options.weightBits ?? 8;
  const activationBits = options.activationBits ?? 8;
  const c = options.averagingConstant ?? 0.01;
  const folded = await foldBatchNorm(model);
  const base = folded.model;
  const observed: [string, tf.Tensor, tf.Tensor][] = [];
  try {
    const graph = modelGraph(base, 'quantize.quantizationAwareTraining');
    const decisions = activationPoints(graph, { placement: options.activationPlacement, skip: options.skip });
    const points = new Set(decisions.filter((d) => d.point).map((d) => d.layer));
    const ranges: ActivationRanges = {};
    let kernelQ: Record<string, QParams> = {};
    const selection = { ...options, mode: 'static' as const };
    // fit's hooks: kernels' qparams from the current weights before each step; the fake-quantized
    // forward pass; moving-average activation ranges after each step (the first batch initializes them).
    const history = await fit(base, train, {
      epochs: options.epochs,
      seed: options.seed,
      batchSize: options.batchSize ?? 128,
      learningRate: options.learningRate ?? 1e-4,
      ...(options.progress ? { progress: options.progress } : {}),
      beforeStep: () => {
        kernelQ = weightPlan(base, selection);
      },
      forward: (xs) =>
        runGraph(
          graph,
          xs,
          {
            apply: (node, ins) => {
              const qp = kernelQ[node.name];
              const kernel = node.layer.weights[node.entry?.kernel?.index ?? 0]?.read();
              return qp && kernel ? weightLayerForward(node, ins[0] as tf.Tensor, fakeQuantize(kernel, qp)) : undefined;
            },
            after: (node, y) => {
              if (!points.has(node.name)) return y;
              observed.push([node.name, tf.keep(tf.min(y)), tf.keep(tf.max(y))]);
              const r = ranges[node.name];
              return r ? fakeQuantize(y, qparamsFromRange([r.min], [r.max], { bits: activationBits })) : y;
            },
          },
          { training: true },
        ),
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
    });
    for (const d of decisions)
      if (d.grid && !ranges[d.layer]) ranges[d.layer] = ranges[d.grid] as { min: number; max: number };
    const { model: q } = await convertQat(base, { ...options, ranges });
    const activations = planOf(q)?.activations ?? {};
    return {
      model: q,
      report: {
        weightBits,
        activationBits,
        steps: history.steps,
        epochLosses: history.epochs.map((e) => e.loss),
        foldedBatchNorm: folded.report.folded,
        ranges,
        points: pointReports(decisions, ranges, activations as Record<string, QParams>),
      },
    };
  } finally {
    tf.dispose(observed.flatMap(([, lo, hi]) => [lo, hi]));
    base.dispose();
  }
}
