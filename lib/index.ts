// tfjs-compress: the public API. Everything a user imports is exported here, explicitly;
// techniques are namespaces (`prune.magnitude`, `quantize.postTraining`, ...).
export * from './errors';

// Core: backend, randomness, machine description, results and checks.
export { initBackend, hasTfjsNode } from './core/backend';
export type { BackendName, BackendOptions } from './core/backend';
export { setGradients, currentGradients } from './core/gradients';
export type { GradientOptions } from './core/gradients';
export { registerWasmKernels } from './core/wasm-kernels';
export { convPadding } from './core/conv-padding';
export type { PadAttr, Padding2D } from './core/conv-padding';
export { Rng, permutation } from './core/rng';
export { machineInfo } from './core/machine';
export type { MachineInfo } from './core/machine';
export { writeFileAtomic, writeJsonAtomic } from './core/atomic';
export { hashConfig, sha256, stableStringify } from './core/hash';
export { cacheDir, cacheRoot } from './core/cache-dir';
export { check, CheckError } from './core/check';
export { saveResults, readResults, resultsDir } from './core/results';
export type { ResultsFile } from './core/results';

// Data: data sets, tensors, model files.
export { decodeIdx, encodeIdx, readIdx } from './data/idx';
export type { IdxArray } from './data/idx';
export { makeDataset, sliceDataset, selectExamples, classCounts } from './data/dataset';
export type { Dataset, DatasetSplits } from './data/dataset';
export { loadMnist, MNIST_CLASSES, MNIST_COUNTS } from './data/mnist';
export type { MnistOptions } from './data/mnist';
export { loadFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_COUNTS } from './data/fashion-mnist';
export { toTensors, batches } from './data/tensors';
export type { Batch, BatchOptions, InputLayout, TensorOptions } from './data/tensors';
export { saveModel, loadModel, modelToArtifacts, artifactsToModel, readArtifacts, writeArtifacts, specBytes } from './data/model-io';
export type { ModelArtifacts, ModelJson } from './data/model-io';

// Models and training.
export { simpleNet } from './models/simplenet';
export type { SimpleNetOptions } from './models/simplenet';
export { cnn } from './models/cnn';
export type { CnnOptions } from './models/cnn';
export { loadBaseline, loadDataset, BASELINE_RECIPES } from './models/baselines';
export type { BaselineName, BaselineMeta, BaselineOptions, DatasetName } from './models/baselines';
export { cachedModel, modelCacheDir } from './models/model-cache';
export type { CachedModel } from './models/model-cache';
export { fit, trainableVariables } from './train/fit';
export type { FitOptions, FitHistory } from './train/fit';
export { evaluate, predictLabels, inferLayout, runPredictor } from './train/evaluate';
export type { Evaluation, EvaluateOptions, Predictor } from './train/evaluate';
export { consoleProgress } from './train/progress';
export type { EpochLog, ProgressEvent, ProgressReporter } from './train/progress';

// The course's reference data (the brief's claims and the literature).
export * as course from './course';

// Profiler, charts and tables.
export * as profile from './profile';
export * as viz from './viz';
export * as distill from './distill';
export * as quantize from './quantize';
export * as prune from './prune';
export * as serve from './serve';
export * as monitor from './monitor';
export * as exporters from './export';
export * as nas from './nas';
export * as bench from './bench';
