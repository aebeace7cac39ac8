// The data contract: everything that trains, fine-tunes, calibrates or evaluates takes a
// `DataSource`, which is what tfjs users already have:
//   - a tf.data.Dataset of {xs, ys} (or [xs, ys]) batches, exactly what model.fitDataset takes;
//     an unbatched one (element rank = the model's input rank) is batched here;
//   - in-memory tensors {xs, ys?} (what model.fit takes), borrowed, batched and optionally shuffled;
//   - an ImageSet (the course's MNIST / Fashion-MNIST, or an image folder), an adapter onto the same.
// Inputs may have any shape and channel count; they are checked against the model's input shape
// before anything runs (a ShapeError, not a wasm out-of-bounds). Targets may be one-hot or integer
// labels: integer labels become one-hot when the class count is known.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, ShapeError, describe } from '../errors';
import { permutation } from '../core/rng';
import { ImageSet, isImageSet } from './image-set';
import { batches as imageBatches } from './tensors';

/** In-memory examples: inputs (n, ...) and optional targets (n, classes) or (n) labels. Borrowed. */
export interface Examples {
  readonly xs: tf.Tensor;
  readonly ys?: tf.Tensor;
}

/** A tf.data.Dataset whose elements are {xs, ys} or [xs, ys] (batched or not), or bare inputs. */
export type TfDataset = tf.data.Dataset<tf.TensorContainer>;

/** What every function that trains, calibrates or evaluates accepts. */
export type DataSource = ImageSet | Examples | TfDataset;

/** One batch of a source: inputs and (when the source has them) float targets. Disposed by the iterator. */
export interface SourceBatch {
  readonly xs: tf.Tensor;
  readonly ys?: tf.Tensor;
  /** Examples in the batch. */
  readonly size: number;
  /** Integer labels when the source is an ImageSet (plain data). */
  readonly labels?: Uint8Array;
}

/** Options of {@link batchesOf}. */
export interface SourceOptions {
  /** Examples per batch (default 128). A batched tf.data.Dataset keeps its own batches. */
  readonly batchSize?: number;
  /** Shuffle ImageSets and tensors with this seed (a tf.data.Dataset is read in its own order). */
  readonly seed?: number;
  /** Use only the first `limit` examples. */
  readonly limit?: number;
  /** The model's input shape without the batch dimension; batches are checked (and ImageSets shaped) to it. */
  readonly inputShape?: readonly number[];
  /** Classes of the model's output: integer labels become one-hot of this width. */
  readonly classes?: number;
  /** ImageSet pixel scaling (p / 255 - mean) / std. */
  readonly mean?: number;
  readonly std?: number;
  /** Name of the calling function, for error messages. */
  readonly caller?: string;
}

/** True for a tf.data.Dataset. */
export function isTfDataset(value: unknown): value is TfDataset {
  return value instanceof tf.data.Dataset;
}

/** Throws a typed error unless `value` is a DataSource. */
export function checkSource(value: unknown, fn: string): asserts value is DataSource {
  if (isImageSet(value) || isTfDataset(value)) return;
  const v = value as Partial<Examples> | null;
  if (v && typeof v === 'object' && v.xs instanceof tf.Tensor && (v.ys === undefined || v.ys instanceof tf.Tensor)) {
    if (v.xs.isDisposed || v.ys?.isDisposed)
      throw new DataError(`${fn}: live tensors, got a disposed xs or ys. Keep the tensors until the call returns.`);
    if (v.ys && v.ys.shape[0] !== v.xs.shape[0]) {
      throw new ShapeError(
        `${fn}: xs and ys with one row per example, got ${v.xs.shape[0]} inputs and ${v.ys.shape[0]} targets. Pass matching tensors.`,
      );
    }
    return;
  }
  throw new ConfigError(
    `${fn}: data as a tf.data.Dataset of {xs, ys}, tensors {xs, ys} or an ImageSet, got ${describe(value)}. ` +
      `Pass what you would give model.fitDataset or model.fit.`,
  );
}

/** Number of examples when it is known without reading the source (undefined for tf.data). */
export function sourceCount(source: DataSource): number | undefined {
  if (isImageSet(source)) return source.count;
  if (isTfDataset(source)) return undefined;
  return source.xs.shape[0];
}

