// From uint8 data sets to tfjs tensors: normalization, layouts, one-hot labels, and seeded
// shuffled batches that are disposed as the loop moves on.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { permutation } from '../core/rng';
import { Dataset } from './dataset';

/** `flat`: (n, h*w) for MLPs; `image`: (n, h, w, 1) NHWC for conv nets. */
export type InputLayout = 'flat' | 'image';

/** How the inputs are laid out and scaled. */
export interface TensorOptions {
  /** Default 'flat'. */
  readonly layout?: InputLayout;
  /** Pixels are mapped to (p / 255 - mean) / std; default mean 0, std 1 (values in [0, 1]). */
  readonly mean?: number;
  readonly std?: number;
}

/** Inputs, one-hot targets and integer labels of some examples. */
export interface Batch {
  /** (n, h*w) or (n, h, w, 1), float32. */
  readonly x: tf.Tensor;
  /** (n, classes) one-hot, float32. */
  readonly y: tf.Tensor2D;
  /** The integer labels (plain data). */
  readonly labels: Uint8Array;
}

function checkLayout(fn: string, layout: unknown): InputLayout {
  if (layout !== 'flat' && layout !== 'image') {
    throw new ConfigError(`${fn}: layout 'flat' or 'image', got ${describe(layout)}. Use 'flat' for MLPs and 'image' for conv nets.`);
  }
  return layout;
}

/** Float32 pixels of examples indices (or a contiguous range), scaled. */
function pixels(ds: Dataset, idx: ArrayLike<number>, mean: number, std: number): Float32Array {
  const px = ds.height * ds.width;
  const out = new Float32Array(idx.length * px);
  const a = 1 / (255 * std);
  const b = -mean / std;
  for (let i = 0; i < idx.length; i++) {
    const off = (idx[i] as number) * px;
    for (let k = 0; k < px; k++) out[i * px + k] = (ds.images[off + k] as number) * a + b;
  }
  return out;
}

function makeBatch(ds: Dataset, idx: ArrayLike<number>, options: TensorOptions, fn: string): Batch {
  const layout = checkLayout(fn, options.layout ?? 'flat');
  const std = options.std ?? 1;
  if (!(std > 0)) throw new ConfigError(`${fn}: std > 0, got ${describe(std)}. Pass the data set's pixel std, e.g. 0.3081 for MNIST.`);
  const data = pixels(ds, idx, options.mean ?? 0, std);
  const n = idx.length;
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = ds.labels[idx[i] as number] as number;
  const shape = layout === 'flat' ? [n, ds.height * ds.width] : [n, ds.height, ds.width, 1];
  const x = tf.tensor(data, shape, 'float32');
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), ds.classNames.length).toFloat()) as tf.Tensor2D;
  return { x, y, labels };
}

function range(start: number, end: number): Int32Array {
  const out = new Int32Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}

/**
 * Examples `start..end` of a data set as tensors; the caller owns (and disposes) x and y.
 * @example const {x, y} = toTensors(loadMnist().test, {layout: 'image', end: 8}) // x: (8, 28, 28, 1)
 */
export function toTensors(ds: Dataset, options: TensorOptions & { readonly start?: number; readonly end?: number } = {}): Batch {
  const start = options.start ?? 0;
  const end = options.end ?? ds.count;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= ds.count && start < end)) {
    throw new ConfigError(`toTensors: integers 0 <= start < end <= ${ds.count}, got start ${describe(start)}, end ${describe(end)}. Pass a non-empty range inside the data set.`);
  }
  return makeBatch(ds, range(start, end), options, 'toTensors');
}

/** Options for {@link batches}. */
export interface BatchOptions extends TensorOptions {
  readonly batchSize: number;
  /** Shuffle with this seed; no shuffling when absent. */
  readonly seed?: number;
  /** Drop the last, smaller batch (default false). */
  readonly dropRemainder?: boolean;
}

/**
 * Iterates over a data set in batches. Each batch's tensors are disposed when the next batch is
 * requested or the loop ends (also on break or throw), so a loop body must not keep them.
 * @example for (const b of batches(ds, {batchSize: 128, seed: 1})) { ... b.x ... }
 */
export function* batches(ds: Dataset, options: BatchOptions): Generator<Batch, void, undefined> {
  const bs = options.batchSize;
  if (!(Number.isInteger(bs) && bs > 0)) {
    throw new ConfigError(`batches: batchSize a positive integer, got ${describe(bs)}. Use e.g. 128.`);
  }
  checkLayout('batches', options.layout ?? 'flat');
  const order = options.seed === undefined ? range(0, ds.count) : permutation(ds.count, options.seed);
  const last = options.dropRemainder ? Math.floor(ds.count / bs) * bs : ds.count;
  for (let s = 0; s < last; s += bs) {
    const batch = makeBatch(ds, order.subarray(s, Math.min(s + bs, last)), options, 'batches');
    try {
      yield batch;
    } finally {
      batch.x.dispose();
      batch.y.dispose();
    }
  }
}
