// Short proxy training: a candidate is scored by its accuracy on the caller's validation split
// after a few epochs on the caller's training split (never the test split), a cheap stand-in for
// full training that ranks candidates (Real et al. 2019 and most NAS work do the same). The data
// is any DataSource; its task (input shape, classes) shapes the models. How a candidate trains is
// pluggable (default `fit` with the model's own loss; distillation from a teacher, as
// Once-for-All trains its sub-networks, is a trainer). Each trained candidate is cached on disk by
// genotype, recipe, trainer and a fingerprint of the data, so repeated searches retrain nothing.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { CheckedSource, DataSource, checkedSource } from '../data/source';
import { sourceFingerprint } from '../data/source-info';
import { cachedModel } from '../data/model-cache';
import { fitChecked } from '../train/fit';
import { evaluateChecked } from '../train/evaluate';
import { profileModel } from '../profile/profile-model';
import { buildModel } from './build';
import { checkTask, Genotype, genotypeKey, NasTask } from './space';

/** How candidates are trained. Part of the cache key. */
export interface ProxyRecipe {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Seed of the weights and the batch order. */
  readonly seed: number;
  /** From this epoch (0-based) on, the learning rate is multiplied by `decayFactor` (a step schedule). */
  readonly decayFromEpoch?: number;
  readonly decayFactor?: number;
}

/** The recipe's learning rate at an epoch (0-based): a step schedule. */
export function recipeLearningRate(recipe: ProxyRecipe): (epoch: number) => number {
  return (e) =>
    recipe.learningRate *
    (recipe.decayFromEpoch !== undefined && e >= recipe.decayFromEpoch ? (recipe.decayFactor ?? 1) : 1);
}

export const DEFAULT_PROXY: ProxyRecipe = { epochs: 2, batchSize: 64, learningRate: 2e-3, seed: 0 };

/** The data of a proxy: the task and the caller's training and validation splits. */
export interface ProxyData {
  readonly task: NasTask;
  readonly train: DataSource;
  readonly validation: DataSource;
}

/** Trains a candidate in place; `key` (plain data) names the trainer in cache keys. */
export interface CandidateTrainer {
  readonly key: unknown;
  train(model: tf.LayersModel, data: DataSource, recipe: ProxyRecipe): Promise<void>;
}

/** Options of {@link proxyEvaluate}. */
export interface ProxyOptions {
  /** Default: `fit` with the model's own loss. */
  readonly trainer?: CandidateTrainer;
}

/** A scored candidate (plain data, as sent back by workers). */
export interface CandidateResult {
  readonly key: string;
  readonly genotype: Genotype;
  /** Validation accuracy after proxy training, in [0, 1]. */
  readonly accuracy: number;
  readonly params: number;
  readonly macs: number;
  readonly trainSeconds: number;
  readonly fromCache: boolean;
  /** The cached trained model's folder (loadModel reads it); absent when the data could not be fingerprinted. */
  readonly modelDir?: string;
}

const RECIPE_VERSION = 2;

/** Throws ConfigError unless the recipe's numbers are valid. */
export function checkRecipe(recipe: ProxyRecipe, fn = 'nas.proxy'): void {
  if (!recipe || typeof recipe !== 'object')
    throw new ConfigError(
      `${fn}: a recipe {epochs, batchSize, learningRate, seed}, got ${describe(recipe)}. Start from nas.DEFAULT_PROXY.`,
    );
  const ints: [string, number][] = [
    ['epochs', recipe.epochs],
    ['batchSize', recipe.batchSize],
  ];
  for (const [name, v] of ints) {
    if (!(Number.isInteger(v) && v > 0))
      throw new ConfigError(`${fn}: ${name} a positive integer, got ${describe(v)}. See nas.DEFAULT_PROXY.`);
  }
  if (!(recipe.learningRate > 0))
    throw new ConfigError(`${fn}: learningRate > 0, got ${describe(recipe.learningRate)}. Use e.g. 2e-3.`);
  if (!Number.isFinite(recipe.seed))
    throw new ConfigError(`${fn}: seed a number, got ${describe(recipe.seed)}. Pass e.g. seed: 0.`);
  if (
    recipe.decayFromEpoch !== undefined &&
    !(Number.isInteger(recipe.decayFromEpoch) && recipe.decayFromEpoch >= 0 && (recipe.decayFactor ?? 0) > 0)
  ) {
    throw new ConfigError(
      `${fn}: decayFromEpoch an integer >= 0 with decayFactor > 0, got ${describe(recipe.decayFromEpoch)} and ${describe(recipe.decayFactor)}. Use e.g. 6 and 0.3.`,
    );
  }
}

