// Splitting labelled data into the search part and the held-out part the search never sees until
// its final check (a seeded shuffle, so the split is reproducible).
import { ConfigError, describe } from '../errors';
import { permutation } from '../core/rng';
import { DataSource, isTfDataset, sourceCount } from '../data/source';
import { selectSource, sourceLabelled } from '../data/source-info';
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
  if (!sourceLabelled(source))
    throw new ConfigError(
      `auto.splitData: labelled data, got examples without labels. Pass {xs, ys}, or an image folder with one subfolder per class.`,
    );
  const n = sourceCount(source) as number;
  const held = Math.round(n * fraction);
  if (held < 1 || held > n - 1)
    throw new ConfigError(`auto.splitData: at least one example on each side, got ${n} examples. Pass more data.`);
  const order = permutation(n, options.seed ?? 0);
  const heldIdx = order.slice(0, held);
  const searchIdx = order.slice(held);
  const search = selectSource(source, searchIdx, 'search');
  const heldOut = selectSource(source, heldIdx, 'held out');
  return {
    search: search.source,
    heldOut: heldOut.source,
    dispose: () => {
      search.dispose();
      heldOut.dispose();
    },
  };
}