/** Targets as float (n, classes): one-hot for integer labels when `classes` is given. Owned out. */
export function toTargets(ys: tf.Tensor, classes: number | undefined): tf.Tensor {
  return tf.tidy(() => {
    const labels = ys.rank === 1 || (ys.rank === 2 && ys.shape[1] === 1 && (classes ?? 1) > 1);
    if (labels && classes !== undefined && classes > 1)
      return tf.oneHot(tf.cast(tf.reshape(ys, [-1]), 'int32'), classes).toFloat();
    return ys.dtype === 'float32' ? ys.clone() : tf.cast(ys, 'float32');
  });
}

/** Throws a ShapeError unless `xs` (batch first) fits `inputShape` (-1 or null: any size). */
export function checkInputs(xs: tf.Tensor, inputShape: readonly number[] | undefined, fn: string): void {
  if (!inputShape) return;
  const got = xs.shape.slice(1);
  const ok = got.length === inputShape.length && inputShape.every((d, i) => d === -1 || d === null || d === got[i]);
  if (!ok) {
    throw new ShapeError(
      `${fn}: inputs of shape [n, ${inputShape.map((d) => (d === -1 || d === null ? '?' : d)).join(', ')}] (the model's input), ` +
        `got [${xs.shape.join(', ')}]. Resize or reshape the data to the model's input before calling ${fn}.`,
    );
  }
}

function elementParts(el: tf.TensorContainer, fn: string): { xs: tf.Tensor; ys?: tf.Tensor } {
  if (el instanceof tf.Tensor) return { xs: el };
  if (Array.isArray(el) && el[0] instanceof tf.Tensor)
    return { xs: el[0], ...(el[1] instanceof tf.Tensor ? { ys: el[1] } : {}) };
  const o = el as { xs?: unknown; ys?: unknown } | null;
  if (o && o.xs instanceof tf.Tensor) return { xs: o.xs, ...(o.ys instanceof tf.Tensor ? { ys: o.ys } : {}) };
  tf.dispose(el as tf.TensorContainer);
  throw new DataError(
    `${fn}: dataset elements {xs, ys} (or [xs, ys]) of tensors, got ${describe(el)}. ` +
      `Map the dataset to {xs, ys}, as model.fitDataset expects (multi-input models are not supported).`,
  );
}

async function* fromTfDataset(
  ds: TfDataset,
  o: SourceOptions,
  fn: string,
): AsyncGenerator<SourceBatch, void, undefined> {
  const inputRank = o.inputShape?.length;
  const it = await ds.iterator();
  let seen = 0;
  let pending: { xs: tf.Tensor; ys?: tf.Tensor }[] = [];
  const limit = o.limit ?? Infinity;
  const emit = (xs: tf.Tensor, ys: tf.Tensor | undefined): SourceBatch => {
    checkInputs(xs, o.inputShape, fn);
    const targets = ys ? toTargets(ys, o.classes) : undefined;
    return { xs, ...(targets ? { ys: targets } : {}), size: xs.shape[0] as number };
  };
  try {
    while (seen < limit) {
      const r = await it.next();
      if (r.done) break;
      const el = elementParts(r.value, fn);
      if (inputRank !== undefined && el.xs.rank === inputRank) {
        // Unbatched elements: gather batchSize of them.
        pending.push(el);
        if (pending.length < (o.batchSize ?? 128) && seen + pending.length < limit) continue;
      } else {
        const take = Math.min(el.xs.shape[0] as number, limit - seen);
        const xs = take < (el.xs.shape[0] as number) ? tf.slice(el.xs, 0, take) : el.xs;
        const ys = el.ys && take < (el.ys.shape[0] as number) ? tf.slice(el.ys, 0, take) : el.ys;
        let b: SourceBatch;
        try {
          b = emit(xs, ys);
        } catch (e) {
          tf.dispose([el.xs, el.ys ?? [], xs, ys ?? []]);
          throw e;
        }
        try {
          yield b;
        } finally {
          tf.dispose([el.xs, el.ys ?? [], xs, ys ?? [], b.ys ?? []]);
        }
        seen += take;
        continue;
      }
      const parts = pending;
      pending = [];
      seen += yield* flushStacked(parts, emit);
    }
    if (pending.length) {
      const parts = pending;
      pending = [];
      yield* flushStacked(parts, emit);
    }
  } finally {
    tf.dispose(pending.flatMap((p) => [p.xs, p.ys ?? []]));
  }
}