/** Params and MACs (one example) of a genotype's model for a task, without training it. */
export async function genotypeCost(g: Genotype, task: NasTask): Promise<{ params: number; macs: number }> {
  const model = buildModel(g, { seed: 0, task });
  try {
    const report = await profileModel(model);
    return { params: report.totals.params, macs: report.totals.macs };
  } finally {
    model.dispose();
  }
}

/** Checks the data of a proxy (task, and both splits data sources); the splits come back checked. */
export function checkProxyData(
  data: ProxyData,
  fn = 'nas.proxyEvaluate',
): { readonly train: CheckedSource; readonly validation: CheckedSource } {
  if (!data || typeof data !== 'object')
    throw new ConfigError(
      `${fn}: {task, train, validation}, got ${describe(data)}. Pass the task and two data splits.`,
    );
  checkTask(data.task, fn);
  return { train: checkedSource(data.train, fn), validation: checkedSource(data.validation, fn) };
}

/**
 * Trains a genotype with the proxy recipe on `data.train` (or reads it from the cache) and scores
 * it on `data.validation`.
 * @example (await proxyEvaluate(g, {task: taskOf(train), train, validation: val})).accuracy // e.g. 0.95
 */
export async function proxyEvaluate(
  g: Genotype,
  data: ProxyData,
  recipe: ProxyRecipe = DEFAULT_PROXY,
  options: ProxyOptions = {},
): Promise<CandidateResult> {
  const checked = checkProxyData(data);
  checkRecipe(recipe); // fit's options, checked here: the default trainer does not check them again
  const key = genotypeKey(g);
  const trainer = options.trainer;
  const work = async () => {
    const model = buildModel(g, { seed: recipe.seed, task: data.task });
    const t0 = performance.now();
    if (trainer) await trainer.train(model, data.train, recipe);
    else
      await fitChecked(
        model,
        checked.train,
        {
          epochs: recipe.epochs,
          seed: recipe.seed,
          batchSize: recipe.batchSize,
          learningRate: recipeLearningRate(recipe),
        },
        'nas.proxyEvaluate',
      );
    const trainSeconds = (performance.now() - t0) / 1000;
    return {
      model,
      meta: {
        accuracy: (await evaluateChecked(model, checked.validation, {}, 'nas.proxyEvaluate')).accuracy,
        trainSeconds,
      },
    };
  };
  // A tf.data.Dataset has no fingerprint (it cannot be read without consuming it): not cached.
  const [trainFp, valFp] = [sourceFingerprint(data.train), sourceFingerprint(data.validation)];
  const entry =
    trainFp && valFp
      ? await cachedModel<{ accuracy: number; trainSeconds: number }>(
          {
            genotype: g,
            recipe,
            task: data.task,
            data: [trainFp, valFp],
            trainer: trainer?.key ?? 'fit',
            version: RECIPE_VERSION,
          },
          `nas-${key}`,
          work,
        )
      : { ...(await work()), fromCache: false, dir: undefined };
  try {
    const cost = await genotypeCost(g, data.task);
    return {
      key,
      genotype: g,
      accuracy: entry.meta.accuracy,
      ...cost,
      trainSeconds: entry.meta.trainSeconds,
      fromCache: entry.fromCache,
      ...(entry.dir ? { modelDir: entry.dir } : {}),
    };
  } finally {
    entry.model.dispose();
  }
}
