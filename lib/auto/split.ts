// Splitting labelled data into the search part and the held-out part the search never sees until
// its final check (a seeded shuffle, so the split is reproducible).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { permutation } from '../core/rng';
import { DataSource, Examples, isTfDataset } from '../data/source';
import { isImageSet, selectExamples } from '../data/image-set';
import type { AutoData } from './search';

/** Options of {@link splitData}. */
export interface SplitOptions {
  /** Fraction of the examples held out, in (0, 1). Default 0.5. */
  readonly heldOutFraction?: number;
  readonly seed?: number;
}

/**
 * An ImageSet or tensors {xs, ys} split by a seeded shuffle into {search, heldOut}. Tensors are
 * new (the caller disposes `search.xs`, ... or uses `dispose()`); images are copied.
 * @example const data = auto.splitData(mnist.test, {heldOutFraction: 0.5, seed: 0});
 */
export function splitData(source: DataSource, options: SplitOptions = {}): AutoData & { dispose(): void } {
  const fraction = options.heldOutFraction ?? 0.5;
  if (!(typeof fraction === 'number' && fraction > 0 && fraction < 1))
    throw new ConfigError(`auto.splitData: heldOutFraction in (0, 1), got ${describe(fraction)}. Use e.g. 0.5.`);
  if (isTfDataset(source))
    throw new ConfigError(
      `auto.splitData: an ImageSet or tensors {xs, ys}, got a tf.data.Dataset. Split it yourself (dataset.take / skip) and pass {search, heldOut}.`,
    );
  const n = isImageSet(source) ? source.count : (source.xs.shape[0] as number);
  const held = Math.round(n * fraction);
  if (held < 1 || held > n - 1)
    throw new ConfigError(`auto.splitData: at least one example on each side, got ${n} examples. Pass more data.`);
  const order = permutation(n, options.seed ?? 0);
  const heldIdx = order.slice(0, held);
  const searchIdx = order.slice(held);
  if (isImageSet(source))
    return {
      search: selectExamples(source, searchIdx, `${source.name} (search)`),
      heldOut: selectExamples(source, heldIdx, `${source.name} (held out)`),
      dispose: () => undefined,
    };
  if (!source.ys) throw new ConfigError(`auto.splitData: labelled data {xs, ys}, got no ys. Pass the labels.`);
  const take = (idx: Int32Array): Examples => {
    const i = tf.tensor1d(idx, 'int32');
    try {
      return { xs: tf.gather(source.xs, i), ys: tf.gather(source.ys as tf.Tensor, i) };
    } finally {
      i.dispose();
    }
  };
  const search = take(searchIdx);
  const heldOut = take(heldIdx);
  return { search, heldOut, dispose: () => tf.dispose([search.xs, search.ys, heldOut.xs, heldOut.ys] as tf.Tensor[]) };
}
