// From ImageSets to tfjs tensors: scaling, the model's input shape, one-hot targets, and seeded
// shuffled batches that are disposed as the loop moves on.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, describe } from '../errors';
import { permutation } from '../core/rng';
import { ImageSet, imageSize } from './image-set';

/** How an ImageSet's pixels become model inputs. */
export interface TensorOptions {
  /**
   * The model's input shape without the batch dimension, e.g. [784] for an MLP or [28, 28, 1]
   * for a conv net (its element count must be the image's). Default [height, width, channels].
   */
  readonly inputShape?: readonly number[];
  /** Pixels are mapped to (p / 255 - mean) / std; default mean 0, std 1 (values in [0, 1]). */
  readonly mean?: number;
  readonly std?: number;
}

/** Inputs, one-hot targets and integer labels of some examples. */
export interface Batch {
  /** (n, ...inputShape), float32. */
  readonly xs: tf.Tensor;
  /** (n, classes) one-hot, float32. */
  readonly ys: tf.Tensor2D;
  /** The integer labels (plain data). */
  readonly labels: Uint8Array;
}

/** The input shape (without batch) ImageSet batches take for `options`; ShapeError when it cannot hold the images. */
export function imageInputShape(set: ImageSet, inputShape: readonly number[] | undefined, fn: string): number[] {
  const shape = inputShape ? [...inputShape] : [set.height, set.width, set.channels];
  const n = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d > 0) || n !== imageSize(set)) {
    throw new ShapeError(
      `${fn}: a model input of ${imageSize(set)} values (the ${set.height}x${set.width}x${set.channels} images of '${set.name}'), ` +
        `got input shape [${shape.join(', ')}]. Resize the images to the model's input (resizeImageSet) or use a model that takes them.`,
    );
  }
  return shape;
}

function pixels(set: ImageSet, idx: ArrayLike<number>, mean: number, std: number): Float32Array {
  const px = imageSize(set);
  const out = new Float32Array(idx.length * px);
  const a = 1 / (255 * std);
  const b = -mean / std;
  for (let i = 0; i < idx.length; i++) {
    const off = (idx[i] as number) * px;
    for (let k = 0; k < px; k++) out[i * px + k] = (set.images[off + k] as number) * a + b;
  }
  return out;
}

function makeBatch(
  set: ImageSet,
  idx: ArrayLike<number>,
  shape: readonly number[],
  options: TensorOptions,
  fn: string,
): Batch {
  const std = options.std ?? 1;
  if (!(std > 0))
    throw new ConfigError(`${fn}: std > 0, got ${describe(std)}. Pass the pixel std, e.g. 0.3081 for MNIST.`);
  const n = idx.length;
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = set.labels[idx[i] as number] as number;
  const xs = tf.tensor(pixels(set, idx, options.mean ?? 0, std), [n, ...shape], 'float32');
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), set.classNames.length).toFloat()) as tf.Tensor2D;
  return { xs, ys, labels };
}

function range(start: number, end: number): Int32Array {
  const out = new Int32Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}

/**
 * Examples `start..end` of an ImageSet as tensors; the caller owns (and disposes) xs and ys.
 * @example const {xs, ys} = toTensors(loadMnist().test, {inputShape: [28, 28, 1], end: 8}) // xs: (8, 28, 28, 1)
 */
export function toTensors(
  set: ImageSet,
  options: TensorOptions & { readonly start?: number; readonly end?: number } = {},
): Batch {
  const start = options.start ?? 0;
  const end = options.end ?? set.count;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= set.count && start < end)) {
    throw new ConfigError(
      `toTensors: integers 0 <= start < end <= ${set.count}, got start ${describe(start)}, end ${describe(end)}. Pass a non-empty range inside the set.`,
    );
  }
  return makeBatch(set, range(start, end), imageInputShape(set, options.inputShape, 'toTensors'), options, 'toTensors');
}

/** Options for {@link batches}. */
export interface BatchOptions extends TensorOptions {
  readonly batchSize: number;
  /** Shuffle with this seed; no shuffling when absent. */
  readonly seed?: number;
  /** Drop the last, smaller batch (default false). */
  readonly dropRemainder?: boolean;
  /** Use only the first `limit` examples. */
  readonly limit?: number;
}

/**
 * Iterates over an ImageSet in batches. Each batch's tensors are disposed when the next batch is
 * requested or the loop ends (also on break or throw), so a loop body must not keep them.
 * @example for (const b of batches(set, {batchSize: 128, seed: 1})) { ... b.xs ... }
 */
export function* batches(set: ImageSet, options: BatchOptions): Generator<Batch, void, undefined> {
  const bs = options.batchSize;
  if (!(Number.isInteger(bs) && bs > 0)) {
    throw new ConfigError(`batches: batchSize a positive integer, got ${describe(bs)}. Use e.g. 128.`);
  }
  const shape = imageInputShape(set, options.inputShape, 'batches');
  const count = options.limit === undefined ? set.count : Math.min(set.count, Math.max(0, Math.floor(options.limit)));
  const order = options.seed === undefined ? range(0, count) : permutation(count, options.seed);
  const last = options.dropRemainder ? Math.floor(count / bs) * bs : count;
  for (let s = 0; s < last; s += bs) {
    const batch = makeBatch(set, order.subarray(s, Math.min(s + bs, last)), shape, options, 'batches');
    try {
      yield batch;
    } finally {
      batch.xs.dispose();
      batch.ys.dispose();
    }
  }
}
