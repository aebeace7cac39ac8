// Weight sharing (Deep Compression, Han et al. 2016, arXiv:1510.00149): per layer, k-means
// clusters the kernel's values into 2^bits centroids; the layer stores a codebook and one index
// per weight. Optional fine-tuning trains the centroids (the gradient of a centroid is the sum
// of its weights' gradients). Huffman coding of the indices
// gives the final size.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { Rng } from '../core/rng';
import { DataSource } from '../data/source';
import { fit } from '../train/fit';
import { huffmanEncode } from './huffman';
import { modelGraph, requireLayersModel, runGraph } from '../core/graph';
import { kernelLayers } from '../core/layers';
import { rebuildModel } from '../core/rewrite';
import { weightLayerForward } from './qat';
import { sqnr } from './affine';
import { LayerPatterns, selectNames } from '../core/glob';

const FN = 'quantize.weightSharing';

/** Options of {@link kmeansCluster}. */
export interface KMeansOptions {
  /** Codebook of 2^bits centroids, bits in [1, 16]. */
  readonly bits: number;
  readonly seed: number;
  /** 'linear' (evenly spaced over [min, max]: best in Deep Compression, default), 'random' or 'density' (quantiles). */
  readonly init?: 'linear' | 'random' | 'density';
  readonly iterations?: number;
  /**
   * Keep code 0 for the exact zeros (pruned weights): only the nonzero values are clustered, into
   * 2^bits - 1 centroids (codes 1..), and codebook[0] is 0. Default false. Deep Compression
   * clusters a pruned layer this way, so pruning survives weight sharing.
   */
  readonly reserveZero?: boolean;
}

/** A clustered tensor: codebook + one index per value. */
export interface SharedTensor {
  readonly codebook: Float32Array;
  readonly indices: Uint16Array;
  readonly shape: readonly number[];
}

/**
 * 1-D k-means (Lloyd) of `values`. Deterministic for a seed.
 * @example kmeansCluster(new Float32Array([0, 0.1, 1, 1.1]), [4], {bits: 1, seed: 1}).codebook // [0.05, 1.05]
 * @example kmeansCluster(new Float32Array([0, 0.1, 0, 1.1]), [4], {bits: 2, seed: 1, reserveZero: true}).indices // [0, 1, 0, 2]
 */
export function kmeansCluster(values: Float32Array, shape: readonly number[], options: KMeansOptions): SharedTensor {
  if (!(Number.isInteger(options.bits) && options.bits >= 1 && options.bits <= 16)) {
    throw new ConfigError(
      `kmeansCluster: bits an integer in [1, 16], got ${describe(options.bits)}. Use 4 or 5 as Deep Compression does.`,
    );
  }
  if (values.length === 0)
    throw new DataError(`kmeansCluster: a non-empty tensor, got 0 values. Pass a layer's kernel.`);
  for (const v of values) {
    if (!Number.isFinite(v))
      throw new DataError(`kmeansCluster: finite weights, got ${describe(v)}. Repair the layer before clustering.`);
  }
  if (!options.reserveZero) {
    const { codebook, indices } = lloyd(values, Math.min(2 ** options.bits, values.length), options);
    return { codebook, indices, shape: [...shape] };
  }
  // Code 0 is the exact zero; the nonzeros get 2^bits - 1 centroids, codes 1...
  const at: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) at.push(i);
  const indices = new Uint16Array(values.length);
  if (at.length === 0) return { codebook: new Float32Array(1), indices, shape: [...shape] };
  const nonzeros = Float32Array.from(at, (i) => values[i] as number);
  const inner = lloyd(nonzeros, Math.min(2 ** options.bits - 1, nonzeros.length), options);
  at.forEach((i, n) => {
    indices[i] = (inner.indices[n] as number) + 1;
  });
  return { codebook: Float32Array.from([0, ...inner.codebook]), indices, shape: [...shape] };
}

/** Lloyd's iterations with k >= 1 sorted centroids over finite, non-empty `values`. */
function lloyd(
  values: Float32Array,
  k: number,
  options: KMeansOptions,
): { codebook: Float32Array; indices: Uint16Array } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const rng = new Rng(options.seed);
  const sorted = values.slice().sort();
  let c: Float64Array;
  if (options.init === 'random') c = Float64Array.from({ length: k }, () => values[rng.int(values.length)] as number);
  else if (options.init === 'density')
    c = Float64Array.from({ length: k }, (_, i) => sorted[Math.floor(((i + 0.5) / k) * sorted.length)] as number);
  else c = Float64Array.from({ length: k }, (_, i) => (k === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * i) / (k - 1)));
  c.sort();
  const indices = new Uint16Array(values.length);
  const assign = (v: number): number => {
    let a = 0;
    let b = k - 1;
    while (a < b) {
      const m = (a + b) >> 1;
      if (v > ((c[m] as number) + (c[m + 1] as number)) / 2) a = m + 1;
      else b = m;
    }
    return a;
  };
  for (let it = 0; it < (options.iterations ?? 30); it++) {
    const sum = new Float64Array(k);
    const cnt = new Float64Array(k);
    let changed = it === 0;
    for (let i = 0; i < values.length; i++) {
      const j = assign(values[i] as number);
      if (j !== indices[i]) changed = true;
      indices[i] = j;
      sum[j] = (sum[j] as number) + (values[i] as number);
      cnt[j] = (cnt[j] as number) + 1;
    }
    for (let j = 0; j < k; j++) if ((cnt[j] as number) > 0) c[j] = (sum[j] as number) / (cnt[j] as number);
    if (!changed) break;
  }
  for (let i = 0; i < values.length; i++) indices[i] = assign(values[i] as number);
  return { codebook: Float32Array.from(c), indices };
}

