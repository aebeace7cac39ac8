// Weight quantization of TensorFlow.js model files, graph models included: what
// tensorflowjs_converter --quantize_uint8 / --quantize_uint16 / --quantize_float16 '<patterns>'
// does to a SavedModel or TF Hub model, in JavaScript, on the converter's own output (or on any
// model.json + weights, layers models too). Each selected float32 weight is stored as affine
// uint8/uint16 with {dtype, scale, min} (the converter's nudged range, tfjs-artifacts.ts) or as
// float16; stock tf.loadGraphModel / tf.loadLayersModel dequantize to float32 at load, so files
// shrink and compute does not. `measureArtifactsError` runs both files in stock tfjs on given
// inputs and reports the output error and top-1 agreement.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, ShapeError, describe } from '../errors';
import { artifactsToGraphModel, artifactsToModel } from '../data/model-io';
import { ModelArtifacts, isGraphArtifacts, shardNames, specBytes, weightByteLengths } from '../data/model-files';
import { TfjsArtifactsReport, TfjsQuantizeOptions, TfjsWeightReport, encodeWeight } from './tfjs-artifacts';
import { globToRegExp } from '../core/glob';

/** What {@link quantizeGraphArtifacts} reports. */
export interface ArtifactsQuantizeReport extends TfjsArtifactsReport {
  /** Patterns that matched no weight, weights kept as stored because they already were quantized, ... */
  readonly warnings: string[];
}

function check(artifacts: ModelArtifacts, options: TfjsQuantizeOptions): RegExp[] {
  const fn = 'quantizeGraphArtifacts';
  if (
    !artifacts ||
    typeof artifacts !== 'object' ||
    !(artifacts.weightData instanceof Uint8Array) ||
    !Array.isArray(artifacts.modelJson?.weightsManifest)
  ) {
    throw new ConfigError(
      `${fn}: artifacts {modelJson, weightData} (readArtifacts(dir) or graphModelToArtifacts(model)), got ${describe(artifacts)}. Read the model folder first.`,
    );
  }
  if (!options || !['uint8', 'uint16', 'float16', 'auto'].includes(options.dtype)) {
    throw new ConfigError(
      `${fn}: dtype 'uint8', 'uint16', 'float16' or 'auto', got ${describe(options?.dtype)}. Use 'uint8' for the smallest file, 'uint16' or 'float16' for a small error, 'auto' for uint8 where each weight's channels keep 25 dB.`,
    );
  }
  const weights = options.weights ?? ['*'];
  if (!Array.isArray(weights) || weights.length === 0 || !weights.every((w) => typeof w === 'string' && w.length > 0)) {
    throw new ConfigError(
      `${fn}: weights a non-empty list of name patterns such as ['*'] or ['*conv*'], got ${describe(options.weights)}. Leave it out to quantize every float32 weight.`,
    );
  }
  return weights.map(globToRegExp);
}

/**
 * Artifacts whose selected float32 weights are stored as the converter stores them (uint8 /
 * uint16 / float16), re-sharded as the converter shards (4 MiB, `group1-shard1of2.bin`, ...).
 * The input is not modified. Write them with writeArtifacts; load them with stock tfjs.
 * @example const {artifacts, report} = quantizeGraphArtifacts(readArtifacts(dir), {dtype: 'uint8'}); writeArtifacts(out, artifacts);
 */
