// Post-training quantization (no retraining): weight-only, dynamic (the brief's
// torch.quantization.quantize_dynamic: int8 weights, activations quantized per batch at run
// time) and static (BatchNormalization folded, activation ranges calibrated on sample data),
// with a per-layer error report (SQNR of kernels and of layer outputs).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { requireLayersModel } from '../core/graph';
import { sourceCount } from '../data/source';
import { CalibrationData, calibrateRanges, forEachCalibrationBatch } from './calibrate';
import { foldBatchNorm } from './fold-batchnorm';
import { modelGraph, runGraph } from '../core/graph';
import { ObserverOptions } from './observers';
import { QuantMode, QuantPlan, WEIGHT_LAYERS } from './plan';
import { QParams, chooseQParams, qparamsFromRange } from './qparams';
import { QuantizedModel, dynamicQParams, makeQuantizedModel } from './quantized-model';
import { fakeQuantize, sqnr } from './affine';
import { rebuildModel } from './rebuild';

/** Options of {@link postTraining}. */
export interface PostTrainingOptions {
  readonly mode: QuantMode;
  /** Kernel bits, 2-16 (default 8). Below 8 the integers still travel in int8 containers in ONNX. */
  readonly weightBits?: number;
  /** 'per-channel' (default; one scale per output channel) or 'per-tensor'. */
  readonly granularity?: 'per-tensor' | 'per-channel';
  /** Symmetric signed kernels (int8, zero point 0; default) or asymmetric unsigned (uint8). */
  readonly weightSymmetric?: boolean;
  /** Activation bits for dynamic and static (default 8). */
  readonly activationBits?: number;
  /** Static: calibration inputs (required). Others: optional, used only for the error report. */
  readonly calibration?: CalibrationData;
  /** Examples taken from a calibration Dataset (default 1000). */
  readonly calibrationCount?: number;
  /** Static: how ranges are chosen (default minmax). */
  readonly observer?: ObserverOptions;
  /** Layer names to quantize (default every Dense / Conv2D / DepthwiseConv2D). */
  readonly layers?: readonly string[];
}

/** Per-layer error of a quantized model. */
export interface LayerQuantReport {
  readonly layer: string;
  readonly className: string;
  readonly params: number;
  readonly bits: number;
  readonly granularity: 'per-tensor' | 'per-channel';
  /** SQNR (dB) of the dequantized kernel against the float kernel. */
  readonly weightSqnrDb: number;
  /** SQNR (dB) of this layer's output in the simulated model against the float model (when data was given). */
  readonly outputSqnrDb?: number;
}

/** What {@link postTraining} reports (plain JSON). */
export interface PostTrainingReport {
  readonly mode: QuantMode;
  readonly weightBits: number;
  readonly activationBits: number;
  readonly observer?: string;
  readonly calibrationExamples: number;
  readonly foldedBatchNorm: { layer: string; batchNorm: string }[];
  readonly layers: LayerQuantReport[];
  readonly floatSizeBytes: number;
  readonly sizeBytes: number;
  readonly sizeRatio: number;
  readonly warnings: string[];
}

function check(options: PostTrainingOptions): void {
  if (!['weight-only', 'dynamic', 'static'].includes(options.mode)) {
    throw new ConfigError(`postTraining: mode 'weight-only', 'dynamic' or 'static', got ${describe(options.mode)}. Use 'static' for full INT8.`);
  }
  for (const [k, v] of [['weightBits', options.weightBits ?? 8], ['activationBits', options.activationBits ?? 8]] as const) {
    if (!(Number.isInteger(v) && v >= 2 && v <= 16)) throw new ConfigError(`postTraining: ${k} an integer in [2, 16], got ${describe(v)}. Use 8.`);
  }
  if (options.granularity !== undefined && options.granularity !== 'per-tensor' && options.granularity !== 'per-channel') {
    throw new ConfigError(`postTraining: granularity 'per-tensor' or 'per-channel', got ${describe(options.granularity)}. Use 'per-channel'.`);
  }
  if (options.mode === 'static' && !options.calibration) {
    throw new DataError(`postTraining: calibration data for static quantization, got none. Pass calibration: a slice of the training set.`);
  }
}

/** Quantization axis of a layer's kernel for per-channel granularity (undefined: per tensor). */
export function kernelAxis(className: string, kernelShape: readonly number[]): number | undefined {
  if (className === 'DepthwiseConv2D') return kernelShape[3] === 1 ? 2 : undefined;
  return kernelShape.length - 1;
}

/** Weight qparams of each quantized layer. Throws DataError on non-finite kernels. */
export function weightPlan(model: tf.LayersModel, options: Pick<PostTrainingOptions, 'weightBits' | 'granularity' | 'weightSymmetric' | 'layers'>, warnings: string[] = []): Record<string, QParams> {
  const out: Record<string, QParams> = {};
  const unknown = (options.layers ?? []).filter((n) => !model.layers.some((l) => l.name === n));
  if (unknown.length) {
    throw new ConfigError(`postTraining: layer names of the model, got unknown ${JSON.stringify(unknown)}. Choose from ${model.layers.map((l) => l.name).join(', ')}.`);
  }
  const bits = options.weightBits ?? 8;
  const symmetric = options.weightSymmetric ?? true;
  for (const layer of model.layers) {
    if (!WEIGHT_LAYERS.has(layer.getClassName()) || (options.layers && !options.layers.includes(layer.name))) continue;
    const kernel = layer.getWeights()[0] as tf.Tensor;
    const finite = tf.tidy(() => tf.all(tf.isFinite(kernel)).dataSync()[0]);
    if (!finite) throw new DataError(`postTraining: finite weights, got NaN or Infinity in the kernel of layer "${layer.name}". Retrain or repair that layer before quantizing.`);
    let axis = options.granularity === 'per-tensor' ? undefined : kernelAxis(layer.getClassName(), kernel.shape);
    if (options.granularity !== 'per-tensor' && axis === undefined) warnings.push(`${layer.name}: depth multiplier > 1, quantized per tensor`);
    out[layer.name] = chooseQParams(kernel, { bits, symmetric, signed: symmetric, axis });
  }
  return out;
}

