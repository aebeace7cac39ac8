// The course's trained baselines: SimpleNet and the CNN on MNIST or Fashion-MNIST, trained
// deterministically from a seed with a fixed recipe and cached on disk (see model-cache.ts).
// Independent course models train in parallel, one per core, as executor jobs (prepare.ts).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../../lib/errors';
import { ImageSetSplits } from '../../lib/data/image-set';
import { loadMnist } from '../data/mnist';
import { loadFashionMnist } from '../data/fashion-mnist';
import { fit } from '../../lib/train/fit';
import { evaluate } from '../../lib/train/evaluate';
import { EpochLog, ProgressReporter } from '../../lib/train/progress';
import { cachedModel } from '../../lib/data/model-cache';
import { simpleNet } from './simplenet';
import { cnn } from './cnn';

export type BaselineName = 'simplenet' | 'cnn';
export type DatasetName = 'mnist' | 'fashion-mnist';

/** The fixed training recipe of each baseline (part of the cache key). */
export const BASELINE_RECIPES = {
  simplenet: { epochs: 10, batchSize: 128, learningRate: 1e-3, decayFrom: 6, decay: 0.3 },
  cnn: { epochs: 5, batchSize: 128, learningRate: 2e-3, decayFrom: 3, decay: 0.3 },
} as const;
const RECIPE_VERSION = 1;

/** Options for {@link loadBaseline}. */
export interface BaselineOptions {
  readonly dataset?: DatasetName;
  readonly seed?: number;
  readonly progress?: ProgressReporter;
}

/** What was measured when the baseline was trained. */
export interface BaselineMeta {
  readonly name: BaselineName;
  readonly dataset: DatasetName;
  readonly seed: number;
  readonly testAccuracy: number;
  readonly trainSeconds: number;
  readonly history: EpochLog[];
  readonly backend: string;
}

/** The cache key and label of a baseline. */
export function baselineKey(name: BaselineName, dataset: DatasetName, seed: number): { key: unknown; label: string } {
  // The CNN's max pooling trains through the library's MaxPoolGrad (first maximum, wasm-grad-kernels.ts) since
  // gradients 2; the stock wasm kernel breaks ties differently, so its CNNs are other models.
  const gradients = name === 'cnn' ? { gradients: 2 } : {};
  return {
    key: { name, dataset, seed, recipe: BASELINE_RECIPES[name], version: RECIPE_VERSION, ...gradients },
    label: `${name}-${dataset}-s${seed}`,
  };
}

/** Loads MNIST or Fashion-MNIST by name. */
export function loadDataset(name: DatasetName): ImageSetSplits {
  if (name === 'mnist') return loadMnist();
  if (name === 'fashion-mnist') return loadFashionMnist();
  throw new ConfigError(
    `loadDataset: 'mnist' or 'fashion-mnist', got ${describe(name)}. Use one of the two bundled data sets.`,
  );
}

/**
 * The trained baseline `name` on `dataset` (default MNIST, seed 0): from the cache when there,
 * else trained now (minutes on wasm; `meta.trainSeconds` records how long) and cached. Caller owns the model.
 * @example const {model, meta} = await loadBaseline('simplenet'); meta.testAccuracy // >= 0.98
 */
export async function loadBaseline(
  name: BaselineName,
  options: BaselineOptions = {},
): Promise<{ model: tf.LayersModel; meta: BaselineMeta; fromCache: boolean }> {
  if (name !== 'simplenet' && name !== 'cnn') {
    throw new ConfigError(
      `loadBaseline: 'simplenet' or 'cnn', got ${describe(name)}. Build other models with simpleNet() or cnn() and fit().`,
    );
  }
  const dataset = options.dataset ?? 'mnist';
  const seed = options.seed ?? 0;
  const recipe = BASELINE_RECIPES[name];
  const { key, label } = baselineKey(name, dataset, seed);
  const entry = await cachedModel<BaselineMeta>(key, label, async () => {
    const data = loadDataset(dataset);
    const model = name === 'simplenet' ? simpleNet({ seed }) : cnn({ seed });
    const t0 = performance.now();
    const history = await fit(model, data.train, {
      epochs: recipe.epochs,
      seed,
      batchSize: recipe.batchSize,
      learningRate: (e) => recipe.learningRate * (e >= recipe.decayFrom ? recipe.decay : 1),
      ...(options.progress ? { progress: options.progress } : {}),
    });
    const trainSeconds = (performance.now() - t0) / 1000;
    const test = await evaluate(model, data.test);
    return {
      model,
      meta: {
        name,
        dataset,
        seed,
        testAccuracy: test.accuracy,
        trainSeconds,
        history: history.epochs,
        backend: tf.getBackend(),
      },
    };
  });
  return { model: entry.model, meta: entry.meta, fromCache: entry.fromCache };
}
