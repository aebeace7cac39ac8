// Deep Compression (Han et al. 2016, arXiv:1510.00149) as a model verb, for every layer whose
// registry entry has a kernel (Dense, Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, ...):
// magnitude pruning of each kernel to `sparsity`, k-means weight sharing of the survivors
// (2^bits - 1 centroids, code 0 kept for the zeros), and the sizes of the Huffman-coded sparse
// storage (deep-compress-codec.ts). Given data, the shared centroids are then fine-tuned on it
// (the paper's Sec. 3.3; pruned weights stay zero), for every layer whose registry entry has a
// kernel op. The returned model holds exactly the values the encoding stands for, so its accuracy
// is that of the file `exporters.toDeepCompressed` writes. Not done here: the paper's retraining
// of the surviving weights after pruning (prune.fineTune before this verb does that).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { IndexBits } from '../core/csr';
import { LayerPatterns, selectNames } from '../core/glob';
import { requireLayersModel } from '../core/graph';
import { kernelLayers, layerEntry } from '../core/layers';
import { keepLargest, zerosFor } from '../core/magnitude-order';
import { rebuildModel } from '../core/rewrite';
import { checkCoding, decodeKernel, encodeKernel, EncodedKernel, KernelCoding } from './deep-compress-codec';
import { CentroidFineTune, checkCentroidTuning, fineTuneCentroids, writeSharedKernels } from './centroid-tuning';
import { SharedTensor, decodeShared } from './kmeans';
import { DataSource, looksLikeData } from '../data/source';

const FN = 'quantize.deepCompress';

/** Per-layer overrides of {@link DeepCompressOptions}. */
export interface DeepCompressLayerOptions {
  readonly sparsity?: number;
  readonly bits?: number;
}

/** Options of {@link deepCompress}. */
export interface DeepCompressOptions extends LayerPatterns {
  /** Fraction of each kernel's smallest-|w| entries zeroed first, in [0, 1). Default 0 (keep the model's own zeros). */
  readonly sparsity?: number;
  /** Bits per shared-weight code, in [2, 8] (2^bits - 1 centroids plus the zero code). Default 5. */
  readonly bits?: number;
  /** Bits of a relative index: 4 (gaps up to 16) or 8 (gaps up to 256). Default 8. */
  readonly indexBits?: IndexBits;
  /** Lloyd iterations of k-means. Default 30. */
  readonly iterations?: number;
  /** Seed of k-means (its linear initialization does not draw from it). Default 0. */
  readonly seed?: number;
  /** Per-layer overrides by layer name. */
  readonly layers?: Readonly<Record<string, DeepCompressLayerOptions>>;
  /** Fine-tuning of the shared centroids on the data (default 1 epoch when data is given). */
  readonly fineTune?: CentroidFineTune;
}

/** One kernel's row of the report. */
export interface DeepCompressLayerReport {
  readonly name: string;
  readonly className: string;
  readonly sparsity: number;
  readonly bits: number;
  readonly nonzeros: number;
  readonly entries: number;
  /** The encoded kernel plus the layer's other weights (bias, ...) as float32. */
  readonly bytes: number;
  readonly codeBitsPerEntry: number;
  readonly gapBitsPerEntry: number;
  /** Its centroids were fine-tuned on the data (false without data, or for a class with no kernel op). */
  readonly fineTuned: boolean;
}

/** What {@link deepCompress} reports. */
export interface DeepCompressReport {
  readonly layers: DeepCompressLayerReport[];
  /** Dense float32 bytes of all the model's weights. */
  readonly denseBytes: number;
  /** Encoded kernels plus every other weight as float32. */
  readonly compressedBytes: number;
  readonly compressionRatio: number;
  readonly bits: number;
  readonly indexBits: IndexBits;
  /** Optimizer steps of the centroid fine-tuning (0 without data). */
  readonly fineTuneSteps: number;
}

function resolve(model: tf.LayersModel, options: DeepCompressOptions) {
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `${FN}: an options object such as {sparsity: 0.9, bits: 5}, got ${describe(options)}. Pass the options.`,
    );
  const base = {
    sparsity: options.sparsity ?? 0,
    bits: options.bits ?? 5,
    indexBits: options.indexBits ?? 8,
    iterations: options.iterations ?? 30,
    seed: options.seed ?? 0,
  };
  const kernels = kernelLayers(model);
  const names = kernels.map((k) => k.layer.name);
  const selected = new Set(selectNames(FN, names, options));
  for (const [name, o] of Object.entries(options.layers ?? {}))
    if (!names.includes(name) || !o || typeof o !== 'object')
      throw new ConfigError(
        `${FN}: layers to map layers with a kernel to {sparsity?, bits?}, got ${describe(name)}: ${describe(o)}. Layers with a kernel are: ${names.join(', ')}.`,
      );
  const plan = kernels
    .filter((k) => selected.has(k.layer.name))
    .map((k) => ({ ...k, ...base, ...options.layers?.[k.layer.name] }));
  for (const p of plan) {
    if (!(typeof p.sparsity === 'number' && p.sparsity >= 0 && p.sparsity < 1))
      throw new ConfigError(
        `${FN}: sparsity in [0, 1), got ${describe(p.sparsity)} for "${p.layer.name}". Use e.g. 0.9.`,
      );
    checkCoding(FN, p.bits, p.indexBits);
  }
  return { base, plan };
}

/** A kernel's shared values as codebook [0, ...centroids] and one code per entry (code 0: the zeros). */
function sharedOf(values: Float32Array, enc: EncodedKernel): SharedTensor {
  const code = new Map<number, number>();
  enc.centroids.forEach((c, i) => code.set(c, i + 1));
  return {
    codebook: Float32Array.from([0, ...enc.centroids]),
    indices: Uint16Array.from(values, (v) => (v === 0 ? 0 : (code.get(v) as number))),
    shape: enc.shape,
  };
}

