// Which kernels are quantized and how (read from the layer registry: the layers with a
// `quantizeAxis`, per channel along it; weight-only int4 Dense kernels blockwise), with the
// verbs' shared per-layer options (`layers` overrides, `skip`), and the report rows of the
// activation points.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { QParams, chooseQParams } from './qparams';
import { PointDecision } from './placement';
import { layerEntry } from '../core/layers';
import { selectNames } from '../core/glob';

/** The per-layer options the quantize verbs share. */
export interface LayerSelection {
  readonly mode?: 'weight-only' | 'dynamic' | 'static';
  readonly weightBits?: number;
  readonly granularity?: 'per-tensor' | 'per-channel';
  readonly weightSymmetric?: boolean;
  /** Weight-only int4: Dense kernels in blocks of this many inputs (see {@link blockwiseLayer}). */
  readonly blockSize?: number;
  readonly layers?: Readonly<
    Record<string, { readonly weightBits?: number; readonly granularity?: 'per-tensor' | 'per-channel' }>
  >;
  /** Layer-name patterns left float (`*` matches any text). */
  readonly skip?: readonly string[];
  /** Layer-name patterns of the layers quantized (default every layer); the others stay float. */
  readonly only?: readonly string[];
}

/**
 * The options with `only` and `skip` patterns resolved against the model into one list of the
 * layer names left float (`skip`), which is what the verbs' inner steps read. Unmatched patterns
 * are a ConfigError naming `fn`.
 */
export function namedSkip<T extends LayerSelection>(model: tf.LayersModel, options: T, fn: string): T {
  if (options.skip === undefined && options.only === undefined) return options;
  const names = model.layers.map((l) => l.name);
  const kept = new Set(selectNames(fn, names, options));
  return { ...options, only: undefined, skip: names.filter((n) => !kept.has(n)) };
}

/** One layer output in the report: point or not, why, and (points) its range, parameters and SQNR. */
export interface PointReport {
  readonly layer: string;
  readonly className: string;
  readonly point: boolean;
  /** The point whose grid this output lies on, if any. */
  readonly grid?: string;
  readonly reason: string;
  readonly min?: number;
  readonly max?: number;
  readonly scale?: number;
  readonly zeroPoint?: number;
  /** SQNR (dB) of the quantized activation against the float model's (when data was given). */
  readonly sqnrDb?: number;
}

const GRANULARITIES = ['per-tensor', 'per-channel'];
/** Block sizes of weight-only int4 (powers of two ONNX Runtime's MatMulNBits takes; 32 is its most common). */
export const BLOCK_SIZES: readonly number[] = [32, 64, 128];
/** The default block size of weight-only int4. */
export const DEFAULT_BLOCK_SIZE = 32;

/** Weight-only int4 with no explicit granularity: the mode where Dense goes blockwise and convolutions stay at 8 bits. */
function int4WeightOnly(options: LayerSelection, own: LayerOwn, bits: number | undefined): boolean {
  return options.mode === 'weight-only' && bits === 4 && (own.granularity ?? options.granularity) === undefined;
}

type LayerOwn = { readonly weightBits?: number; readonly granularity?: string };

/**
 * True when weight-only int4 quantizes the layer blockwise: weight-only mode, 4 bits, no
 * explicit granularity, and a Dense kernel (the MatMul that ONNX Runtime's MatMulNBits runs).
 */
export function blockwiseLayer(className: string, options: LayerSelection, own: LayerOwn): boolean {
  return (
    layerEntry(className)?.matMul === true && int4WeightOnly(options, own, own.weightBits ?? options.weightBits ?? 8)
  );
}

/** True when int4 blockwise mode keeps a convolution kernel at 8 bits per channel (no 4-bit blockwise convolution here). */
function int4KeepsConvAt8(className: string, options: LayerSelection, own: LayerOwn): boolean {
  return (
    !layerEntry(className)?.matMul && own.weightBits === undefined && int4WeightOnly(options, own, options.weightBits)
  );
}

