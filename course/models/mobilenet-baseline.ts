// The course's MobileNetV2-style baseline: mobileNetStyle at width 0.35 (its first four stages,
// so it trains on a 2-core machine) on Fashion-MNIST resized to 32x32 RGB (resizeImageSet),
// trained from a seed with a fixed recipe and cached on disk (model-cache.ts): the real-data
// model of the quantization notebook and of the models benchmark.
import * as tf from '@tensorflow/tfjs';
import { ImageSet, ImageSetSplits, selectExamples } from '../../lib/data/image-set';
import { loadFashionMnist } from '../data/fashion-mnist';
import { resizeImageSet } from '../../lib/data/resize';
import { permutation } from '../../lib/core/rng';
import { fit } from '../../lib/train/fit';
import { evaluate } from '../../lib/train/evaluate';
import { EpochLog, ProgressReporter } from '../../lib/train/progress';
import { cachedModel } from '../../lib/data/model-cache';
import { InvertedResidualStage, mobileNetStyle } from './mobilenet-style';

/** The fixed recipe (part of the cache key). */
export const MOBILENET_STYLE_RECIPE = {
  alpha: 0.35,
  inputShape: [32, 32, 3] as const,
  stages: [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 2, 2],
  ] as readonly InvertedResidualStage[],
  lastFilters: 512,
  batchNormMomentum: 0.99,
  /** Training examples: a seeded uniform subset of the 60,000. */
  trainExamples: 20000,
  epochs: 4,
  batchSize: 64,
  learningRate: 2e-3,
  decayFrom: 3,
  decay: 0.3,
  version: 1,
};

/** What was measured when the baseline was trained. */
export interface MobileNetStyleMeta {
  readonly seed: number;
  readonly recipe: typeof MOBILENET_STYLE_RECIPE;
  readonly testAccuracy: number;
  readonly trainSeconds: number;
  readonly history: EpochLog[];
  readonly backend: string;
}

/** Fashion-MNIST as 32x32 RGB: the recipe's training subset and the full 10,000-image test set. */
export function fashionMnist32(seed = 0): ImageSetSplits {
  const f = loadFashionMnist();
  const shape = { height: 32, width: 32, channels: 3 };
  const subset: ImageSet = selectExamples(
    f.train,
    permutation(f.train.count, seed).subarray(0, MOBILENET_STYLE_RECIPE.trainExamples),
  );
  return { train: resizeImageSet(subset, shape), test: resizeImageSet(f.test, shape) };
}

/** The MobileNetV2-style baseline's cache key and label. */
export function mobileNetStyleCacheEntry(seed = 0): { key: unknown; label: string } {
  return {
    key: { name: 'mobilenet-style', dataset: 'fashion-mnist-32x32x3', seed, recipe: MOBILENET_STYLE_RECIPE },
    label: `mobilenet-style-fmnist32-s${seed}`,
  };
}

/**
 * The trained MobileNetV2-style baseline (from the cache, or trained now and cached: minutes on
 * wasm; `meta.trainSeconds` records how long), with its data. Caller owns the model.
 * @example const {model, data} = await loadMobileNetStyle(); (await evaluate(model, data.test)).accuracy
 */
export async function loadMobileNetStyle(
  options: { readonly seed?: number; readonly progress?: ProgressReporter } = {},
): Promise<{ model: tf.LayersModel; meta: MobileNetStyleMeta; data: ImageSetSplits; fromCache: boolean }> {
  const seed = options.seed ?? 0;
  const r = MOBILENET_STYLE_RECIPE;
  const data = fashionMnist32(seed);
  const { key, label } = mobileNetStyleCacheEntry(seed);
  const entry = await cachedModel<MobileNetStyleMeta>(key, label, async () => {
    const model = mobileNetStyle({
      seed,
      alpha: r.alpha,
      inputShape: r.inputShape,
      classes: 10,
      stages: r.stages,
      lastFilters: r.lastFilters,
      batchNormMomentum: r.batchNormMomentum,
    });
    const t0 = performance.now();
    const history = await fit(model, data.train, {
      epochs: r.epochs,
      seed,
      batchSize: r.batchSize,
      learningRate: (e) => r.learningRate * (e >= r.decayFrom ? r.decay : 1),
      ...(options.progress ? { progress: options.progress } : {}),
    });
    const trainSeconds = (performance.now() - t0) / 1000;
    const test = await evaluate(model, data.test);
    return {
      model,
      meta: {
        seed,
        recipe: r,
        testAccuracy: test.accuracy,
        trainSeconds,
        history: history.epochs,
        backend: tf.getBackend(),
      },
    };
  });
  return { model: entry.model, meta: entry.meta, data, fromCache: entry.fromCache };
}
