// Weight sharing (Deep Compression, Han et al. 2016, arXiv:1510.00149): per layer, k-means
// clusters the kernel's values into 2^bits centroids; the layer stores a codebook and one index
// per weight. Optional fine-tuning trains the centroids (centroid-tuning.ts). Huffman coding of
// the indices gives the final size.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { KMeansOptions, SharedTensor, kmeansCluster } from './kmeans';
import { DataSource } from '../data/source';
import { huffmanEncode } from './huffman';
import { requireLayersModel } from '../core/graph';
import { kernelLayers } from '../core/layers';
import { rebuildModel } from '../core/rewrite';
import { CentroidFineTune, checkCentroidTuning, fineTuneCentroids, writeSharedKernels } from './centroid-tuning';
import { sqnr } from './affine';
import { LayerPatterns, selectNames } from '../core/glob';

const FN = 'quantize.weightSharing';

/** Options of {@link weightSharing}. */
export interface WeightSharingOptions extends KMeansOptions, LayerPatterns {
  /** Per-layer overrides by layer name (e.g. {fc1: {bits: 8}}); `only`/`skip` patterns select the layers. */
  readonly layers?: Readonly<Record<string, { readonly bits?: number }>>;
  /** Fine-tuning of the centroids on the data (default 1 epoch when data is given). */
  readonly fineTune?: CentroidFineTune;
}

/** Per-layer sizes and error of weight sharing. */
export interface WeightSharingLayer {
  readonly layer: string;
  readonly bits: number;
  readonly weights: number;
  readonly clusters: number;
  readonly sqnrDb: number;
  /** Fixed-width indices (bits each, packed) + codebook (float32). */
  readonly sizeBytes: number;
  /** Huffman-coded indices (lengths table + stream) + codebook. */
  readonly huffmanSizeBytes: number;
}

/** What {@link weightSharing} reports. */
export interface WeightSharingReport {
  /** The default bits (layers may override it: see each layer's). */
  readonly bits: number;
  readonly layers: WeightSharingLayer[];
  /** All parameters as float32. */
  readonly floatSizeBytes: number;
  /** Clustered kernels (fixed-width) + other parameters as float32. */
  readonly sizeBytes: number;
  /** Clustered kernels Huffman-coded + other parameters as float32. */
  readonly huffmanSizeBytes: number;
  readonly fineTuneSteps: number;
}

/** A clustered layer's k-means options and the index of its kernel in its weights. */
type SharingPlan = Map<string, KMeansOptions & { readonly index: number }>;

/** The clustered layers (every layer with a kernel in the registry, as deepCompress's, selected by only/skip) and their options. */
function sharingPlan(model: tf.LayersModel, options: WeightSharingOptions): SharingPlan {
  const kernels = kernelLayers(model);
  const names = kernels.map((k) => k.layer.name);
  const index = new Map(kernels.map((k) => [k.layer.name, k.index]));
  const selected = selectNames(FN, names, options);
  for (const [name, o] of Object.entries(options.layers ?? {})) {
    if (!names.includes(name))
      throw new ConfigError(
        `${FN}: layers to name layers with a kernel, got "${name}". Layers with a kernel are: ${names.join(', ')}.`,
      );
    if (!o || typeof o !== 'object')
      throw new ConfigError(`${FN}: layers.${name} an object such as {bits: 8}, got ${describe(o)}. Pass {bits}.`);
  }
  const plan: SharingPlan = new Map(
    selected.map((n) => [n, { ...options, ...options.layers?.[n], index: index.get(n) as number }]),
  );
  for (const [name, o] of plan)
    if (!(Number.isInteger(o.bits) && o.bits >= 1 && o.bits <= 16))
      throw new ConfigError(
        `${FN}: bits an integer in [1, 16], got ${describe(o.bits)} for "${name}". Use 4 or 5 as Deep Compression does.`,
      );
  return plan;
}

