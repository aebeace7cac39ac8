// From ImageSets to tfjs tensors: the preprocessing the model expects (preprocess.ts), the
// model's input shape, one-hot targets, and seeded shuffled batches that are disposed as the
// loop moves on. Targets are made only where labels exist and are wanted: an unlabelled set (a
// flat folder) gives inputs only, and a one-class set gives a column of ones (tf.oneHot refuses
// depth 1). Every tensor made on the way is freed on error too.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, ShapeError, describe } from '../errors';
import { permutation } from '../core/rng';
import { ImageSet, Labels, imageSize, isLabelled } from './image-set';
import {
  Preprocessing,
  ResolvedPreprocessing,
  describePreprocessing,
  isIdentityPreprocessing,
  preprocessArray,
  resolvePreprocessing,
  samePreprocessing,
} from './preprocess';

/** How an ImageSet's pixels become model inputs. */
export interface TensorOptions {
  /**
   * The model's input shape without the batch dimension, e.g. [784] for an MLP or [28, 28, 1]
   * for a conv net (its element count must be the image's). Default [height, width, channels].
   */
  readonly inputShape?: readonly number[];
  /**
   * Pixels to inputs; default the set's own (an image folder loaded with one), else 'unit'
   * ([0, 1]). A set that carries one refuses a different one.
   */
  readonly preprocessing?: Preprocessing | ResolvedPreprocessing;
}

/** Inputs, one-hot targets and integer labels of some examples. */
export interface Batch {
  /** (n, ...inputShape), float32. */
  readonly xs: tf.Tensor;
  /** (n, classes) one-hot, float32. */
  readonly ys: tf.Tensor2D;
  /** The integer labels (plain data). */
  readonly labels: Labels;
}

/** A batch of an ImageSet as the data contract yields it: targets only when asked for and labelled. */
export interface ImageBatch {
  readonly xs: tf.Tensor;
  readonly ys?: tf.Tensor2D;
  readonly labels?: Labels;
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

/** The preprocessing of a set's batches: the one asked for, the set's own, or 'unit'; ConfigError when they differ. */
export function setPreprocessing(
  set: ImageSet,
  asked: Preprocessing | ResolvedPreprocessing | undefined,
  fn: string,
): ResolvedPreprocessing {
  const own = set.preprocessing;
  const p = asked !== undefined ? resolvePreprocessing(asked, fn) : (own ?? resolvePreprocessing(undefined, fn));
  if (own && !samePreprocessing(own, p)) {
    throw new ConfigError(
      `${fn}: the preprocessing the images of '${set.name}' were loaded with (${describePreprocessing(own)}), got ${describePreprocessing(p)}. ` +
        `Pass the preprocessing once, when loading the images.`,
    );
  }
  return p;
}

/** One-hot targets of labels; one class gives a column of ones. Owned out. */
function oneHot(labels: Labels, classes: number): tf.Tensor2D {
  return tf.tidy(() =>
    classes < 2
      ? tf.ones([labels.length, 1])
      : (tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), classes).toFloat() as tf.Tensor2D),
  ) as tf.Tensor2D;
}

/**
 * Inputs (and, with `targets` and a labelled set, targets and labels) of the examples `idx`.
 * `dtype` 'int32' gives the raw pixel values (the preprocessing must be 'none'). Owned out.
 */
export function imageBatch(
  set: ImageSet,
  idx: ArrayLike<number>,
  shape: readonly number[],
  p: ResolvedPreprocessing,
  targets: boolean,
  dtype: 'float32' | 'int32' = 'float32',
  fn = 'batches',
): ImageBatch {
  const n = idx.length;
  const px = imageSize(set);
  const pixels = new Uint8Array(n * px);
  for (let i = 0; i < n; i++) {
    const off = (idx[i] as number) * px;
    pixels.set(set.images.subarray(off, off + px), i * px);
  }
  if (dtype === 'int32' && !isIdentityPreprocessing(p)) {
    throw new ConfigError(
      `${fn}: preprocessing 'none' for a model whose input is int32 (it takes raw pixel values), got ${describePreprocessing(p)}. ` +
        `Load the images with preprocessing {preset: 'none'}.`,
    );
  }
  const xs =
    dtype === 'int32'
      ? tf.tensor(Int32Array.from(pixels), [n, ...shape], 'int32')
      : tf.tensor(preprocessArray(pixels, set.channels, p, fn), [n, ...shape], 'float32');
  if (!targets || !isLabelled(set)) return { xs };
  const labels = set.labels instanceof Uint16Array ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = set.labels[idx[i] as number] as number;
  let ys: tf.Tensor2D;
  try {
    ys = oneHot(labels, set.classNames.length);
  } catch (e) {
    xs.dispose();
    throw e;
  }
  return { xs, ys, labels };
}

