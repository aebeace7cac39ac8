// The data contract: everything that trains, fine-tunes, calibrates or evaluates takes a
// `DataSource`, which is what tfjs users already have:
//   - a tf.data.Dataset of {xs, ys} (or [xs, ys]) batches, exactly what model.fitDataset takes;
//     an unbatched one (element rank = the model's input rank) is batched here;
//   - in-memory tensors {xs, ys?} (what model.fit takes), borrowed, batched and optionally shuffled;
//   - an ImageSet (the course's MNIST / Fashion-MNIST, or an image folder), an adapter onto the same.
// Inputs may have any shape and channel count; they are checked against the model's input shape
// before anything runs (a ShapeError, not a wasm out-of-bounds). Targets may be one-hot or integer
// labels: integer labels become one-hot when the class count is known. Targets are made only
// where they are wanted (`targets`): calibration reads inputs only, so an unlabelled source (a
// flat image folder, tensors without ys, a dataset of bare inputs) serves it, and evaluation says
// before any work that it needs labels. Inputs follow the model input's dtype when given.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, ShapeError, describe } from '../errors';
import { permutation } from '../core/rng';
import { ImageSet, isImageSet, isLabelled } from './image-set';
import { batchOrder, imageBatch, imageInputShape, requireLabelled, setPreprocessing } from './tensors';
import { Preprocessing, ResolvedPreprocessing } from './preprocess';

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
  /** Integer labels when the source is a labelled ImageSet and targets are made (plain data). */
  readonly labels?: Uint8Array | Uint16Array;
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
  /** ImageSet pixels to inputs; default the set's own, else 'unit' ([0, 1]). See preprocess.ts. */
  readonly preprocessing?: Preprocessing | ResolvedPreprocessing;
  /**
   * Targets: 'auto' (default) when the source has labels; 'none' never (inputs only: calibration);
   * 'required' throws a DataError before the first batch when the source has none (evaluation, training).
   */
  readonly targets?: 'auto' | 'none' | 'required';
  /** The model input's dtype: int inputs become float32 for 'float32'; float inputs are refused for 'int32'. */
  readonly inputDtype?: 'float32' | 'int32';
  /** Name of the calling function, for error messages. */
  readonly caller?: string;
}

declare const CHECKED: unique symbol;

/**
 * A DataSource that a public verb has checked ({@link checkedSource}). The functions inside the
 * library that take one read it ({@link readBatches}) without checking it again.
 */
export type CheckedSource = DataSource & { readonly [CHECKED]: true };

/** True for a tf.data.Dataset. */
export function isTfDataset(value: unknown): value is TfDataset {
  return value instanceof tf.data.Dataset;
}

/**
 * True when `value` is, or is meant as, a DataSource (an ImageSet, a tf.data dataset, or an object
 * with `xs`): for verbs whose data argument is optional, to tell data given in the options' place.
 */