/**
 * Clusters each kernel of `model` into 2^bits shared values (fine-tuning the centroids on `data`
 * when given); returns a new model with the shared values and a size report. The input model
 * is not modified; the caller owns the returned model.
 * @example const {model: shared, report} = await quantize.weightSharing(model, {bits: 5, seed: 1});
 * @example const {model: tuned} = await quantize.weightSharing(model, train, {bits: 2, seed: 1, fineTune: {epochs: 1}});
 */
export async function weightSharing(
  model: tf.LayersModel,
  options: WeightSharingOptions,
): Promise<{ model: tf.LayersModel; report: WeightSharingReport }>;
export async function weightSharing(
  model: tf.LayersModel,
  data: DataSource,
  options: WeightSharingOptions,
): Promise<{ model: tf.LayersModel; report: WeightSharingReport }>;
export async function weightSharing(
  model: tf.LayersModel,
  dataOrOptions: DataSource | WeightSharingOptions,
  maybeOptions?: WeightSharingOptions,
): Promise<{ model: tf.LayersModel; report: WeightSharingReport }> {
  requireLayersModel(model, FN);
  const data = maybeOptions === undefined ? undefined : (dataOrOptions as DataSource);
  const options = maybeOptions ?? (dataOrOptions as WeightSharingOptions);
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `${FN}: an options object such as {bits: 5, seed: 1}, got ${describe(options)}. Pass the options.`,
    );
  if ('data' in (options.fineTune ?? {}))
    throw new ConfigError(
      `${FN}: the data as the second argument, weightSharing(model, data, {fineTune: {epochs}}), got fineTune.data. Move it out of the options.`,
    );
  const plan = sharingPlan(model, options);
  const tuning = data === undefined ? undefined : checkCentroidTuning(data, options.fineTune, options.seed, FN);
  const shared: Record<string, SharedTensor> = {};
  for (const [name, o] of plan) {
    const k = model.getLayer(name).getWeights()[o.index] as tf.Tensor;
    shared[name] = kmeansCluster(k.dataSync() as Float32Array, k.shape, o);
  }
  const copy = await rebuildModel(model, {});
  try {
    let steps = 0;
    if (tuning) steps = await fineTuneCentroids(copy, shared, tuning, options.reserveZero ?? false);
    return { model: copy, report: sharingReport(model, copy, shared, plan, steps) };
  } catch (e) {
    copy.dispose();
    throw e;
  }
}

/** Writes the (possibly fine-tuned) shared values into `copy` and measures sizes and error. */
function sharingReport(
  model: tf.LayersModel,
  copy: tf.LayersModel,
  shared: Record<string, SharedTensor>,
  plan: SharingPlan,
  steps: number,
): WeightSharingReport {
  const kernelIndex = (name: string) => (plan.get(name) as { index: number }).index;
  writeSharedKernels(copy, shared, kernelIndex);
  const layers: WeightSharingLayer[] = Object.entries(shared).map(([name, s]) => {
    const bits = (plan.get(name) as KMeansOptions).bits;
    const original = model.getLayer(name).getWeights()[kernelIndex(name)] as tf.Tensor;
    const clusteredT = copy.getLayer(name).getWeights()[kernelIndex(name)] as tf.Tensor;
    const coded = huffmanEncode(s.indices, s.codebook.length);
    const codebookBytes = 4 * s.codebook.length;
    return {
      layer: name,
      bits,
      weights: s.indices.length,
      clusters: s.codebook.length,
      sqnrDb: sqnr(original, clusteredT).sqnrDb,
      sizeBytes: Math.ceil((s.indices.length * bits) / 8) + codebookBytes,
      huffmanSizeBytes: coded.sizeBytes + codebookBytes,
    };
  });
  const floatSizeBytes = 4 * model.countParams();
  const clusteredParams = layers.reduce((a, l) => a + l.weights, 0);
  const rest = floatSizeBytes - 4 * clusteredParams;
  return {
    bits: [...plan.values()][0]?.bits ?? 0,
    layers,
    floatSizeBytes,
    sizeBytes: rest + layers.reduce((a, l) => a + l.sizeBytes, 0),
    huffmanSizeBytes: rest + layers.reduce((a, l) => a + l.huffmanSizeBytes, 0),
    fineTuneSteps: steps,
  };
}