/** Stacks unbatched elements into one batch and yields it; the elements and the batch are freed after (or on failure). Returns its size. */
function* flushStacked(
  parts: readonly { xs: tf.Tensor; ys?: tf.Tensor }[],
  emit: (xs: tf.Tensor, ys: tf.Tensor | undefined) => SourceBatch,
): Generator<SourceBatch, number, undefined> {
  const elements = parts.flatMap((p) => [p.xs, p.ys ?? []]).flat();
  let b: SourceBatch;
  try {
    b = emitStacked(parts, emit);
  } catch (e) {
    tf.dispose(elements);
    throw e;
  }
  try {
    yield b;
  } finally {
    tf.dispose([...elements, b.xs, b.ys ?? []]);
  }
  return b.size;
}

function emitStacked(
  parts: readonly { xs: tf.Tensor; ys?: tf.Tensor }[],
  emit: (xs: tf.Tensor, ys: tf.Tensor | undefined) => SourceBatch,
): SourceBatch {
  const xs = tf.stack(parts.map((p) => p.xs));
  const ys = parts.every((p) => p.ys) ? tf.stack(parts.map((p) => p.ys as tf.Tensor)) : undefined;
  try {
    const b = emit(xs, ys);
    ys?.dispose();
    return b;
  } catch (e) {
    tf.dispose([xs, ys ?? []]);
    throw e;
  }
}

function* fromExamples(ex: Examples, o: SourceOptions, fn: string): Generator<SourceBatch, void, undefined> {
  checkInputs(ex.xs, o.inputShape, fn);
  const n = Math.min(ex.xs.shape[0] as number, o.limit ?? Infinity);
  const bs = o.batchSize ?? 128;
  const order = o.seed === undefined ? undefined : tf.tensor1d(permutation(n, o.seed), 'int32');
  try {
    for (let s = 0; s < n; s += bs) {
      const size = Math.min(bs, n - s);
      const b = tf.tidy(() => {
        const idx = order ? tf.slice(order, s, size) : undefined;
        const pick = (t: tf.Tensor) => (idx ? tf.gather(t, idx) : tf.slice(t, s, size));
        return { xs: pick(ex.xs), ys: ex.ys ? toTargets(pick(ex.ys), o.classes) : undefined };
      });
      try {
        yield { xs: b.xs, ...(b.ys ? { ys: b.ys } : {}), size };
      } finally {
        tf.dispose([b.xs, b.ys ?? []]);
      }
    }
  } finally {
    order?.dispose();
  }
}

/**
 * Iterates over any DataSource in batches. Each batch is disposed when the next one is requested
 * or the loop ends (also on break or throw), so a loop body must not keep its tensors.
 * @example for await (const b of batchesOf({xs, ys}, {batchSize: 32, inputShape: [32, 32, 3], classes: 10})) { ... }
 */
export async function* batchesOf(
  source: DataSource,
  options: SourceOptions = {},
): AsyncGenerator<SourceBatch, void, undefined> {
  const fn = options.caller ?? 'batchesOf';
  checkSource(source, fn);
  const bs = options.batchSize ?? 128;
  if (!(Number.isInteger(bs) && bs > 0))
    throw new ConfigError(`${fn}: batchSize a positive integer, got ${describe(bs)}. Use e.g. 128.`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new ConfigError(
      `${fn}: limit a positive integer, got ${describe(options.limit)}. Omit it to use every example.`,
    );
  }
  if (isImageSet(source)) {
    if (options.classes !== undefined && options.classes !== source.classNames.length) {
      throw new ShapeError(
        `${fn}: a model with one output per class of '${source.name}' (${source.classNames.length}), got ${options.classes} outputs. ` +
          `Give the last layer ${source.classNames.length} units, or pass data with ${options.classes} classes.`,
      );
    }
    for (const b of imageBatches(source, {
      batchSize: bs,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.inputShape ? { inputShape: options.inputShape } : {}),
      mean: options.mean,
      std: options.std,
    }))
      yield { xs: b.xs, ys: b.ys, size: b.labels.length, labels: b.labels };
    return;
  }
  if (isTfDataset(source)) {
    yield* fromTfDataset(source, options, fn);
    return;
  }
  yield* fromExamples(source, options, fn);
}