export function looksLikeData(value: unknown): boolean {
  return isImageSet(value) || isTfDataset(value) || (typeof value === 'object' && value !== null && 'xs' in value);
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

/** `value`, checked once (a typed error naming `fn` unless it is a DataSource), for the functions inside the verb. */
export function checkedSource(value: unknown, fn: string): CheckedSource {
  checkSource(value, fn);
  return value as CheckedSource;
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

/** Inputs in the model input's dtype (a new tensor when cast, else `xs` itself). */
function inputsOfDtype(xs: tf.Tensor, o: SourceOptions, fn: string): tf.Tensor {
  if (o.inputDtype === 'int32' && xs.dtype !== 'int32') {
    throw new DataError(
      `${fn}: int32 inputs (the model's input dtype), got ${xs.dtype} values. ` +
        `Pass integer data (an int32 or uint8 .npy, or tf.cast(x, 'int32') of whole numbers), or a model with a float input.`,
    );
  }
  if (o.inputDtype === 'float32' && xs.dtype !== 'float32') return tf.cast(xs, 'float32');
  return xs;
}

function missingTargets(fn: string): DataError {
  return new DataError(
    `${fn}: labelled data (targets ys), got inputs without labels. ` +
      `Pass {xs, ys}, a dataset of {xs, ys}, an image folder with one subfolder per class, or a .npy of inputs with its labels file.`,
  );
}

/** The batch of `xs` and `ys` as asked (checked shape, model dtype, targets); `made`: the tensors made here, freed by the caller. */
function prepare(
  xs: tf.Tensor,
  ys: tf.Tensor | undefined,
  o: SourceOptions,
  fn: string,
): { batch: SourceBatch; made: tf.Tensor[] } {
  checkInputs(xs, o.inputShape, fn);
  if (o.targets === 'required' && !ys) throw missingTargets(fn);
  const x = inputsOfDtype(xs, o, fn);
  const targets = ys && o.targets !== 'none' ? toTargets(ys, o.classes) : undefined;
  const made = [...(x !== xs ? [x] : []), ...(targets ? [targets] : [])];
  return { batch: { xs: x, ...(targets ? { ys: targets } : {}), size: xs.shape[0] as number }, made };
}

type Element = { xs: tf.Tensor; ys?: tf.Tensor };

async function* fromTfDataset(
  ds: TfDataset,
  o: SourceOptions,
  fn: string,
): AsyncGenerator<SourceBatch, void, undefined> {
  const inputRank = o.inputShape?.length;
  const it = await ds.iterator();
  let seen = 0;
  let pending: Element[] = [];
  const limit = o.limit ?? Infinity;
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
        const owned = [el.xs, el.ys ?? [], xs, ys ?? []].flat();
        yield* emitOwned(() => prepare(xs, ys, o, fn), owned);
        seen += take;
        continue;
      }
      const parts = pending;
      pending = [];
      seen += yield* emitOwned(() => stacked(parts, o, fn), parts.flatMap((p) => [p.xs, p.ys ?? []]).flat());
    }
    if (pending.length) {
      const parts = pending;
      pending = [];
      yield* emitOwned(() => stacked(parts, o, fn), parts.flatMap((p) => [p.xs, p.ys ?? []]).flat());
    }
  } finally {
    tf.dispose(pending.flatMap((p) => [p.xs, p.ys ?? []]));
  }
}

/** Stacks unbatched elements into one batch (the stacked tensors are among `made`). */
function stacked(parts: readonly Element[], o: SourceOptions, fn: string): { batch: SourceBatch; made: tf.Tensor[] } {
  const xs = tf.stack(parts.map((p) => p.xs));
  const ys = parts.every((p) => p.ys) ? tf.stack(parts.map((p) => p.ys as tf.Tensor)) : undefined;
  try {
    const { batch, made } = prepare(xs, ys, o, fn);
    return { batch, made: [...made, xs, ...(ys ? [ys] : [])] };
  } catch (e) {
    tf.dispose([xs, ys ?? []]);
    throw e;
  }
}

/** Yields the batch `make` builds; frees `owned` and what it made after the yield, or on failure. Returns its size. */
function* emitOwned(
  make: () => { batch: SourceBatch; made: tf.Tensor[] },
  owned: tf.Tensor[],
): Generator<SourceBatch, number, undefined> {
  let b: { batch: SourceBatch; made: tf.Tensor[] };
  try {
    b = make();
  } catch (e) {
    tf.dispose(owned);
    throw e;
  }
  try {
    yield b.batch;
  } finally {
    tf.dispose([...owned, ...b.made]);
  }
  return b.batch.size;
}

