// Post-training quantization (no retraining): weight-only, dynamic (the brief's
// torch.quantization.quantize_dynamic: int8 Dense kernels, their inputs quantized per batch at
// run time) and static (BatchNormalization folded, activation ranges calibrated on sample data,
// points after fused activations as runtimes place them). The result is a tf.LayersModel that
// simulates the quantized model and carries its plan, with a per-layer error report.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { requireLayersModel, modelGraph } from '../core/graph';
import { CheckedSource, checkedSource, sourceCount } from '../data/source';
import {
  CALIBRATION_BATCH_SIZE,
  CalibrationData,
  CheckedCalibrationOptions,
  calibrate,
  checkCalibrationSizes,
} from './calibrate';
import { foldBatchNorm } from './fold-batchnorm';
import { ObserverOptions } from './observers';
import { ActivationPlacement, activationPoints } from './placement';
import { QuantMode, QuantPlan, planOf } from './plan';
import { QParams, qparamsFromRange } from './qparams';
import { buildQuantizedModel, quantizedSizeBytes } from './quantized-model';
import { LayerQuantReport, layerReports, outputErrors } from './report';
import { rebuildModel } from '../core/rewrite';
import { PointReport, checkLayerOptions, namedSkip, pointReports, weightPlan } from './weight-plan';
import { MemoryBudget, fitBatchSize } from './memory-budget';
import { layerEntry } from '../core/layers';
import { BiasCorrectionLayer, correctBias, inputMeans, measureInputMeans } from './bias-correction';

/** Per-layer overrides of {@link PostTrainingOptions}. */
export interface LayerQuantOptions {
  readonly weightBits?: number;
  readonly granularity?: 'per-tensor' | 'per-channel';
}

/** Options of {@link postTraining}. */
export interface PostTrainingOptions {
  readonly mode: QuantMode;
  /**
   * Kernel bits, 2-16 (default 8). Below 8 the integers still travel in int8 containers in ONNX,
   * except weight-only int4 Dense kernels (blockwise, packed two per byte as MatMulNBits).
   */
  readonly weightBits?: number;
  /**
   * 'per-channel' (default; one scale per output channel) or 'per-tensor'. Weight-only int4
   * without a granularity is blockwise for Dense kernels (see blockSize).
   */
  readonly granularity?: 'per-tensor' | 'per-channel';
  /**
   * Weight-only int4: Dense kernels quantized in blocks of this many inputs, one scale per block
   * and output channel (32, 64 or 128; default 32), exported as ONNX Runtime's MatMulNBits.
   * Convolution kernels stay 8-bit per channel.
   */
  readonly blockSize?: number;
  /** Symmetric signed kernels (int8, zero point 0; default) or asymmetric unsigned (uint8). */
  readonly weightSymmetric?: boolean;
  /** Activation bits for dynamic and static (default 8). */
  readonly activationBits?: number;
  /**
   * Static: symmetric signed activations (int8, zero point 0; the grid TensorRT reads) instead of
   * asymmetric unsigned (uint8, the default: a full grid for post-ReLU values). Default false.
   */
  readonly activationSymmetric?: boolean;
  /** Static: where activations are quantized (default 'fused': after fused activations, as runtimes do). */
  readonly activationPlacement?: ActivationPlacement;
  /** Examples taken from the calibration data (default 1000); the error report uses at most 256 of them. */
  readonly calibrationCount?: number;
  /** Examples per calibration forward pass (default 32, lowered to what fits in wasm's heap). */
  readonly batchSize?: number;
  /** Static: how ranges are chosen (default minmax). */
  readonly observer?: ObserverOptions;
  /**
   * Empirical bias correction (Nagel et al. 2019, arXiv:1906.04721): subtract from each quantized
   * layer's bias the mean output shift its rounded kernel causes, measured on the calibration data
   * (one more pass over it). Needs calibration data. Default false.
   */
  readonly biasCorrection?: boolean;
  /** Seed of the observers' samples (percentile, mse, entropy). Default 0. */
  readonly seed?: number;
  /** Per-layer overrides, by layer name. */
  readonly layers?: Readonly<Record<string, LayerQuantOptions>>;
  /** Layer-name patterns left float (their kernels, and their own output point); `*` matches any text. */
  readonly skip?: readonly string[];
  /** Layer-name patterns of the layers quantized (default every layer); the others are left float as in skip. */
  readonly only?: readonly string[];
  /** Progress of the passes over the calibration data: `done` of `total` examples of the step named by `label`. */
  readonly onProgress?: (label: 'calibration' | 'error report', done: number, total: number) => void;
}

