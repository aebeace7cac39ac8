// Data that crosses to worker threads and queue workers: job arguments are plain data (typed
// arrays, JSON), so an ImageSet crosses as it is, tensors cross as their values and are rebuilt
// on the other side, and a tf.data.Dataset (a stream, not data) cannot cross at all.
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { ImageSet, isImageSet } from './image-set';
import { DataSource, isTfDataset } from './source';

/** A tensor's values, dtype and shape (what crosses to a worker). */
export interface TensorValues {
  readonly values: Float32Array | Int32Array;
  readonly dtype: 'float32' | 'int32';
  readonly shape: number[];
}

/** A DataSource as it crosses to a worker: an ImageSet as it is, or tensors as their values. */
export type ShippedSource = { readonly images: ImageSet } | { readonly xs: TensorValues; readonly ys?: TensorValues };

/** True when `source` is plain data that crosses to other threads and machines as it is (an ImageSet). */
export function crossesAsIs(source: unknown): source is ImageSet {
  return isImageSet(source);
}

/** `source` as plain data for a job's arguments; undefined for a tf.data.Dataset, which cannot cross. */
export async function shipSource(source: DataSource): Promise<ShippedSource | undefined> {
  if (crossesAsIs(source)) return { images: source };
  if (isTfDataset(source)) return undefined;
  const values = async (t: tf.Tensor): Promise<TensorValues> => {
    const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
    const v = dtype === 'int32' ? t : tf.cast(t, 'float32');
    try {
      return { values: (await v.data()) as Float32Array | Int32Array, dtype, shape: [...t.shape] };
    } finally {
      if (v !== t) v.dispose();
    }
  };
  return { xs: await values(source.xs), ...(source.ys ? { ys: await values(source.ys) } : {}) };
}

/** The DataSource a job received (ConfigError naming `fn` when it is malformed); `dispose()` frees rebuilt tensors. */
export function unshipSource(d: ShippedSource, fn: string): { source: DataSource; dispose(): void } {
  if ('images' in d) {
    if (!crossesAsIs(d.images))
      throw new ConfigError(`${fn}: search data as an ImageSet, got another object. Resend it.`);
    return { source: d.images, dispose: () => undefined };
  }
  const t = (v: TensorValues | undefined) => {
    if (!v) return undefined;
    if (!Array.isArray(v.shape) || !(v.values instanceof Float32Array || v.values instanceof Int32Array))
      throw new ConfigError(`${fn}: tensor values {values, dtype, shape}, got another object. Resend them.`);
    return tf.tensor(v.values, v.shape, v.dtype);
  };
  const xs = t(d.xs) as tf.Tensor;
  const ys = t(d.ys);
  return { source: { xs, ...(ys ? { ys } : {}) }, dispose: () => tf.dispose([xs, ...(ys ? [ys] : [])]) };
}
