// The course's models and the cache of trained models.
export { simpleNet } from './simplenet';
export type { SimpleNetOptions } from './simplenet';
export { cnn } from './cnn';
export type { CnnOptions } from './cnn';
export { loadBaseline, loadDataset, prepareBaselines, baselineCached, baselineJob, BASELINE_RECIPES } from './baselines';
export type { BaselineName, BaselineMeta, BaselineOptions, BaselineSpec, PreparedBaseline, DatasetName } from './baselines';
export { cachedModel, modelCacheDir } from './model-cache';
export type { CachedModel } from './model-cache';
