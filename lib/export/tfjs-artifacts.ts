// TensorFlow.js artifacts with quantized weights, written the way the Python converter
// (tensorflowjs_converter --quantize_uint8 / --quantize_uint16 / --quantize_float16) writes
// them: per weight, affine uint8/uint16 with `{dtype, scale, min}` in the manifest (min nudged
// so that 0 is exactly representable when the range covers it) or float16. Stock
// `tf.loadLayersModel` dequantizes them to float32 at load: files shrink, compute does not.
// One scale per tensor cannot serve channels of very different ranges (a BatchNormalization-
// folded depthwise kernel can span 1000x between channels): each weight's error is measured per
// channel, reported, warned about, and `dtype: 'auto'` keeps uint8 only where it holds.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { requireLayersModel } from '../core/graph';
import { globToRegExp } from '../core/glob';
import { modelToArtifacts } from '../data/model-io';
import { ModelArtifacts, specBytes } from '../data/model-files';
import { toFloat16, fromFloat16 } from '../quantize/float16';
import { channelAxes, weightError } from './weight-error';

/** The converter's weight quantization types. */
export type TfjsQuantDtype = 'uint8' | 'uint16' | 'float16';

/** Options of {@link quantizedArtifacts}. */
export interface TfjsQuantizeOptions {
  /** One type for every selected weight, or 'auto': uint8 where its worst channel keeps `minSqnrDb`, else the better 2-byte type. */
  readonly dtype: TfjsQuantDtype | 'auto';
  /** Weight names to quantize; `*` matches any text (e.g. `fc1/*`, or a star then `/kernel` for every kernel). Default: every float32 weight. */
  readonly weights?: readonly string[];
  /** The worst channel's SQNR (dB) below which a weight is warned about ('auto': not stored as uint8). Default 25. */
  readonly minSqnrDb?: number;
}

/** Per-weight outcome. */
export interface TfjsWeightReport {
  readonly name: string;
  /** The stored dtype: a quantization dtype, or the weight's own dtype when it is stored as is. */
  readonly dtype: TfjsQuantDtype | tf.io.WeightsManifestEntry['dtype'];
  readonly sizeBytes: number;
  readonly scale?: number;
  readonly min?: number;
  /** SQNR (dB) of the decoded weight against the float weight; left out when not finite (JSON has no Infinity). */
  readonly sqnrDb?: number;
  /** The lowest SQNR of any output channel (per-channel axis of the registry, else the last axis); left out when not finite. */
  readonly minChannelSqnrDb?: number;
  /** The decoded weight equals the float weight exactly (its SQNR is infinite). */
  readonly exact?: true;
  /** 'auto': why this type. */
  readonly reason?: string;
}

/** What {@link quantizedArtifacts} reports. */
export interface TfjsArtifactsReport {
  readonly weights: TfjsWeightReport[];
  readonly floatSizeBytes: number;
  readonly sizeBytes: number;
  readonly sizeRatio: number;
  /** Weights whose worst channel is below `minSqnrDb`. */
  readonly warnings: string[];
}

/** Python's round (half to even). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The converter's affine range: scale = (max - min) / qmax, min nudged so 0 maps to an integer when covered. */
export function converterRange(
  min: number,
  max: number,
  dtype: 'uint8' | 'uint16',
): { scale: number; min: number; max: number } {
  const qmax = dtype === 'uint8' ? 255 : 65535;
  if (min === max) return { scale: 1, min, max };
  const scale = (max - min) / qmax;
  if (min <= 0 && 0 <= max) {
    const nudgedMin = -roundHalfEven(-min / scale) * scale;
    return { scale, min: nudgedMin, max: qmax * scale + nudgedMin };
  }
  return { scale, min, max };
}

/** Quantizes float32 values as the converter does; returns integers and metadata. */
export function converterQuantize(
  values: Float32Array,
  dtype: 'uint8' | 'uint16',
): { q: Uint8Array | Uint16Array; scale: number; min: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v))
      throw new DataError(`quantizedArtifacts: finite weights, got ${describe(v)}. Repair the model before exporting.`);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  if (values.length === 0 || lo === hi) return { q, scale: 1, min: values.length ? lo : 0 };
  const r = converterRange(lo, hi, dtype);
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(r.max, Math.max(r.min, values[i] as number));
    q[i] = roundHalfEven((v - r.min) / r.scale);
  }
  return { q, scale: r.scale, min: r.min };
}