/** Validates granularity, `layers` and `skip` against the model; `fn` names the caller. */
export function checkLayerOptions(model: tf.LayersModel, options: LayerSelection, fn: string): void {
  if (options.granularity !== undefined && !GRANULARITIES.includes(options.granularity)) {
    throw new ConfigError(
      `${fn}: granularity 'per-tensor' or 'per-channel', got ${describe(options.granularity)}. Use 'per-channel'.`,
    );
  }
  const names = new Set(model.layers.map((l) => l.name));
  const known = (n: string, what: string) => {
    if (!names.has(n))
      throw new ConfigError(
        `${fn}: ${what} to name layers of the model, got unknown layer "${n}". Choose from ${[...names].join(', ')}.`,
      );
  };
  if (options.blockSize !== undefined) {
    const bs = options.blockSize;
    if (!BLOCK_SIZES.includes(bs))
      throw new ConfigError(
        `${fn}: blockSize a power of two in [32, 128], got ${describe(bs)}. Use 32 (or 64, 128: fewer scales, coarser blocks).`,
      );
    if (options.mode !== 'weight-only' || (options.weightBits ?? 8) !== 4 || options.granularity !== undefined) {
      throw new ConfigError(
        `${fn}: blockSize with mode 'weight-only', weightBits 4 and no granularity, got mode ${describe(options.mode)}, weightBits ${describe(options.weightBits ?? 8)}` +
          `${options.granularity !== undefined ? `, granularity ${describe(options.granularity)}` : ''}. Pass {mode: 'weight-only', weightBits: 4, blockSize: ${bs}}, or drop blockSize.`,
      );
    }
  }
  // skip/only: patterns, resolved to names by namedSkip at the public verb.
  if (options.skip !== undefined && !Array.isArray(options.skip))
    throw new ConfigError(`${fn}: skip a list of layer names, got ${describe(options.skip)}. Pass e.g. ['fc3'].`);
  for (const n of options.skip ?? []) known(n, 'skip');
  if (options.layers !== undefined && (typeof options.layers !== 'object' || Array.isArray(options.layers))) {
    throw new ConfigError(
      `${fn}: layers an object of per-layer options by name, got ${describe(options.layers)}. Pass e.g. {fc1: {weightBits: 4}}, and skip: [...] to leave layers float.`,
    );
  }
  for (const [n, o] of Object.entries(options.layers ?? {})) {
    known(n, 'layers');
    const bits = o.weightBits;
    if (bits !== undefined && !(Number.isInteger(bits) && bits >= 2 && bits <= 16))
      throw new ConfigError(`${fn}: layers.${n}.weightBits an integer in [2, 16], got ${describe(bits)}. Use 8 or 4.`);
    if (o.granularity !== undefined && !GRANULARITIES.includes(o.granularity))
      throw new ConfigError(
        `${fn}: layers.${n}.granularity 'per-tensor' or 'per-channel', got ${describe(o.granularity)}. Use 'per-channel'.`,
      );
  }
}

/**
 * Kernel qparams of each quantized layer: every layer whose registry entry has a `quantizeAxis`
 * (dynamic mode: Dense only, as PyTorch's quantize_dynamic), minus `skip`, per channel along
 * that axis unless per-tensor. Weight-only int4 without an explicit granularity: Dense kernels
 * blockwise (blocks of `blockSize` inputs, default 32) and convolution kernels kept at 8 bits
 * per channel (with a warning). Throws DataError on non-finite kernels.
 */
export function weightPlan(
  model: tf.LayersModel,
  options: LayerSelection,
  warnings: string[] = [],
): Record<string, QParams> {
  const out: Record<string, QParams> = {};
  const symmetric = options.weightSymmetric ?? true;
  const skip = new Set(options.skip ?? []);
  const keptAt8: string[] = [];
  for (const layer of model.layers) {
    const entry = layerEntry(layer.getClassName());
    if (!entry?.quantizeAxis || !entry.kernel || skip.has(layer.name)) continue;
    if (options.mode === 'dynamic' && !entry.matMul) continue;
    const kernel = layer.getWeights()[entry.kernel.index] as tf.Tensor;
    const finite = tf.tidy(() => tf.all(tf.isFinite(kernel)).dataSync()[0]);
    if (!finite)
      throw new DataError(
        `quantize: finite weights, got NaN or Infinity in the kernel of layer "${layer.name}". Retrain or repair that layer before quantizing.`,
      );
    const own = options.layers?.[layer.name] ?? {};
    const granularity = own.granularity ?? options.granularity ?? 'per-channel';
    const axis = granularity === 'per-tensor' ? undefined : entry.quantizeAxis(kernel.shape);
    if (granularity === 'per-channel' && axis === undefined)
      warnings.push(`${layer.name}: no per-channel axis (e.g. depth multiplier > 1), quantized per tensor`);
    const keep8 = int4KeepsConvAt8(layer.getClassName(), options, own);
    if (keep8) keptAt8.push(layer.name);
    const blockSize = blockwiseLayer(layer.getClassName(), options, own)
      ? (options.blockSize ?? DEFAULT_BLOCK_SIZE)
      : undefined;
    out[layer.name] = chooseQParams(kernel, {
      bits: keep8 ? 8 : (own.weightBits ?? options.weightBits ?? 8),
      symmetric,
      signed: symmetric,
      axis,
      ...(blockSize ? { blockSize } : {}),
    });
  }
  if (keptAt8.length) {
    warnings.push(
      `weight-only int4 is blockwise for Dense kernels only (ONNX Runtime's MatMulNBits is a MatMul): ${keptAt8.length} convolution kernel(s) kept at 8 bits per channel ` +
        `(${keptAt8.slice(0, 5).join(', ')}${keptAt8.length > 5 ? ', ...' : ''}). Pass granularity 'per-channel' for 4-bit per-channel kernels everywhere (stored in 8-bit containers in ONNX).`,
    );
  }
  return out;
}

/** The report rows of the decisions, with ranges, parameters and SQNR where known. */
export function pointReports(
  decisions: readonly PointDecision[],
  ranges: Record<string, { min: number; max: number }>,
  activations: Record<string, QParams>,
  sqnrDb?: Record<string, number>,
): PointReport[] {
  return decisions.map((d) => {
    const r = d.point ? ranges[d.layer] : undefined;
    const qp = d.point ? activations[d.layer] : undefined;
    const s = sqnrDb?.[d.layer];
    return {
      layer: d.layer,
      className: d.className,
      point: d.point,
      ...(d.grid ? { grid: d.grid } : {}),
      reason: d.reason,
      ...(r ? { min: r.min, max: r.max } : {}),
      ...(qp ? { scale: qp.scale[0] as number, zeroPoint: qp.zeroPoint[0] as number } : {}),
      ...(s !== undefined ? { sqnrDb: s } : {}),
    };
  });
}