/** Throws a DataError for a set without labels (a flat folder), where labels are needed. */
export function requireLabelled(set: ImageSet, fn: string): void {
  if (!isLabelled(set)) {
    throw new DataError(
      `${fn}: a labelled ImageSet, got '${set.name}' without labels (images loaded from a flat folder). ` +
        `Use batchesOf(set, {targets: 'none'}) for its inputs only, or load a folder with one subfolder per class.`,
    );
  }
}

const labelled = (b: ImageBatch): Batch => ({ xs: b.xs, ys: b.ys as tf.Tensor2D, labels: b.labels as Labels });

function range(start: number, end: number): Int32Array {
  const out = new Int32Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}

/**
 * Examples `start..end` of a labelled ImageSet as tensors; the caller owns (and disposes) xs and ys.
 * @example const {xs, ys} = toTensors(loadMnist().test, {inputShape: [28, 28, 1], end: 8}) // xs: (8, 28, 28, 1)
 */
export function toTensors(
  set: ImageSet,
  options: TensorOptions & { readonly start?: number; readonly end?: number } = {},
): Batch {
  const fn = 'toTensors';
  const start = options.start ?? 0;
  const end = options.end ?? set.count;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= set.count && start < end)) {
    throw new ConfigError(
      `toTensors: integers 0 <= start < end <= ${set.count}, got start ${describe(start)}, end ${describe(end)}. Pass a non-empty range inside the set.`,
    );
  }
  requireLabelled(set, fn);
  const shape = imageInputShape(set, options.inputShape, fn);
  const p = setPreprocessing(set, options.preprocessing, fn);
  return labelled(imageBatch(set, range(start, end), shape, p, true, 'float32', fn));
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

/** The example order of a pass over a set: seeded or in order, limited, cut into batches. */
export function batchOrder(count: number, options: Omit<BatchOptions, 'batchSize'>, bs: number): Int32Array[] {
  const n = options.limit === undefined ? count : Math.min(count, Math.max(0, Math.floor(options.limit)));
  const order = options.seed === undefined ? range(0, n) : permutation(n, options.seed);
  const last = options.dropRemainder ? Math.floor(n / bs) * bs : n;
  const out: Int32Array[] = [];
  for (let s = 0; s < last; s += bs) out.push(order.subarray(s, Math.min(s + bs, last)));
  return out;
}

/**
 * Iterates over a labelled ImageSet in batches. Each batch's tensors are disposed when the next
 * batch is requested or the loop ends (also on break or throw), so a loop body must not keep them.
 * @example for (const b of batches(set, {batchSize: 128, seed: 1})) { ... b.xs ... }
 */
export function* batches(set: ImageSet, options: BatchOptions): Generator<Batch, void, undefined> {
  const fn = 'batches';
  const bs = options.batchSize;
  if (!(Number.isInteger(bs) && bs > 0)) {
    throw new ConfigError(`batches: batchSize a positive integer, got ${describe(bs)}. Use e.g. 128.`);
  }
  const shape = imageInputShape(set, options.inputShape, fn);
  const p = setPreprocessing(set, options.preprocessing, fn);
  requireLabelled(set, fn);
  for (const idx of batchOrder(set.count, options, bs)) {
    const batch = labelled(imageBatch(set, idx, shape, p, true, 'float32', fn));
    try {
      yield batch;
    } finally {
      batch.xs.dispose();
      batch.ys.dispose();
    }
  }
}