function* fromExamples(ex: Examples, o: SourceOptions, fn: string): Generator<SourceBatch, void, undefined> {
  checkInputs(ex.xs, o.inputShape, fn);
  if (o.targets === 'required' && !ex.ys) throw missingTargets(fn);
  if (o.inputDtype === 'int32') inputsOfDtype(ex.xs, o, fn); // float inputs are refused before any batch
  const n = Math.min(ex.xs.shape[0] as number, o.limit ?? Infinity);
  const bs = o.batchSize ?? 128;
  const order = o.seed === undefined ? undefined : tf.tensor1d(permutation(n, o.seed), 'int32');
  const wantTargets = ex.ys && o.targets !== 'none';
  try {
    for (let s = 0; s < n; s += bs) {
      const size = Math.min(bs, n - s);
      const b = tf.tidy(() => {
        const idx = order ? tf.slice(order, s, size) : undefined;
        const pick = (t: tf.Tensor) => (idx ? tf.gather(t, idx) : tf.slice(t, s, size));
        const xs = pick(ex.xs);
        return {
          xs: o.inputDtype === 'float32' && xs.dtype !== 'float32' ? tf.cast(xs, 'float32') : xs,
          ys: wantTargets ? toTargets(pick(ex.ys as tf.Tensor), o.classes) : undefined,
        };
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

function* fromImageSet(
  set: ImageSet,
  o: SourceOptions,
  bs: number,
  fn: string,
): Generator<SourceBatch, void, undefined> {
  const targets = o.targets !== 'none' && isLabelled(set);
  if (o.targets === 'required') requireLabelled(set, fn);
  if (targets && o.classes !== undefined && o.classes !== set.classNames.length) {
    throw new ShapeError(
      `${fn}: a model with one output per class of '${set.name}' (${set.classNames.length}), got ${o.classes} outputs. ` +
        `Give the last layer ${set.classNames.length} units, or pass the model's class names (classNames or a labels file) when loading the data.`,
    );
  }
  const shape = imageInputShape(set, o.inputShape, fn);
  const p = setPreprocessing(set, o.preprocessing, fn);
  for (const idx of batchOrder(set.count, o, bs)) {
    const b = imageBatch(set, idx, shape, p, targets, o.inputDtype ?? 'float32', fn);
    try {
      yield { xs: b.xs, ...(b.ys ? { ys: b.ys } : {}), size: idx.length, ...(b.labels ? { labels: b.labels } : {}) };
    } finally {
      tf.dispose([b.xs, b.ys ?? []]);
    }
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
  const checked = checkedSource(source, fn);
  checkBatchOptions(options, fn);
  yield* readBatches(checked, options);
}

/** Throws a ConfigError naming `fn` unless the options of {@link batchesOf} are valid (what readBatches trusts). */
export function checkBatchOptions(
  options: Pick<SourceOptions, 'batchSize' | 'limit' | 'targets' | 'inputDtype'>,
  fn: string,
): void {
  const bs = options.batchSize ?? 128;
  if (!(Number.isInteger(bs) && bs > 0))
    throw new ConfigError(`${fn}: batchSize a positive integer, got ${describe(bs)}. Use e.g. 128.`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new ConfigError(
      `${fn}: limit a positive integer, got ${describe(options.limit)}. Omit it to use every example.`,
    );
  }
  const t = options.targets;
  if (t !== undefined && t !== 'auto' && t !== 'none' && t !== 'required')
    throw new ConfigError(`${fn}: targets 'auto', 'none' or 'required', got ${describe(t)}. Omit it for 'auto'.`);
  const d = options.inputDtype;
  if (d !== undefined && d !== 'float32' && d !== 'int32')
    throw new ConfigError(`${fn}: inputDtype 'float32' or 'int32', got ${describe(d)}. Pass the model input's dtype.`);
}

/**
 * {@link batchesOf} for a source a verb has checked, with options the library built from checked
 * values (a positive batchSize and limit): nothing is checked again. The data's fit to the model
 * (shape, labels, dtype) is still found batch by batch, where it is read.
 */
export async function* readBatches(
  source: CheckedSource,
  options: SourceOptions = {},
): AsyncGenerator<SourceBatch, void, undefined> {
  const fn = options.caller ?? 'batchesOf';
  const bs = options.batchSize ?? 128;
  if (isImageSet(source)) {
    yield* fromImageSet(source, options, bs, fn);
    return;
  }
  if (isTfDataset(source)) {
    yield* fromTfDataset(source, options, fn);
    return;
  }
  yield* fromExamples(source, options, fn);
}