/** The values a SharedTensor stands for. */
export function decodeShared(s: SharedTensor): Float32Array {
  return Float32Array.from(s.indices, (i) => s.codebook[i] as number);
}

/** Options of {@link weightSharing}. */
export interface WeightSharingOptions extends KMeansOptions, LayerPatterns {
  /** Per-layer overrides by layer name (e.g. {fc1: {bits: 8}}); `only`/`skip` patterns select the layers. */
  readonly layers?: Readonly<Record<string, { readonly bits?: number }>>;
  /** Fine-tuning of the centroids (and biases) on the data (default 1 epoch when data is given). */
  readonly fineTune?: {
    readonly epochs: number;
    readonly learningRate?: number;
    readonly batchSize?: number;
  };
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
  const shared: Record<string, SharedTensor> = {};
  for (const [name, o] of plan) {
    const k = model.getLayer(name).getWeights()[o.index] as tf.Tensor;
    shared[name] = kmeansCluster(k.dataSync() as Float32Array, k.shape, o);
  }
  const copy = await rebuildModel(model, {});
  try {
    let steps = 0;
    if (data !== undefined)
      steps = await fineTuneCentroids(
        copy,
        shared,
        data,
        options.fineTune ?? { epochs: 1 },
        options.seed,
        options.reserveZero ?? false,
      );
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
  for (const [name, s] of Object.entries(shared)) {
    const layer = copy.getLayer(name);
    const kernel = tf.tensor(decodeShared(s), [...s.shape]);
    layer.setWeights(layer.getWeights().map((w, i) => (i === kernelIndex(name) ? kernel : w)));
    kernel.dispose();
  }
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

/**
 * The kernel of shared values `centroids[indices]` (shape `shape`) with the gradient of each
 * centroid summed over its weights (a segment sum in plain data: wasm has no UnsortedSegmentSum
 * kernel for tf.gather's own gradient).
 */
function sharedKernel(
  centroids: tf.Variable,
  indices: tf.Tensor,
  codes: Uint8Array | Uint16Array | Int32Array,
  shape: readonly number[],
  reserveZero: boolean,
): tf.Tensor {
  const op = tf.customGrad(((c: tf.Tensor) => ({
    value: tf.reshape(tf.gather(c, indices), [...shape]),
    gradFunc: (dy: tf.Tensor) => {
      const g = dy.dataSync();
      const sums = new Float32Array(c.size);
      for (let j = 0; j < g.length; j++) sums[codes[j] as number]! += g[j] as number;
      if (reserveZero) sums[0] = 0; // pruned weights stay exactly zero
      return tf.tensor1d(sums);
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(centroids);
}

async function fineTuneCentroids(
  model: tf.LayersModel,
  shared: Record<string, SharedTensor>,
  data: DataSource,
  ft: NonNullable<WeightSharingOptions['fineTune']>,
  seed: number,
  reserveZero: boolean,
): Promise<number> {
  const graph = modelGraph(model, FN);
  const names = Object.keys(shared);
  const centroids = names.map((n) => {
    const init = tf.tensor1d((shared[n] as SharedTensor).codebook);
    const v = tf.variable(init);
    init.dispose();
    return v;
  });
  const indices = names.map((n) => tf.tensor1d(Int32Array.from((shared[n] as SharedTensor).indices), 'int32'));
  try {
    // fit trains only the centroids; the forward pass builds each clustered kernel from them.
    const history = await fit(model, data, {
      epochs: ft.epochs,
      seed,
      batchSize: ft.batchSize ?? 128,
      learningRate: ft.learningRate ?? 1e-4,
      variables: centroids,
      forward: (xs) =>
        runGraph(
          graph,
          xs,
          {
            apply: (node, ins) => {
              const i = names.indexOf(node.name);
              if (i < 0) return undefined;
              const s = shared[node.name] as SharedTensor;
              return weightLayerForward(
                node,
                ins[0] as tf.Tensor,
                sharedKernel(centroids[i] as tf.Variable, indices[i] as tf.Tensor, s.indices, s.shape, reserveZero),
              );
            },
          },
          { training: true },
        ),
    });
    names.forEach((n, i) => {
      shared[n] = {
        ...(shared[n] as SharedTensor),
        codebook: Float32Array.from((centroids[i] as tf.Variable).dataSync()),
      };
    });
    return history.steps;
  } finally {
    tf.dispose([...centroids, ...indices]);
  }
}
