// tfjs-compress: the public API. Every name a user imports is listed here explicitly: the errors,
// a short list of set-up, data, model and training functions, and one namespace per technique or
// tool (`prune.magnitude`, `quantize.postTraining`, `bench.benchmark`, ...). Anything else is internal.

// Errors (one base class; every message says what was expected, what was got, and how to fix it).
export { CompressionError, ConfigError, UnsupportedLayerError, ShapeError, DataError, ExportError, MissingPackageError } from './errors';

// Set-up, the machine every figure is measured on, and where shown text goes.
export { initBackend, hasTfjsNode, machineInfo, setOutput, Rng, permutation } from './core';
export type { BackendName, BackendOptions, MachineInfo, OutputSink } from './core';

// Files and the cache of trained models (atomic writes; entries keyed by a hash of their recipe).
export { writeFileAtomic, writeJsonAtomic, cacheDir, hashConfig } from './core';

// Data sets (verified loaders), tensors and batches, model files.
export { loadMnist, loadFashionMnist, readIdx, sliceDataset, classCounts, toTensors, batches } from './data';
export type { Dataset, DatasetSplits, Batch, BatchOptions, InputLayout, TensorOptions } from './data';
export { saveModel, loadModel, modelToArtifacts, artifactsToModel, readArtifacts, writeArtifacts } from './data';
export type { ModelArtifacts } from './data';

// Models: the course's builders, cached trained baselines, any cached model.
export { simpleNet, cnn, loadBaseline, BASELINE_RECIPES, cachedModel } from './models';
export type { SimpleNetOptions, CnnOptions, BaselineName, BaselineOptions, CachedModel } from './models';

// Training and evaluation.
export { fit, evaluate, predictLabels, consoleProgress } from './train';
export type { FitOptions, FitHistory, Evaluation, EvaluateOptions, Predictor, ProgressReporter, EpochLog } from './train';

// Techniques, converters, measurement, deployment and display.
export * as profile from './profile';
export * as prune from './prune';
export * as quantize from './quantize';
export * as distill from './distill';
export * as nas from './nas';
export * as exporters from './export';
export * as bench from './bench';
export * as serve from './serve';
export * as monitor from './monitor';
export * as viz from './viz';

// The course (kept apart: no library folder imports it).
export * as course from './course';