export function quantizeGraphArtifacts(
  artifacts: ModelArtifacts,
  options: TfjsQuantizeOptions,
): { artifacts: ModelArtifacts; report: ArtifactsQuantizeReport } {
  const patterns = check(artifacts, options);
  const fn = 'quantizeGraphArtifacts';
  const groups = artifacts.modelJson.weightsManifest;
  const specs = groups.flatMap((g) => g.weights);
  const lengths = weightByteLengths(specs, artifacts.weightData, fn);
  if (lengths.reduce((a, b) => a + b, 0) !== artifacts.weightData.length) {
    throw new DataError(
      `${fn}: ${lengths.reduce((a, b) => a + b, 0)} weight bytes as the manifest says, got ${artifacts.weightData.length}. Read the artifacts with readArtifacts.`,
    );
  }
  const matched = new Set<number>();
  const selected = (name: string) => {
    const hits = patterns.map((p, i) => (p.test(name) ? i : -1)).filter((i) => i >= 0);
    hits.forEach((i) => matched.add(i));
    return hits.length > 0;
  };
  const weights: TfjsWeightReport[] = [];
  const warnings: string[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  let k = 0;
  let floatSizeBytes = 0;
  const manifest = groups.map((g, gi) => {
    const out: tf.io.WeightsManifestEntry[] = [];
    let groupBytes = 0;
    for (const spec of g.weights) {
      const n = lengths[k++] as number;
      const raw = artifacts.weightData.subarray(offset, offset + n);
      offset += n;
      floatSizeBytes += spec.quantization ? specBytes({ name: spec.name, shape: spec.shape, dtype: spec.dtype }) : n;
      const push = (bytes: Uint8Array, entry: tf.io.WeightsManifestEntry, report: TfjsWeightReport) => {
        parts.push(bytes);
        out.push(entry);
        weights.push(report);
        groupBytes += bytes.length;
      };
      const wanted = selected(spec.name);
      if (spec.quantization) {
        if (wanted)
          warnings.push(
            `${fn}: weight '${spec.name}' is already stored as ${spec.quantization.dtype}; kept as it is (quantize the float32 original instead).`,
          );
        push(raw, spec, {
          name: spec.name,
          dtype: spec.quantization.dtype as TfjsWeightReport['dtype'],
          sizeBytes: n,
          scale: spec.quantization.scale,
          min: spec.quantization.min,
        });
        continue;
      }
      if (spec.dtype !== 'float32' || !wanted) {
        push(raw, spec, { name: spec.name, dtype: spec.dtype, sizeBytes: n });
        continue;
      }
      // Copy: the weight may sit at an offset that is not a multiple of 4.
      const values = new Float32Array(raw.slice().buffer);
      const w = encodeWeight(
        spec.name,
        values,
        spec.shape,
        spec.shape.length >= 2 ? spec.shape.length - 1 : undefined,
        options.dtype,
        options.minSqnrDb ?? 25,
      );
      if (w.warning) warnings.push(`${fn}: ${w.warning}`);
      push(w.bytes, { ...spec, quantization: w.quantization }, w.report);
    }
    return { paths: shardNames(gi + 1, groupBytes), weights: out };
  });
  (options.weights ?? ['*']).forEach((p, i) => {
    if (!matched.has(i))
      warnings.push(`${fn}: the pattern '${p}' matches no weight; weight names look like '${specs[0]?.name ?? ''}'.`);
  });
  const sizeBytes = parts.reduce((a, p) => a + p.length, 0);
  const weightData = new Uint8Array(sizeBytes);
  parts.reduce((o, p) => (weightData.set(p, o), o + p.length), 0);
  return {
    artifacts: {
      modelJson: { ...artifacts.modelJson, convertedBy: 'tfjs-compress', weightsManifest: manifest },
      weightData,
    },
    report: {
      weights,
      floatSizeBytes,
      sizeBytes,
      sizeRatio: floatSizeBytes ? sizeBytes / floatSizeBytes : 1,
      warnings,
    },
  };
}

/** Options of {@link measureArtifactsError}. */
export interface ArtifactsErrorOptions {
  /** Examples per forward pass. Default 64. */
  readonly batchSize?: number;
}

/** What {@link measureArtifactsError} reports: the quantized model's outputs against the original's. */
export interface ArtifactsError {
  readonly examples: number;
  /** Largest |quantized - original| over every output value. */
  readonly maxAbsError: number;
  /** Mean |quantized - original| over every output value. */
  readonly meanAbsError: number;
  /** Fraction of examples whose arg-max (last axis of the first output) is the same, when the output is a score vector. */
  readonly top1Agreement: number | undefined;
}

type Runner = { run: (x: tf.Tensor | tf.NamedTensorMap) => tf.Tensor[]; dispose: () => void };

async function runner(a: ModelArtifacts, which: string): Promise<Runner> {
  const flat = (y: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor[] =>
    y instanceof tf.Tensor
      ? [y]
      : Array.isArray(y)
        ? y
        : Object.keys(y)
            .sort()
            .map((k) => y[k] as tf.Tensor);
  if (isGraphArtifacts(a)) {
    const m = artifactsToGraphModel(a, which);
    return {
      run: (x) => flat(m.predict(x) as tf.Tensor | tf.Tensor[] | tf.NamedTensorMap),
      dispose: () => m.dispose(),
    };
  }
  const m = await artifactsToModel(a, which);
  return { run: (x) => flat(m.predict(x as tf.Tensor) as tf.Tensor | tf.Tensor[]), dispose: () => m.dispose() };
}

/**
 * Runs the original and the quantized files (stock tfjs, as a user would load them) on `inputs`
 * (a batch, or one batch per named input) and compares their outputs. Inputs are borrowed.
 * @example const err = await measureArtifactsError(original, quantizeGraphArtifacts(original, {dtype: 'uint8'}).artifacts, images);
 */
export async function measureArtifactsError(
  original: ModelArtifacts,
  quantized: ModelArtifacts,
  inputs: tf.Tensor | tf.NamedTensorMap,
  options: ArtifactsErrorOptions = {},
): Promise<ArtifactsError> {
  const fn = 'measureArtifactsError';
  const batchSize = options.batchSize ?? 64;
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new ConfigError(`${fn}: batchSize a positive integer, got ${describe(options.batchSize)}. Use e.g. 64.`);
  const tensors = inputs instanceof tf.Tensor ? [inputs] : Object.values(inputs ?? {});
  const n = tensors[0]?.shape[0];
  if (!tensors.length || !tensors.every((t) => t instanceof tf.Tensor && t.rank >= 1 && t.shape[0] === n) || !n) {
    throw new ShapeError(
      `${fn}: inputs as a batch tensor (or named batch tensors of one length), got ${describe(inputs)}. Pass e.g. a [n, 224, 224, 3] tensor.`,
    );
  }
  const a = await runner(original, 'the original artifacts');
  let b: Runner;
  try {
    b = await runner(quantized, 'the quantized artifacts');
  } catch (e) {
    a.dispose();
    throw e;
  }
  let maxAbs = 0;
  let sumAbs = 0;
  let count = 0;
  let agree = 0;
  let scored = true;
  try {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const stats = tf.tidy(() => {
        const slice = (t: tf.Tensor) => t.slice(start, size);
        const x =
          inputs instanceof tf.Tensor
            ? slice(inputs)
            : Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, slice(t)]));
        let ya: tf.Tensor[];
        let yb: tf.Tensor[];
        try {
          [ya, yb] = [a.run(x), b.run(x)];
        } catch (e) {
          throw new ShapeError(
            `${fn}: inputs the models accept, got "${(e as Error).message}". Pass inputs of the model's input shape and dtype.`,
          );
        }
        if (ya.length !== yb.length || ya.some((y, i) => !tf.util.arraysEqual(y.shape, (yb[i] as tf.Tensor).shape))) {
          throw new ShapeError(
            `${fn}: two models with the same outputs, got ${ya.map((y) => `[${y.shape}]`).join(' ')} and ${yb.map((y) => `[${y.shape}]`).join(' ')}. Compare a model with its own quantized copy.`,
          );
        }
        const diffs = ya.map((y, i) => tf.abs(tf.sub(tf.cast(y, 'float32'), tf.cast(yb[i] as tf.Tensor, 'float32'))));
        const first = ya[0] as tf.Tensor;
        const top1 =
          first.rank >= 2 && (first.shape[first.rank - 1] as number) > 1
            ? tf.sum(tf.cast(tf.equal(tf.argMax(first, -1), tf.argMax(yb[0] as tf.Tensor, -1)), 'int32'))
            : tf.scalar(-1, 'int32');
        return {
          max: tf.max(tf.stack(diffs.map((d) => tf.max(d)))),
          sum: tf.addN(diffs.map((d) => tf.sum(d))),
          count: diffs.reduce((s, d) => s + d.size, 0),
          top1,
        };
      });
      maxAbs = Math.max(maxAbs, (await stats.max.data())[0] as number);
      sumAbs += (await stats.sum.data())[0] as number;
      const t1 = (await stats.top1.data())[0] as number;
      if (t1 < 0) scored = false;
      else agree += t1;
      count += stats.count;
      tf.dispose([stats.max, stats.sum, stats.top1]);
    }
  } finally {
    a.dispose();
    b.dispose();
  }
  return {
    examples: n,
    maxAbsError: maxAbs,
    meanAbsError: count ? sumAbs / count : 0,
    top1Agreement: scored ? agree / n : undefined,
  };
}