/** What {@link postTraining} reports (plain JSON). */
export interface PostTrainingReport {
  readonly mode: QuantMode;
  readonly weightBits: number;
  readonly activationBits: number;
  readonly activationPlacement: ActivationPlacement;
  /** Weight-only int4: the block size of the blockwise Dense kernels. */
  readonly blockSize?: number;
  readonly observer?: string;
  readonly calibrationExamples: number;
  /** Examples the per-layer output SQNR was measured on. */
  readonly reportExamples: number;
  readonly foldedBatchNorm: { layer: string; batchNorm: string }[];
  /** With biasCorrection: each corrected layer and the largest and mean |shift| taken off its bias. */
  readonly biasCorrection?: BiasCorrectionLayer[];
  readonly layers: LayerQuantReport[];
  /** Static: every layer output, whether it is a quantization point, why, and its range and SQNR. */
  readonly points: PointReport[];
  readonly floatSizeBytes: number;
  /** Parameter bytes as the ONNX export stores them (see quantizedSizeBytes). */
  readonly sizeBytes: number;
  readonly sizeRatio: number;
  /** The memory estimate of the calibration run (when there was one). */
  readonly memory?: MemoryBudget;
  readonly warnings: string[];
}

const FN = 'quantize.postTraining';
const MODES: readonly QuantMode[] = ['weight-only', 'dynamic', 'static'];
/** The error report measures at most this many examples. */
const REPORT_EXAMPLES = 256;

/**
 * The options with the data beside them, as the steps inside read them: checked once, here at
 * the verb (check); calibration, bias correction and the error report do not check them again.
 */
type Checked = PostTrainingOptions & { readonly calibration?: CheckedSource };

function check(model: tf.LayersModel, options: PostTrainingOptions & { readonly calibration?: unknown }): Checked {
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `quantize.postTraining: an options object such as {mode: 'static', calibration}, got ${describe(options)}. Pass the options.`,
    );
  if (!MODES.includes(options.mode)) {
    throw new ConfigError(
      `quantize.postTraining: mode 'weight-only', 'dynamic' or 'static', got ${describe(options.mode)}. Use 'static' for full INT8.`,
    );
  }
  if (planOf(model))
    throw new ConfigError(
      `quantize.postTraining: a float model, got one already quantized (${planOf(model)?.mode}). Quantize the float model it came from.`,
    );
  for (const [k, v] of [
    ['weightBits', options.weightBits ?? 8],
    ['activationBits', options.activationBits ?? 8],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 2 && v <= 16))
      throw new ConfigError(`quantize.postTraining: ${k} an integer in [2, 16], got ${describe(v)}. Use 8.`);
  }
  const placement = options.activationPlacement ?? 'fused';
  if (placement !== 'fused' && placement !== 'layer-output') {
    throw new ConfigError(
      `quantize.postTraining: activationPlacement 'fused' or 'layer-output', got ${describe(placement)}. Use 'fused'.`,
    );
  }
  checkCalibrationSizes({ batchSize: options.batchSize, count: options.calibrationCount }, 'calibrationCount', FN);
  if (options.activationSymmetric !== undefined && typeof options.activationSymmetric !== 'boolean') {
    throw new ConfigError(
      `quantize.postTraining: activationSymmetric true or false, got ${describe(options.activationSymmetric)}. Use true for TensorRT's symmetric int8 activations.`,
    );
  }
  checkLayerOptions(model, options, FN);
  if (options.biasCorrection !== undefined && typeof options.biasCorrection !== 'boolean')
    throw new ConfigError(
      `quantize.postTraining: biasCorrection true or false, got ${describe(options.biasCorrection)}. Use true to correct biases on the calibration data.`,
    );
  if (options.biasCorrection && !options.calibration)
    throw new DataError(
      `quantize.postTraining: calibration data for bias correction, got none. Pass a slice of the training set as the data: postTraining(model, data, options).`,
    );
  if (options.mode === 'static' && !options.calibration) {
    throw new DataError(
      `quantize.postTraining: calibration data for static quantization, got none. Pass a slice of the training set as the data: postTraining(model, data, options).`,
    );
  }
  const { calibration, ...rest } = options;
  return calibration === undefined ? rest : { ...rest, calibration: checkedSource(calibration, FN) };
}

