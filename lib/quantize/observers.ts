// Calibration observers: each watches recorded activations batch by batch and proposes the range
// [min, max] to quantize them with. MinMax (the full range), moving-average MinMax (TFLite/QAT
// style EMA of per-batch ranges), Percentile (clip rare outliers), MSE (the clipping range that
// minimizes the quantization error of the data seen), Entropy (TensorRT's KL-divergence
// calibration over a 2048-bin histogram, Migacz 2017, "8-bit Inference with TensorRT").
// Memory is bounded: the data-driven methods keep a fixed-size uniform sample (a seeded
// reservoir), whatever the number of calibration examples.
import { ConfigError, DataError, describe } from '../errors';
import { qparamsFromRange } from './qparams';
import { Reservoir } from './reservoir';

/** The calibration methods. */
export type ObserverMethod = 'minmax' | 'moving-average' | 'percentile' | 'mse' | 'entropy';

/** Options of an observer (plain data). */
export interface ObserverOptions {
  readonly method: ObserverMethod;
  /** Bits the range is chosen for (mse, entropy). Default 8. */
  readonly bits?: number;
  /** moving-average: weight of each new batch's range, in (0, 1]. Default 0.1. */
  readonly averagingConstant?: number;
  /** percentile: upper percentile in (50, 100]; the lower is 100 - p. Default 99.99. */
  readonly percentile?: number;
  /** entropy: histogram bins. Default 2048. */
  readonly bins?: number;
  /** percentile, mse, entropy: values kept (a uniform sample of everything observed). Default 2^17. */
  readonly sampleSize?: number;
  /** Seed of the sample. Default 0. */
  readonly seed?: number;
}

/** One batch as the streaming calibration sees it: its exact range and a sample of its values. */
export interface BatchSummary {
  readonly min: number;
  readonly max: number;
  /** Values in the batch. */
  readonly count: number;
  /** Some of the batch's values (all of them, or a uniform subsample), for the methods that need values. */
  readonly sample?: ArrayLike<number>;
}

/** A range proposal from observed values. */
export interface Observer {
  readonly options: ObserverOptions;
  /** Observes a batch of values (checked finite). */
  observe(values: ArrayLike<number>): void;
  /** Observes a batch summarized on the device (range exact, values sampled). */
  observeBatch(batch: BatchSummary): void;
  /** True when the method needs values (percentile, mse, entropy), not only ranges. */
  readonly wantsSample: boolean;
  /** The proposed range; DataError when nothing (or nothing finite) was observed. */
  range(): { min: number; max: number };
  /** Values observed so far. */
  readonly count: number;
}

/** Values kept by default for the data-driven methods. */
const SAMPLE_SIZE = 1 << 17;

function checkOptions(o: ObserverOptions): void {
  const methods: ObserverMethod[] = ['minmax', 'moving-average', 'percentile', 'mse', 'entropy'];
  if (!methods.includes(o.method))
    throw new ConfigError(
      `createObserver: method one of ${methods.join(', ')}, got ${describe(o.method)}. Use 'minmax' to start.`,
    );
  const bits = o.bits ?? 8;
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 16))
    throw new ConfigError(`createObserver: bits an integer in [2, 16], got ${describe(bits)}. Use 8.`);
  const c = o.averagingConstant ?? 0.1;
  if (!(c > 0 && c <= 1))
    throw new ConfigError(`createObserver: averagingConstant in (0, 1], got ${describe(c)}. Use 0.1.`);
  const p = o.percentile ?? 99.99;
  if (!(p > 50 && p <= 100))
    throw new ConfigError(`createObserver: percentile in (50, 100], got ${describe(p)}. Use 99.99.`);
  const k = o.sampleSize ?? SAMPLE_SIZE;
  if (!(Number.isInteger(k) && k >= 256 && k <= 1 << 24))
    throw new ConfigError(
      `createObserver: sampleSize an integer in [256, 2^24], got ${describe(k)}. Use ${SAMPLE_SIZE}.`,
    );
}

/**
 * Creates an observer. Non-finite values raise a DataError when observed.
 * @example const o = createObserver({method: 'minmax'}); o.observe([-1, 2]); o.range() // {min: -1, max: 2}
 */