/** One weight encoded as `dtype`: its bytes, manifest quantization entry and decoded values. */
function encode(
  values: Float32Array,
  dtype: TfjsQuantDtype,
): {
  bytes: Uint8Array;
  quantization: tf.io.WeightsManifestEntry['quantization'];
  decoded: Float32Array;
  scale?: number;
  min?: number;
} {
  if (dtype === 'float16') {
    const h = toFloat16(values);
    return { bytes: new Uint8Array(h.buffer), quantization: { dtype: 'float16' }, decoded: fromFloat16(h) };
  }
  const { q, scale, min } = converterQuantize(values, dtype);
  return {
    bytes: new Uint8Array(q.buffer, q.byteOffset, q.byteLength),
    quantization: { dtype, scale, min },
    scale,
    min,
    decoded: Float32Array.from(q, (v) => v * scale + min),
  };
}

/**
 * One float32 weight stored as `dtype` ('auto': uint8 when its worst channel keeps `minSqnrDb`,
 * else the better 2-byte type), with its report row and, below `minSqnrDb`, a warning.
 * `axis`: the channel axis its error is measured along.
 */
export function encodeWeight(
  name: string,
  values: Float32Array,
  shape: readonly number[],
  axis: number | undefined,
  dtype: TfjsQuantDtype | 'auto',
  minSqnrDb: number,
): {
  bytes: Uint8Array;
  quantization: tf.io.WeightsManifestEntry['quantization'];
  report: TfjsWeightReport;
  warning?: string;
} {
  const tryType = (t: TfjsQuantDtype) => {
    const e = encode(values, t);
    return { dtype: t, ...e, error: weightError(values, e.decoded, shape, axis) };
  };
  let chosen = tryType(dtype === 'auto' ? 'uint8' : dtype);
  let reason: string | undefined;
  if (dtype === 'auto') {
    if (chosen.error.minChannelSqnrDb >= minSqnrDb) reason = `uint8 keeps every channel at >= ${minSqnrDb} dB`;
    else {
      const [u16, f16] = [tryType('uint16'), tryType('float16')];
      const better = f16.error.minChannelSqnrDb >= u16.error.minChannelSqnrDb ? f16 : u16;
      reason = `uint8 would leave channel ${chosen.error.worstChannel} at ${chosen.error.minChannelSqnrDb.toFixed(1)} dB (one scale for channels of different ranges); ${better.dtype} keeps ${better.error.minChannelSqnrDb.toFixed(1)} dB`;
      chosen = better;
    }
  }
  const warning =
    chosen.error.minChannelSqnrDb < minSqnrDb
      ? `${name}: ${chosen.dtype} leaves channel ${chosen.error.worstChannel} at ${chosen.error.minChannelSqnrDb.toFixed(1)} dB SQNR, below ${minSqnrDb} dB ` +
        `(its channels' ranges differ too much for one scale per tensor). Use dtype 'auto' or 'float16' for this weight.`
      : undefined;
  return {
    bytes: chosen.bytes,
    quantization: chosen.quantization,
    ...(warning ? { warning } : {}),
    report: {
      name,
      dtype: chosen.dtype,
      sizeBytes: chosen.bytes.byteLength,
      ...(chosen.scale !== undefined ? { scale: chosen.scale, min: chosen.min } : {}),
      ...finite('sqnrDb', chosen.error.sqnrDb),
      ...finite('minChannelSqnrDb', chosen.error.minChannelSqnrDb),
      ...(chosen.error.sqnrDb === Infinity ? { exact: true as const } : {}),
      ...(reason ? { reason } : {}),
    },
  };
}

/** `{[key]: value}` when value is finite, else nothing: a report stays plain JSON. */
const finite = <K extends string>(key: K, value: number): Partial<Record<K, number>> =>
  Number.isFinite(value) ? ({ [key]: value } as Record<K, number>) : {};

/**
 * Artifacts of `model` with the selected weights quantized (model.json manifest + one weights
 * buffer), loadable by stock `tf.loadLayersModel(tf.io.fromMemory(...))`, with each weight's
 * error per channel in the report. The model is not modified.
 * @example const {artifacts, report} = await quantizedArtifacts(model, {dtype: 'auto'}); writeArtifacts(dir, artifacts);
 */