/**
 * Quantizes `model` after training. Returns a new tf.LayersModel that computes what the
 * quantized model computes (kernels on their integer grid, activations rounded at the plan's
 * points) and carries its plan (`planOf`), so evaluate, fit, profileModel, saveModel and
 * exporters.toOnnx take it like any model; and a JSON report. The input model is not modified.
 * `data` (calibration inputs) is required for static mode and bias correction; with the other
 * modes it only feeds the error report. Static mode folds BatchNormalization first.
 * @example const {model: q, report} = await quantize.postTraining(model, mnist.train, {mode: 'static'});
 * @example const {model: q4} = await quantize.postTraining(model, {mode: 'weight-only', weightBits: 4, blockSize: 32}); // MatMulNBits in ONNX
 */
export async function postTraining(
  model: tf.LayersModel,
  options: PostTrainingOptions,
): Promise<{ model: tf.LayersModel; report: PostTrainingReport }>;
export async function postTraining(
  model: tf.LayersModel,
  data: CalibrationData | undefined,
  options: PostTrainingOptions,
): Promise<{ model: tf.LayersModel; report: PostTrainingReport }>;
export async function postTraining(
  model: tf.LayersModel,
  dataOrOptions: CalibrationData | PostTrainingOptions | undefined,
  maybeOptions?: PostTrainingOptions,
): Promise<{ model: tf.LayersModel; report: PostTrainingReport }> {
  const twoArgs = maybeOptions === undefined;
  const given = (twoArgs ? dataOrOptions : maybeOptions) as PostTrainingOptions;
  requireLayersModel(model, FN);
  if (given && typeof given === 'object' && 'calibration' in given)
    throw new ConfigError(
      `${FN}: the calibration data as the second argument, postTraining(model, data, options), got options.calibration. Move it out of the options.`,
    );
  const data = twoArgs ? undefined : (dataOrOptions as CalibrationData | undefined);
  let options: PostTrainingOptions & { readonly calibration?: unknown } =
    given && typeof given === 'object' ? { ...given, ...(data !== undefined ? { calibration: data } : {}) } : given;
  if (options && typeof options === 'object') options = namedSkip(model, options, FN);
  return quantizeChecked(model, check(model, options));
}

