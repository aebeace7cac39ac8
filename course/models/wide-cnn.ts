// The course CNN at the width of its original design, 16 and 32 filters (course/models/cnn.ts; the
// course's default is 8 and 16), where the convolutions dominate inference time: notebook 03 and
// the pruning benchmark prune it to show what channel pruning buys where compute dominates.
// Trained once, deterministically, for one epoch on the first 20,000 MNIST training images (a
// short recipe that keeps a cold `make verify` within budget; its wide convolutions train at a
// few hundred examples per second on one wasm thread) in batches of 64 (twice the steps of 128
// for the same work, which BatchNormalization's moving statistics need to settle), and cached
// with model-cache.ts, keyed by the recipe.
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { fit } from '../../lib/train/fit';
import { evaluate } from '../../lib/train/evaluate';
import { EpochLog, ProgressReporter } from '../../lib/train/progress';
import { cachedModel } from '../../lib/data/model-cache';
import { cnn } from './cnn';

/** The wide CNN's fixed recipe (part of its cache key). */
export const WIDE_CNN_RECIPE = {
  filters: [16, 32],
  hidden: 128,
  examples: 20000,
  epochs: 1,
  batchSize: 64,
  learningRate: 2e-3,
  seed: 0,
} as const;
// 2: trained through the library's MaxPoolGrad (wasm-grad-kernels.ts), which breaks ties as TensorFlow does.
const VERSION = 2;

/** What was measured when the wide CNN was trained. */
export interface WideCnnMeta {
  /** On the 10,000 MNIST test images. */
  readonly testAccuracy: number;
  readonly trainSeconds: number;
  readonly history: EpochLog[];
  readonly backend: string;
}

/** The wide CNN's cache key and label. */
export function wideCnnCacheEntry(): { key: unknown; label: string } {
  return {
    key: { name: 'cnn-wide', dataset: 'mnist', recipe: WIDE_CNN_RECIPE, version: VERSION },
    label: 'cnn-wide-mnist',
  };
}

/**
 * The trained wide CNN (16/32 filters) from the cache, or trained now and cached. Caller owns the model.
 * @example const {model, meta} = await loadWideCnn(); meta.testAccuracy // about 0.98
 */
export async function loadWideCnn(
  options: { readonly progress?: ProgressReporter } = {},
): Promise<{ model: tf.LayersModel; meta: WideCnnMeta; fromCache: boolean }> {
  const r = WIDE_CNN_RECIPE;
  const { key, label } = wideCnnCacheEntry();
  const entry = await cachedModel<WideCnnMeta>(key, label, async () => {
    const { train, test } = loadMnist();
    const model = cnn({ seed: r.seed, filters: [r.filters[0], r.filters[1]], hidden: r.hidden });
    const t0 = performance.now();
    const history = await fit(model, sliceImageSet(train, 0, r.examples), {
      epochs: r.epochs,
      seed: r.seed,
      batchSize: r.batchSize,
      learningRate: r.learningRate,
      ...(options.progress ? { progress: options.progress } : {}),
    });
    const trainSeconds = (performance.now() - t0) / 1000;
    const accuracy = (await evaluate(model, test)).accuracy;
    return { model, meta: { testAccuracy: accuracy, trainSeconds, history: history.epochs, backend: tf.getBackend() } };
  });
  return { model: entry.model, meta: entry.meta, fromCache: entry.fromCache };
}
