// The course's trained baselines: SimpleNet and the CNN on MNIST or Fashion-MNIST, trained
// deterministically from a seed with a fixed recipe and cached on disk (see model-cache.ts).
// Independent baselines train in parallel, one per core, as executor jobs (prepareBaselines).
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { ImageSetSplits } from '../data/image-set';
import { loadMnist } from '../data/mnist';
import { loadFashionMnist } from '../data/fashion-mnist';
import { fit } from '../train/fit';
import { evaluate } from '../train/evaluate';
import { EpochLog, ProgressReporter } from '../train/progress';
import { cachedModel, modelCacheDir } from './model-cache';
import { availableCores as availableWorkers, defineJob, Executor, withExecutor } from '../exec';
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
function baselineKey(name: BaselineName, dataset: DatasetName, seed: number): { key: unknown; label: string } {
  return { key: { name, dataset, seed, recipe: BASELINE_RECIPES[name], version: RECIPE_VERSION }, label: `${name}-${dataset}-s${seed}` };
}

/** Loads MNIST or Fashion-MNIST by name. */
export function loadDataset(name: DatasetName): ImageSetSplits {
  if (name === 'mnist') return loadMnist();
  if (name === 'fashion-mnist') return loadFashionMnist();
  throw new ConfigError(`loadDataset: 'mnist' or 'fashion-mnist', got ${describe(name)}. Use one of the two bundled data sets.`);
}

/**
 * The trained baseline `name` on `dataset` (default MNIST, seed 0): from the cache when there,
 * else trained now (minutes on wasm; `meta.trainSeconds` records how long) and cached. Caller owns the model.
 * @example const {model, meta} = await loadBaseline('simplenet'); meta.testAccuracy // >= 0.98
 */
export async function loadBaseline(name: BaselineName, options: BaselineOptions = {}): Promise<{ model: tf.LayersModel; meta: BaselineMeta; fromCache: boolean }> {
  if (name !== 'simplenet' && name !== 'cnn') {
    throw new ConfigError(`loadBaseline: 'simplenet' or 'cnn', got ${describe(name)}. Build other models with simpleNet() or cnn() and fit().`);
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
      epochs: recipe.epochs, seed, batchSize: recipe.batchSize,
      learningRate: (e) => recipe.learningRate * (e >= recipe.decayFrom ? recipe.decay : 1),
      ...(options.progress ? { progress: options.progress } : {}),
    });
    const trainSeconds = (performance.now() - t0) / 1000;
    const test = await evaluate(model, data.test);
    return {
      model,
      meta: { name, dataset, seed, testAccuracy: test.accuracy, trainSeconds, history: history.epochs, backend: tf.getBackend() },
    };
  });
  return { model: entry.model, meta: entry.meta, fromCache: entry.fromCache };
}

/** One baseline to prepare. */
export interface BaselineSpec {
  readonly name: BaselineName;
  readonly dataset?: DatasetName;
  readonly seed?: number;
}

/** True when the baseline is in the cache (nothing to train). */
export function baselineCached(spec: BaselineSpec): boolean {
  const { key, label } = baselineKey(spec.name, spec.dataset ?? 'mnist', spec.seed ?? 0);
  return fs.existsSync(path.join(modelCacheDir(key, label), 'meta.json'));
}

/** Trains (or reads) one baseline in a worker and returns what was measured. */
export const baselineJob = defineJob('models.baseline', __filename, async (spec: BaselineSpec): Promise<BaselineMeta> => {
  const b = await loadBaseline(spec.name, { ...(spec.dataset ? { dataset: spec.dataset } : {}), ...(spec.seed !== undefined ? { seed: spec.seed } : {}) });
  b.model.dispose();
  return b.meta;
});

/** A prepared baseline: what was measured when it was trained, and whether that was in this call. */
export interface PreparedBaseline {
  readonly meta: BaselineMeta;
  readonly trainedNow: boolean;
}

/**
 * Fills the cache with the baselines of `specs` that are missing, training them in parallel as
 * executor jobs (default: one worker thread per core, or the Redis queue of
 * TFJS_COMPRESS_REDIS_URL). Returns each baseline's meta, in order.
 * @example await prepareBaselines([{name: 'simplenet'}, {name: 'cnn'}]) // both trained at once on two cores
 */
export async function prepareBaselines(specs: readonly BaselineSpec[], options: { readonly executor?: Executor } = {}): Promise<PreparedBaseline[]> {
  for (const s of specs) {
    if (s?.name !== 'simplenet' && s?.name !== 'cnn') {
      throw new ConfigError(`prepareBaselines: specs {name: 'simplenet' | 'cnn', dataset?, seed?}, got ${describe(s?.name ?? s)}. Name a course baseline.`);
    }
  }
  const missing = specs.filter((s) => !baselineCached(s));
  const calls = missing.map((args) => ({ job: baselineJob, args }));
  if (calls.length > 1) {
    if (options.executor) await options.executor.map(calls);
    else await withExecutor({ workers: Math.min(calls.length, availableWorkers()) }, (ex) => ex.map(calls));
  }
  const out: PreparedBaseline[] = [];
  for (const s of specs) {
    const b = await loadBaseline(s.name, { ...(s.dataset ? { dataset: s.dataset } : {}), ...(s.seed !== undefined ? { seed: s.seed } : {}) });
    b.model.dispose();
    out.push({ meta: b.meta, trainedNow: missing.includes(s) });
  }
  return out;
}