async function quantizeChecked(
  model: tf.LayersModel,
  options: Checked,
): Promise<{ model: tf.LayersModel; report: PostTrainingReport }> {
  if (options.calibration !== undefined) {
    // The most demanding pass first, before anything runs: the error report's two models side by
    // side, while the folded and the quantized copies of the model are held (calibration needs less).
    fitBatchSize(
      model,
      options.batchSize ?? CALIBRATION_BATCH_SIZE,
      2,
      options.batchSize !== undefined,
      FN,
      2 * 4 * model.countParams(),
    );
  }
  const warnings: string[] = [];
  const placement = options.activationPlacement ?? 'fused';
  const folded =
    options.mode === 'static'
      ? await foldBatchNorm(model)
      : { model: await rebuildModel(model, {}, FN), report: { folded: [], kept: [] } };
  const base = folded.model;
  let q: tf.LayersModel | undefined;
  try {
    const weights = weightPlan(base, options, warnings);
    if (options.mode === 'dynamic') {
      const floatConvs = base.layers.filter((l) => {
        const entry = layerEntry(l.getClassName());
        return entry?.quantizeAxis && !entry.matMul && !options.skip?.includes(l.name);
      });
      if (floatConvs.length) {
        warnings.push(
          `dynamic mode quantizes Dense kernels only (as PyTorch's quantize_dynamic; ONNX Runtime's ConvInteger is unoptimized on CPU): ` +
            `${floatConvs.length} convolution layer(s) stay float (${floatConvs
              .slice(0, 5)
              .map((l) => l.name)
              .join(', ')}${floatConvs.length > 5 ? ', ...' : ''}). Use mode 'static' for convolutional models.`,
        );
      }
    }
    const activationBits = options.activationBits ?? 8;
    const calibration: CheckedCalibrationOptions = {
      caller: FN,
      placement,
      skip: options.skip,
      observer: options.observer,
      seed: options.seed,
      count: options.calibrationCount,
      batchSize: options.batchSize,
    };
    let decisions = activationPoints(modelGraph(base, FN), { placement, skip: options.skip });
    const activations: Record<string, QParams> = {};
    let ranges: Record<string, { min: number; max: number }> = {};
    let calibrationExamples = 0;
    let memory: MemoryBudget | undefined;
    const total = options.calibration
      ? Math.min(options.calibrationCount ?? 1000, sourceCount(options.calibration) ?? Infinity)
      : 0;
    // Bias correction's input means come from the float model on the calibration data: in static
    // mode they are gathered in the calibration pass itself, so the data is read once for both.
    const means = options.biasCorrection && options.mode === 'static' ? inputMeans(base, weights, FN) : undefined;
    if (options.mode === 'static') {
      const c = await calibrate(
        base,
        options.calibration as CheckedSource,
        { ...calibration, onBatch: (d) => options.onProgress?.('calibration', d, Math.max(d, total)) },
        means?.hooks,
      );
      ({ ranges, decisions, memory } = c);
      calibrationExamples = c.examples;
      const symmetric = options.activationSymmetric === true;
      for (const d of decisions) {
        const r = ranges[d.layer];
        if (d.point && r)
          activations[d.layer] = qparamsFromRange([r.min], [r.max], {
            bits: activationBits,
            symmetric,
            signed: symmetric,
          });
      }
    }
    const plan: QuantPlan = {
      mode: options.mode,
      weightBits: options.weightBits ?? 8,
      activationBits,
      placement,
      weights,
      activations,
    };
    // Bias correction writes into a copy: the error report compares with the model as it was.
    let biasCorrection: BiasCorrectionLayer[] | undefined;
    if (options.biasCorrection) {
      const corrected = await rebuildModel(base, {}, FN);
      try {
        const m =
          means?.means() ?? (await measureInputMeans(base, weights, options.calibration as CheckedSource, calibration));
        biasCorrection = correctBias(corrected, weights, m, FN);
        q = await buildQuantizedModel(corrected, plan, decisions);
      } finally {
        corrected.dispose();
      }
    } else q = await buildQuantizedModel(base, plan, decisions);
    // The error report is a second pass over the data, and must be: it measures the quantized
    // model, which exists only once calibration (the first pass) has chosen its ranges.
    const errors = options.calibration
      ? await outputErrors(base, q, options.calibration, {
          ...calibration,
          count: Math.min(options.calibrationCount ?? 1000, REPORT_EXAMPLES),
          onBatch: (d) => options.onProgress?.('error report', d, Math.max(d, Math.min(total, REPORT_EXAMPLES))),
        })
      : undefined;
    memory ??= errors?.memory;
    const floatSizeBytes = 4 * model.countParams();
    const sizeBytes = quantizedSizeBytes(q, plan);
    const report: PostTrainingReport = {
      mode: options.mode,
      weightBits: plan.weightBits,
      activationBits,
      activationPlacement: placement,
      ...(Object.values(weights).some((w) => w.blockSize)
        ? { blockSize: Object.values(weights).find((w) => w.blockSize)?.blockSize }
        : {}),
      ...(options.mode === 'static' ? { observer: options.observer?.method ?? 'minmax' } : {}),
      calibrationExamples,
      reportExamples: errors?.examples ?? 0,
      foldedBatchNorm: folded.report.folded,
      ...(biasCorrection ? { biasCorrection } : {}),
      layers: layerReports(base, q, plan, errors),
      points: options.mode === 'static' ? pointReports(decisions, ranges, activations, errors?.pointSqnrDb) : [],
      floatSizeBytes,
      sizeBytes,
      sizeRatio: sizeBytes / floatSizeBytes,
      ...(memory ? { memory } : {}),
      warnings,
    };
    return { model: q, report };
  } catch (e) {
    q?.dispose();
    throw e;
  } finally {
    base.dispose();
  }
}
