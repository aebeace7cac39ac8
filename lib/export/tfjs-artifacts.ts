// TensorFlow.js artifacts with quantized weights, written the way the Python converter
// (tensorflowjs_converter --quantize_uint8 / --quantize_uint16 / --quantize_float16) writes
// them: per weight, affine uint8/uint16 with `{dtype, scale, min}` in the manifest (min nudged
// so that 0 is exactly representable when the range covers it) or float16. Stock
// `tf.loadLayersModel` dequantizes them to float32 at load: files shrink, compute does not.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { requireLayersModel } from '../core/graph';
import { ModelArtifacts, modelToArtifacts, specBytes } from '../data/model-io';
import { toFloat16, fromFloat16 } from '../quantize/float16';

/** The converter's weight quantization types. */
export type TfjsQuantDtype = 'uint8' | 'uint16' | 'float16';

/** Options of {@link quantizedArtifacts}. */
export interface TfjsQuantizeOptions {
  readonly dtype: TfjsQuantDtype;
  /** Weight names to quantize; `*` matches any text (e.g. `fc1/*`, or a star then `/kernel` for every kernel). Default: every float32 weight. */
  readonly weights?: readonly string[];
}

/** Per-weight outcome. */
export interface TfjsWeightReport {
  readonly name: string;
  /** The stored dtype: a quantization dtype, or the weight's own dtype when it is stored as is. */
  readonly dtype: TfjsQuantDtype | tf.io.WeightsManifestEntry['dtype'];
  readonly sizeBytes: number;
  readonly scale?: number;
  readonly min?: number;
}

/** What {@link quantizedArtifacts} reports. */
export interface TfjsArtifactsReport {
  readonly weights: TfjsWeightReport[];
  readonly floatSizeBytes: number;
  readonly sizeBytes: number;
  readonly sizeRatio: number;
}

/** A weight-name pattern as a RegExp: `*` matches any text (the converter's --quantize_* '*' patterns). */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Python's round (half to even). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The converter's affine range: scale = (max - min) / qmax, min nudged so 0 maps to an integer when covered. */
export function converterRange(min: number, max: number, dtype: 'uint8' | 'uint16'): { scale: number; min: number; max: number } {
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
export function converterQuantize(values: Float32Array, dtype: 'uint8' | 'uint16'): { q: Uint8Array | Uint16Array; scale: number; min: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) throw new DataError(`quantizedArtifacts: finite weights, got ${describe(v)}. Repair the model before exporting.`);
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

/**
 * Artifacts of `model` with the selected weights quantized (model.json manifest + one weights
 * buffer), loadable by stock `tf.loadLayersModel(tf.io.fromMemory(...))`. The model is not modified.
 * @example const {artifacts} = await quantizedArtifacts(model, {dtype: 'uint8'}); writeArtifacts(dir, artifacts);
 */
export async function quantizedArtifacts(model: tf.LayersModel, options: TfjsQuantizeOptions): Promise<{ artifacts: ModelArtifacts; report: TfjsArtifactsReport }> {
  requireLayersModel(model, 'exporters.quantizedArtifacts');
  if (!['uint8', 'uint16', 'float16'].includes(options.dtype)) {
    throw new ConfigError(`quantizedArtifacts: dtype 'uint8', 'uint16' or 'float16', got ${describe(options.dtype)}. Use 'uint8' for the smallest file.`);
  }
  const patterns = (options.weights ?? ['*']).map(globToRegExp);
  const base = await modelToArtifacts(model);
  const specs = base.modelJson.weightsManifest.flatMap((g) => g.weights);
  const parts: Uint8Array[] = [];
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  const weights: TfjsWeightReport[] = [];
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
    if (options.dtype === 'float16') {
      const h = toFloat16(values);
      parts.push(new Uint8Array(h.buffer));
      outSpecs.push({ ...spec, quantization: { dtype: 'float16' } });
      weights.push({ name: spec.name, dtype: 'float16', sizeBytes: h.byteLength });
    } else {
      const { q, scale, min } = converterQuantize(values, options.dtype);
      parts.push(new Uint8Array(q.buffer, q.byteOffset, q.byteLength));
      outSpecs.push({ ...spec, quantization: { dtype: options.dtype, scale, min } });
      weights.push({ name: spec.name, dtype: options.dtype, sizeBytes: q.byteLength, scale, min });
    }
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const weightData = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    weightData.set(p, o);
    o += p.length;
  }
  const artifacts: ModelArtifacts = {
    modelJson: { ...base.modelJson, convertedBy: 'tfjs-compress', weightsManifest: [{ paths: base.modelJson.weightsManifest[0]?.paths ?? ['weights.bin'], weights: outSpecs }] },
    weightData,
  };
  return { artifacts, report: { weights, floatSizeBytes: base.weightData.length, sizeBytes: total, sizeRatio: total / base.weightData.length } };
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
    else if (q.dtype === 'float16') out[spec.name] = fromFloat16(new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2));
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
  const parts = specs.map((s) => (s.dtype === 'float32' ? values[s.name] as Float32Array : null));
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
  return { modelJson: { ...artifacts.modelJson, weightsManifest: [{ paths: artifacts.modelJson.weightsManifest[0]?.paths ?? ['weights.bin'], weights }] }, weightData };
}
