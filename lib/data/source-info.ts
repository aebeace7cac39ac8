// What the library asks of any DataSource without reading it through: its per-example input
// shape, a content fingerprint, a subset of its examples, and whether its examples can be
// addressed by index in the order fit's seeded batches draw them. Callers ask these instead of
// branching on the source's kind; each answer for a tf.data.Dataset (which cannot be read
// without consuming it) is said here, once.
import * as tf from '@tensorflow/tfjs';
import { sha256 } from '../core/hash';
import { ImageSet, isImageSet, isLabelled, selectExamples } from './image-set';
import { DataSource, Examples, isTfDataset } from './source';

/** Whether the source has labels: an ImageSet with classes, tensors with ys; undefined for tf.data (known when read). */
export function sourceLabelled(source: DataSource): boolean | undefined {
  if (isImageSet(source)) return isLabelled(source);
  if (isTfDataset(source)) return undefined;
  return source.ys !== undefined;
}

/** The per-example input shape when it is known without reading the source (undefined for tf.data). */
export function sourceInputShape(source: DataSource): readonly number[] | undefined {
  if (isImageSet(source)) return [source.height, source.width, source.channels];
  if (isTfDataset(source)) return undefined;
  return source.xs.shape.slice(1);
}

const fingerprints = new WeakMap<object, string>();
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * A content hash of a source: an ImageSet's shape, pixels, labels (and preprocessing, when the set
 * carries one), or the tensors' shapes and values. Undefined for a tf.data.Dataset, which cannot
 * be read without consuming it. Remembered per source object.
 * @example sourceFingerprint(mnist.train) // '3f1c...'
 */
export function sourceFingerprint(source: DataSource): string | undefined {
  if (isTfDataset(source)) return undefined;
  const memo = fingerprints.get(source);
  if (memo) return memo;
  let fp: string;
  if (isImageSet(source)) {
    fp = sha256(
      `${source.count}x${source.height}x${source.width}x${source.channels}|${sha256(source.images)}|${sha256(bytesOf(source.labels))}` +
        (source.preprocessing ? `|${JSON.stringify(source.preprocessing)}` : ''),
    );
  } else {
    const bytes = (t: tf.Tensor) => new Uint8Array((t.dataSync() as Float32Array).slice().buffer);
    fp = sha256(
      `${source.xs.shape.join('x')}|${sha256(bytes(source.xs))}|${source.ys ? sha256(bytes(source.ys)) : '-'}`,
    );
  }
  fingerprints.set(source, fp);
  return fp;
}

/**
 * Examples `indices` of an in-memory source, in that order: an ImageSet's are copied into a set
 * named after it and `part` (nothing to free), tensors are gathered into new ones (`dispose()`
 * frees them).
 */
export function selectSource(
  source: ImageSet | Examples,
  indices: Int32Array,
  part: string,
): { readonly source: ImageSet | Examples; dispose(): void } {
  if (isImageSet(source))
    return { source: selectExamples(source, indices, `${source.name} (${part})`), dispose: () => undefined };
  const i = tf.tensor1d(indices, 'int32');
  try {
    const xs = tf.gather(source.xs, i);
    const ys = source.ys ? tf.gather(source.ys, i) : undefined;
    return { source: { xs, ...(ys ? { ys } : {}) }, dispose: () => tf.dispose([xs, ...(ys ? [ys] : [])]) };
  } finally {
    i.dispose();
  }
}

/**
 * The source as an ImageSet when its examples can be addressed by index in the order fit's
 * seeded batches draw them (permutation(count, seed + epoch)), each batch carrying its integer
 * labels (SourceBatch.labels) to check that order against: what a cache of per-example results
 * needs (distillation's teacher logits). Undefined for tensors and tf.data datasets.
 */
export function indexedExamples(source: DataSource): ImageSet | undefined {
  return isImageSet(source) ? source : undefined;
}
