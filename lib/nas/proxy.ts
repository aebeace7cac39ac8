// Short proxy training: a candidate is scored by its validation accuracy after a few epochs on a
// subset of the training split (never the test split), a cheap and rank-preserving-enough stand-in
// for full training (Real et al. 2019 and most NAS work do the same). Each trained candidate is
// cached on disk by genotype and recipe, so repeated searches and notebooks retrain nothing.
import { ConfigError, describe } from '../errors';
import { sliceImageSet } from '../data/image-set';
import { DatasetName, loadDataset } from '../models/baselines';
import { cachedModel } from '../models/model-cache';
import { fit } from '../train/fit';
import { evaluate } from '../train/evaluate';
import { profileModel } from '../profile/profile-model';
import { buildModel } from './build';
import { Genotype, genotypeKey } from './space';

/** How candidates are trained and scored. Part of the cache key. */
export interface ProxyRecipe {
  readonly dataset: DatasetName;
  /** Train on the first `trainExamples` of the training split. */
  readonly trainExamples: number;
  /** Score on the last `validationExamples` of the training split (held out from training). */
  readonly validationExamples: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Seed of the weights and the batch order. */
  readonly seed: number;
}

export const DEFAULT_PROXY: ProxyRecipe = {
  dataset: 'mnist', trainExamples: 10000, validationExamples: 10000, epochs: 2, batchSize: 64, learningRate: 2e-3, seed: 0,
};

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
}

const RECIPE_VERSION = 1;

/** Throws ConfigError unless the recipe fits the data set. */
export function checkRecipe(recipe: ProxyRecipe, trainCount = 60000): void {
  const ints: [string, number][] = [['trainExamples', recipe.trainExamples], ['validationExamples', recipe.validationExamples], ['epochs', recipe.epochs], ['batchSize', recipe.batchSize]];
  for (const [name, v] of ints) {
    if (!(Number.isInteger(v) && v > 0)) throw new ConfigError(`nas.proxy: ${name} a positive integer, got ${describe(v)}. See DEFAULT_PROXY.`);
  }
  if (recipe.trainExamples + recipe.validationExamples > trainCount) {
    throw new ConfigError(`nas.proxy: trainExamples + validationExamples <= ${trainCount} (disjoint parts of the training split), got ${recipe.trainExamples + recipe.validationExamples}. Use fewer examples.`);
  }
}

/** Params and MACs (one example) of a genotype's model, without training it. */
export async function genotypeCost(g: Genotype): Promise<{ params: number; macs: number }> {
  const model = buildModel(g, { seed: 0 });
  try {
    const report = await profileModel(model);
    return { params: report.totals.params, macs: report.totals.macs };
  } finally {
    model.dispose();
  }
}

/**
 * Trains a genotype with the proxy recipe (or reads it from the cache) and scores it.
 * @example (await proxyEvaluate(g, DEFAULT_PROXY)).accuracy // e.g. 0.95
 */
export async function proxyEvaluate(g: Genotype, recipe: ProxyRecipe = DEFAULT_PROXY): Promise<CandidateResult> {
  checkRecipe(recipe);
  const key = genotypeKey(g);
  const entry = await cachedModel<{ accuracy: number; trainSeconds: number }>({ genotype: g, recipe, version: RECIPE_VERSION }, `nas-${key}`, async () => {
    const data = loadDataset(recipe.dataset);
    const train = sliceImageSet(data.train, 0, recipe.trainExamples);
    const val = sliceImageSet(data.train, data.train.count - recipe.validationExamples);
    const model = buildModel(g, { seed: recipe.seed });
    const t0 = performance.now();
    await fit(model, train, { epochs: recipe.epochs, seed: recipe.seed, batchSize: recipe.batchSize, learningRate: recipe.learningRate });
    const trainSeconds = (performance.now() - t0) / 1000;
    return { model, meta: { accuracy: (await evaluate(model, val)).accuracy, trainSeconds } };
  });
  try {
    const cost = await genotypeCost(g);
    return { key, genotype: g, accuracy: entry.meta.accuracy, ...cost, trainSeconds: entry.meta.trainSeconds, fromCache: entry.fromCache };
  } finally {
    entry.model.dispose();
  }
}