export async function quantizedArtifacts(
  model: tf.LayersModel,
  options: TfjsQuantizeOptions,
): Promise<{ artifacts: ModelArtifacts; report: TfjsArtifactsReport }> {
  requireLayersModel(model, 'exporters.quantizedArtifacts');
  if (!['uint8', 'uint16', 'float16', 'auto'].includes(options?.dtype)) {
    throw new ConfigError(
      `quantizedArtifacts: dtype 'uint8', 'uint16', 'float16' or 'auto', got ${describe(options?.dtype)}. Use 'auto' for the smallest file that keeps every channel.`,
    );
  }
  const minSqnrDb = options.minSqnrDb ?? 25;
  if (!Number.isFinite(minSqnrDb))
    throw new ConfigError(`quantizedArtifacts: minSqnrDb a number of dB, got ${describe(options.minSqnrDb)}. Use 25.`);
  const patterns = (options.weights ?? ['*']).map(globToRegExp);
  const axes = channelAxes(model);
  const base = await modelToArtifacts(model);
  const specs = base.modelJson.weightsManifest.flatMap((g) => g.weights);
  const parts: Uint8Array[] = [];
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  const weights: TfjsWeightReport[] = [];
  const warnings: string[] = [];
  let offset = 0;
  for (const spec of specs) {
    const n = specBytes(spec);
    const raw = base.weightData.slice(offset, offset + n);
    offset += n;
    if (spec.dtype !== 'float32' || spec.quantization || !patterns.some((p) => p.test(spec.name))) {
      parts.push(raw);
      outSpecs.push(spec);
      weights.push({ name: spec.name, dtype: 'float32', sizeBytes: raw.length });
      continue;
    }
    const values = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
    const axis = axes.get(spec.name) ?? (spec.shape.length >= 2 ? spec.shape.length - 1 : undefined);
    const w = encodeWeight(spec.name, values, spec.shape, axis, options.dtype, minSqnrDb);
    if (w.warning) warnings.push(w.warning);
    parts.push(w.bytes);
    outSpecs.push({ ...spec, quantization: w.quantization });
    weights.push(w.report);
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const weightData = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    weightData.set(p, o);
    o += p.length;
  }
  const artifacts: ModelArtifacts = {
    modelJson: {
      ...base.modelJson,
      convertedBy: 'tfjs-compress',
      weightsManifest: [{ paths: base.modelJson.weightsManifest[0]?.paths ?? ['weights.bin'], weights: outSpecs }],
    },
    weightData,
  };
  return {
    artifacts,
    report: {
      weights,
      floatSizeBytes: base.weightData.length,
      sizeBytes: total,
      sizeRatio: total / base.weightData.length,
      warnings,
    },
  };
}

/**
 * The float32 values stock tfjs reconstructs from quantized artifacts (its formula: q * scale + min,
 * stored as float32; float16 decoded exactly), by weight name: the "dequantized model" reference.
 */
export function dequantizeArtifacts(artifacts: ModelArtifacts): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  let offset = 0;
  for (const spec of artifacts.modelJson.weightsManifest.flatMap((g) => g.weights)) {
    const n = specBytes(spec);
    const raw = artifacts.weightData.slice(offset, offset + n);
    offset += n;
    const q = spec.quantization;
    if (!q) out[spec.name] = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
    else if (q.dtype === 'float16')
      out[spec.name] = fromFloat16(new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2));
    else {
      const ints = q.dtype === 'uint8' ? raw : new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
      out[spec.name] = Float32Array.from(ints, (v) => v * (q.scale as number) + (q.min as number));
    }
  }
  return out;
}

/**
 * Float32 artifacts holding exactly the values stock tfjs decodes from `artifacts` (same
 * topology): load both and compare outputs to check that a quantized file means what it says.
 */
export function toFloat32Artifacts(artifacts: ModelArtifacts): ModelArtifacts {
  const values = dequantizeArtifacts(artifacts);
  const specs = artifacts.modelJson.weightsManifest.flatMap((g) => g.weights);
  const parts = specs.map((s) => (s.dtype === 'float32' ? (values[s.name] as Float32Array) : null));
  const total = specs.reduce((a, s, i) => a + (parts[i] ? (parts[i] as Float32Array).byteLength : specBytes(s)), 0);
  const weightData = new Uint8Array(total);
  let o = 0;
  let src = 0;
  specs.forEach((s, i) => {
    const p = parts[i];
    const n = specBytes(s);
    if (p) weightData.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), o);
    else weightData.set(artifacts.weightData.subarray(src, src + n), o);
    o += p ? p.byteLength : n;
    src += n;
  });
  const weights = specs.map((s) => {
    const { quantization: _q, ...rest } = s;
    return rest;
  });
  return {
    modelJson: {
      ...artifacts.modelJson,
      weightsManifest: [{ paths: artifacts.modelJson.weightsManifest[0]?.paths ?? ['weights.bin'], weights }],
    },
    weightData,
  };
}
