// The course's models and the cache of trained models.
export { simpleNet } from './simplenet';
export type { SimpleNetOptions } from './simplenet';
export { cnn } from './cnn';
export type { CnnOptions } from './cnn';
export { loadBaseline, loadDataset, BASELINE_RECIPES } from './baselines';
export type { BaselineName, BaselineMeta, BaselineOptions, DatasetName } from './baselines';
export { cachedModel, modelCacheDir } from './model-cache';
export type { CachedModel } from './model-cache';
export { loadWideCnn, WIDE_CNN_RECIPE } from './wide-cnn';
export type { WideCnnMeta } from './wide-cnn';