export function createObserver(options: ObserverOptions): Observer {
  checkOptions(options);
  let count = 0;
  let min = Infinity;
  let max = -Infinity;
  let emaMin = NaN;
  let emaMax = NaN;
  const c = options.averagingConstant ?? 0.1;
  const wantsSample = options.method === 'percentile' || options.method === 'mse' || options.method === 'entropy';
  const kept = wantsSample ? new Reservoir(options.sampleSize ?? SAMPLE_SIZE, options.seed ?? 0) : undefined;
  const observeBatch = (b: BatchSummary): void => {
    if (b.count === 0) return;
    if (!Number.isFinite(b.min) || !Number.isFinite(b.max)) {
      throw new DataError(
        `observe: finite activations, got a batch with range [${describe(b.min)}, ${describe(b.max)}]. Check the model's weights and inputs for NaN/Infinity.`,
      );
    }
    count += b.count;
    min = Math.min(min, b.min);
    max = Math.max(max, b.max);
    emaMin = Number.isNaN(emaMin) ? b.min : emaMin + c * (b.min - emaMin);
    emaMax = Number.isNaN(emaMax) ? b.max : emaMax + c * (b.max - emaMax);
    if (kept && b.sample) kept.add(b.sample);
  };
  return {
    options,
    wantsSample,
    observeBatch,
    get count() {
      return count;
    },
    observe(values) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number;
        if (!Number.isFinite(v))
          throw new DataError(
            `observe: finite activations, got ${describe(v)} at index ${i}. Check the model's weights and inputs for NaN/Infinity.`,
          );
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      observeBatch({ min: lo, max: hi, count: values.length, sample: values });
    },
    range() {
      if (count === 0)
        throw new DataError(
          `${options.method} observer: at least one observed value, got none. Pass a non-empty calibration set.`,
        );
      switch (options.method) {
        case 'minmax':
          return { min, max };
        case 'moving-average':
          return { min: emaMin, max: emaMax };
        case 'percentile':
          return percentileRange((kept as Reservoir).sample(), options.percentile ?? 99.99, min, max);
        case 'mse':
          return mseRange((kept as Reservoir).sample(), min, max, options.bits ?? 8);
        case 'entropy':
          return entropyRange((kept as Reservoir).sample(), min, max, options.bits ?? 8, options.bins ?? 2048);
      }
    },
  };
}

function percentileRange(values: Float32Array, p: number, min: number, max: number): { min: number; max: number } {
  // p = 100 is the exact range (the sample may have missed the extremes).
  if (p === 100 || values.length === 0) return { min, max };
  const sorted = values.slice().sort();
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((q / 100) * (sorted.length - 1))))] as number;
  return { min: at(100 - p), max: at(p) };
}

/** Mean squared quantization error of `values` under the range [lo, hi]. */
export function quantizationMse(values: Float32Array, lo: number, hi: number, bits: number): number {
  const qp = qparamsFromRange([lo], [hi], { bits });
  const s = qp.scale[0] as number;
  const z = qp.zeroPoint[0] as number;
  let err = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const q = Math.min(qp.qmax, Math.max(qp.qmin, Math.round(v / s) + z));
    const d = (q - z) * s - v;
    err += d * d;
  }
  return err / values.length;
}

function mseRange(values: Float32Array, min: number, max: number, bits: number): { min: number; max: number } {
  if (values.length === 0) return { min, max };
  let best = { min, max };
  let bestErr = Infinity;
  for (let k = 0; k <= 80; k++) {
    const a = 1 - k / 100; // shrink the range from 100% to 20%
    const err = quantizationMse(values, min * a, max * a, bits);
    if (err < bestErr) {
      bestErr = err;
      best = { min: min * a, max: max * a };
    }
  }
  return best;
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let ps = 0;
  let qs = 0;
  for (let i = 0; i < p.length; i++) {
    ps += p[i] as number;
    qs += q[i] as number;
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = (p[i] as number) / ps;
    if (pi === 0) continue;
    const qi = Math.max((q[i] as number) / qs, 1e-12);
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}

/**
 * TensorRT's entropy calibration: histogram |x| into `bins` bins; for each candidate threshold
 * (from `levels` bins up), fold the tail into the last bin (P), merge the bins into `levels`
 * quantization levels and expand them back over their non-empty bins (Q), and keep the threshold
 * with the smallest KL(P || Q). Non-negative data (after ReLU) uses all 2^bits levels on [0, T].
 */
function entropyRange(
  values: Float32Array,
  min: number,
  max: number,
  bits: number,
  bins: number,
): { min: number; max: number } {
  const amax = Math.max(Math.abs(min), Math.abs(max));
  if (amax === 0) return { min: 0, max: 0 };
  if (values.length === 0) return { min, max };
  const nonNegative = min >= 0;
  const levels = nonNegative ? 2 ** bits : 2 ** (bits - 1);
  const nBins = Math.max(bins, levels);
  const width = amax / nBins;
  const hist = new Float64Array(nBins);
  for (let i = 0; i < values.length; i++)
    hist[Math.min(nBins - 1, Math.floor(Math.abs(values[i] as number) / width))]! += 1;
  let bestKl = Infinity;
  let bestI = nBins;
  const step = Math.max(1, Math.floor((nBins - levels) / 512));
  for (let i = levels; i <= nBins; i += step) {
    const p = hist.slice(0, i);
    let tail = 0;
    for (let j = i; j < nBins; j++) tail += hist[j] as number;
    p[i - 1] = (p[i - 1] as number) + tail;
    const q = new Float64Array(i);
    const per = i / levels;
    for (let l = 0; l < levels; l++) {
      const a = Math.floor(l * per);
      const b = l === levels - 1 ? i : Math.floor((l + 1) * per);
      let sum = 0;
      let nonzero = 0;
      for (let j = a; j < b; j++) {
        sum += hist[j] as number;
        if ((hist[j] as number) > 0) nonzero++;
      }
      for (let j = a; j < b; j++) if ((hist[j] as number) > 0) q[j] = sum / nonzero;
    }
    const kl = klDivergence(p, q);
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  const t = Math.min(amax, (bestI + 0.5) * width);
  return nonNegative ? { min: 0, max: t } : { min: -t, max: t };
}