/**
 * Deep-compresses a copy of `model`: per kernel layer, prune to `sparsity`, share the survivors'
 * values (k-means), fine-tune the shared values on `data` when given, and measure the
 * Huffman-coded sparse storage. The input is not modified; the caller owns the returned model,
 * whose kernels hold exactly the shared values.
 * @example const {model, report} = await quantize.deepCompress(model, {sparsity: 0.9, bits: 4}); report.compressionRatio
 * @example const {model: tuned} = await quantize.deepCompress(model, train, {sparsity: 0.9, bits: 4, fineTune: {epochs: 1}});
 */
export async function deepCompress(
  model: tf.LayersModel,
  options?: DeepCompressOptions,
): Promise<{ model: tf.LayersModel; report: DeepCompressReport }>;
export async function deepCompress(
  model: tf.LayersModel,
  data: DataSource,
  options: DeepCompressOptions,
): Promise<{ model: tf.LayersModel; report: DeepCompressReport }>;
export async function deepCompress(
  model: tf.LayersModel,
  dataOrOptions?: DataSource | DeepCompressOptions,
  maybeOptions?: DeepCompressOptions,
): Promise<{ model: tf.LayersModel; report: DeepCompressReport }> {
  requireLayersModel(model, FN);
  const data = maybeOptions === undefined ? undefined : (dataOrOptions as DataSource);
  const options = maybeOptions ?? (dataOrOptions as DeepCompressOptions | undefined) ?? {};
  if (data === undefined && looksLikeData(options))
    throw new ConfigError(
      `${FN}: options as the third argument after the data, deepCompress(model, data, {fineTune: {epochs: 1}}), got data and no options. Pass the options too.`,
    );
  const { base, plan } = resolve(model, options);
  const tuning = data === undefined ? undefined : checkCentroidTuning(data, options.fineTune, base.seed, FN);
  const copy = await rebuildModel(model, {}, FN);
  try {
    // 1. Prune and share each kernel: the shared values, as codes over their centroids.
    const shared: Record<string, SharedTensor> = {};
    for (const p of plan) {
      const target = copy.getLayer(p.layer.name);
      const k = target.getWeights()[p.index] as tf.Tensor;
      const values = Float32Array.from(k.dataSync());
      const keep = keepLargest(values.map(Math.abs), zerosFor(values.length, p.sparsity));
      values.forEach((_, i) => {
        if (!keep[i]) values[i] = 0;
      });
      const coding: KernelCoding = { bits: p.bits, indexBits: p.indexBits, iterations: p.iterations, seed: p.seed };
      const enc = encodeKernel(values, k.shape, coding);
      shared[p.layer.name] = sharedOf(decodeKernel(enc), enc);
    }
    // 2. With data, train the centroids of the layers the registry can run with a replaced kernel.
    const tunable = !tuning
      ? []
      : plan.filter((p) => layerEntry(p.layer.getClassName())?.kernelOp).map((p) => p.layer.name);
    const tuned = Object.fromEntries(tunable.map((n) => [n, shared[n] as SharedTensor]));
    const steps = tuning && tunable.length ? await fineTuneCentroids(copy, tuned, tuning, true) : 0;
    Object.assign(shared, tuned);
    return { model: copy, report: writeShared(model, copy, plan, shared, tunable, base, steps) };
  } catch (e) {
    copy.dispose();
    throw e;
  }
}

/**
 * Writes each kernel's shared values into `copy` and measures the exact encoding of each (a kernel
 * with at most 2^bits - 1 distinct nonzeros is stored exactly, fine-tuned or not).
 */
function writeShared(
  model: tf.LayersModel,
  copy: tf.LayersModel,
  plan: ReturnType<typeof resolve>['plan'],
  shared: Record<string, SharedTensor>,
  tuned: readonly string[],
  base: ReturnType<typeof resolve>['base'],
  fineTuneSteps: number,
): DeepCompressReport {
  writeSharedKernels(copy, shared, (name) => (plan.find((p) => p.layer.name === name) as { index: number }).index);
  const layers: DeepCompressLayerReport[] = [];
  let kernelFloats = 0;
  let kernelBytes = 0;
  for (const p of plan) {
    const s = shared[p.layer.name] as SharedTensor;
    const values = decodeShared(s);
    const coding: KernelCoding = { bits: p.bits, indexBits: p.indexBits, iterations: p.iterations, seed: p.seed };
    const enc = encodeKernel(values, s.shape, coding);
    // The layer's size: its encoded kernel and its other weights (bias, ...) as float32.
    const otherBytes = 4 * (p.layer.countParams() - values.length);
    kernelFloats += values.length;
    kernelBytes += enc.bytes;
    layers.push({
      name: p.layer.name,
      className: p.layer.getClassName(),
      sparsity: p.sparsity,
      bits: p.bits,
      nonzeros: enc.nonzeros,
      entries: enc.entries,
      bytes: enc.bytes + otherBytes,
      codeBitsPerEntry: enc.entries ? enc.codes.bitLength / enc.entries : 0,
      gapBitsPerEntry: enc.entries ? enc.gaps.bitLength / enc.entries : 0,
      fineTuned: tuned.includes(p.layer.name),
    });
  }
  const denseBytes = 4 * model.countParams();
  const compressedBytes = denseBytes - 4 * kernelFloats + kernelBytes;
  return {
    layers,
    denseBytes,
    compressedBytes,
    compressionRatio: denseBytes / compressedBytes,
    bits: base.bits,
    indexBits: base.indexBits,
    fineTuneSteps,
  };
}