/** Per-layer SQNR of kernels and (with data) of outputs: float model vs simulated quantized model. */
export function layerReport(q: QuantizedModel, probe?: tf.Tensor): LayerQuantReport[] {
  const graph = modelGraph(q.model);
  const outputs = new Map<string, { mse: number; sqnrDb: number }>();
  if (probe) {
    const floatOut = new Map<string, tf.Tensor>();
    tf.tidy(() => {
      runGraph(graph, probe, { after: (node, y) => { floatOut.set(node.name, tf.keep(y)); return y; } });
    });
    // Record the simulated model's layer outputs by running its own graph with the plan's fake quantization.
    const sim = new Map<string, tf.Tensor>();
    const simGraph = modelGraph(q.dequantized);
    tf.tidy(() => {
      runGraph(simGraph, probe, { after: (node, y) => {
        const qp = q.plan.mode === 'static' ? q.plan.activations[node.name] : undefined;
        const v = qp ? fakeQuantize(y, qp) : y;
        sim.set(node.name, tf.keep(v));
        return v;
      }, before: (node, ins) => (q.plan.mode === 'dynamic' && q.plan.weights[node.name] && node.className === 'Dense'
        ? ins.map((t) => fakeQuantize(t, dynamicQParams(t, q.plan.activationBits))) : ins) });
    });
    for (const [name, f] of floatOut) {
      const s = sim.get(name);
      if (s) outputs.set(name, sqnr(f, s));
    }
    for (const t of [...floatOut.values(), ...sim.values()]) if (t !== probe) t.dispose();
  }
  return graph.filter((n) => q.plan.weights[n.name]).map((n) => {
    const qp = q.plan.weights[n.name] as QParams;
    const w = n.layer.getWeights()[0] as tf.Tensor;
    const dq = q.dequantized.getLayer(n.name).getWeights()[0] as tf.Tensor;
    const out = outputs.get(n.name);
    return {
      layer: n.name, className: n.className, params: n.layer.countParams(), bits: qp.bits,
      granularity: qp.axis === undefined ? 'per-tensor' : 'per-channel', weightSqnrDb: sqnr(w, dq).sqnrDb,
      ...(out ? { outputSqnrDb: out.sqnrDb } : {}),
    } as LayerQuantReport;
  });
}

async function firstInputs(model: tf.LayersModel, data: CalibrationData, n: number): Promise<tf.Tensor> {
  let got: tf.Tensor | undefined;
  await forEachCalibrationBatch(model, data, { count: n, batchSize: n }, (x) => { got ??= x.clone(); });
  return got as unknown as tf.Tensor;
}

/**
 * Quantizes `model` after training. The input model is not modified; the caller owns the
 * returned QuantizedModel (dispose it). Static mode folds BatchNormalization first.
 * @example const {model: q, report} = await quantize.postTraining(model, {mode: 'static', calibration: mnist.train});
 */
export async function postTraining(model: tf.LayersModel, options: PostTrainingOptions): Promise<{ model: QuantizedModel; report: PostTrainingReport }> {
  requireLayersModel(model, 'quantize.postTraining');
  check(options);
  const warnings: string[] = [];
  const folded = options.mode === 'static' ? await foldBatchNorm(model) : { model: await rebuildModel(model, {}), report: { folded: [], kept: [] } };
  const base = folded.model;
  let weights: Record<string, QParams>;
  try {
    weights = weightPlan(base, options, warnings);
  } catch (e) {
    base.dispose();
    throw e;
  }
  const activationBits = options.activationBits ?? 8;
  const activations: Record<string, QParams> = {};
  let calibrationExamples = 0;
  if (options.mode === 'static') {
    const calibration = options.calibration as CalibrationData;
    let ranges: Record<string, { min: number; max: number }>;
    try {
      const known = sourceCount(calibration);
      calibrationExamples = Math.min(options.calibrationCount ?? 1000, known ?? Infinity);
      ranges = await calibrateRanges(base, calibration, { observer: options.observer, count: options.calibrationCount });
    } catch (e) {
      base.dispose();
      throw e;
    }
    for (const [name, r] of Object.entries(ranges)) activations[name] = qparamsFromRange([r.min], [r.max], { bits: activationBits });
  }
  const plan: QuantPlan = { mode: options.mode, weightBits: options.weightBits ?? 8, activationBits, weights, activations };
  const q = await makeQuantizedModel(base, plan);
  const probe = options.calibration ? await firstInputs(base, options.calibration, 256) : undefined;
  const layers = layerReport(q, probe);
  probe?.dispose();
  const floatSizeBytes = 4 * model.countParams();
  return {
    model: q,
    report: {
      mode: options.mode, weightBits: plan.weightBits, activationBits,
      ...(options.mode === 'static' ? { observer: options.observer?.method ?? 'minmax' } : {}),
      calibrationExamples, foldedBatchNorm: folded.report.folded, layers,
      floatSizeBytes, sizeBytes: q.sizeBytes, sizeRatio: q.sizeBytes / floatSizeBytes, warnings,
    },
  };
}
