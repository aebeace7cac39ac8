// tfjs-compress: the public API. Every name a user imports is listed here explicitly: the errors,
// a short list of set-up, data, model and training functions, and one namespace per technique or
// tool (`prune.magnitude`, `quantize.postTraining`, `bench.benchmark`, ...). Anything else is internal.

// Errors (one base class; every message says what was expected, what was got, and how to fix it).
export {
  CompressionError,
  ConfigError,
  UnsupportedLayerError,
  ShapeError,
  DataError,
  ExportError,
  MissingPackageError,
} from './errors';

// Set-up, the machine every figure is measured on, and where shown text goes.
export { initBackend, hasTfjsNode, machineInfo, wasmThreads, setOutput, Rng, permutation } from './core';
export type { BackendName, BackendOptions, MachineInfo, OutputSink } from './core';

// Files and the cache of trained models (atomic writes; entries keyed by a hash of their recipe).
export { writeFileAtomic, writeJsonAtomic, writeFolderAtomic, recoverFolder, cacheDir, hashConfig } from './core';
export type { FolderWriteOptions } from './core';
export { cachedModel } from './data';
export type { CachedModel } from './data';

// The layer registry and the one graph walker (what the library knows about each layer class).
export { LAYERS, layerEntry, modelGraph, requireLayersModel } from './core';
export type { LayerEntry, LayerClass, GraphNode } from './core';

// The data contract (a tf.data.Dataset of {xs, ys}, tensors {xs, ys}, or an ImageSet), tensors and
// batches, model files.
export {
  batchesOf,
  makeImageSet,
  sliceImageSet,
  selectExamples,
  classCounts,
  resizeImageSet,
  toTensors,
  batches,
} from './data';
export type {
  DataSource,
  Examples,
  SourceBatch,
  ImageSet,
  ImageSetSplits,
  Batch,
  BatchOptions,
  TensorOptions,
} from './data';
export {
  saveModel,
  loadModel,
  loadGraphModel,
  modelToArtifacts,
  artifactsToModel,
  readArtifacts,
  readArtifactsAsync,
  writeArtifacts,
} from './data';
// Data from files: image folders (flat, or one subfolder per class; class names from the folders, a
// list or a labels file), .npy arrays, either for a model's input, with the model's preprocessing.
export {
  loadImageFolder,
  imageFolderIndex,
  readLabelsFile,
  decodeImage,
  parseNpy,
  readNpy,
  readNpyAsync,
  encodeNpy,
  loadDataFiles,
  pathSha256,
  resolvePreprocessing,
  PREPROCESS_PRESETS,
} from './data';
export type {
  ImageFolderOptions,
  ImageFolderIndex,
  ClassNameOptions,
  NpyArray,
  NpyDtype,
  DataFilesOptions,
  LoadedData,
  Preprocessing,
  ResolvedPreprocessing,
  PreprocessPreset,
} from './data';
export type { ModelArtifacts, ReadOptions } from './data';

// Training and evaluation.
export {
  fit,
  evaluate,
  predictLabels,
  consoleProgress,
  countProgress,
  inputShapeOf,
  outputKind,
  modelLoss,
  fusedAdam,
  FusedAdam,
  profileStep,
} from './train';
export type {
  FitOptions,
  FitHistory,
  Evaluation,
  EvaluateOptions,
  Predictor,
  ProgressReporter,
  EpochLog,
  OutputKind,
  StepProfile,
  StepProfileOptions,
  StepPhase,
  PhaseTime,
  KernelTime,
} from './train';

// Techniques, converters, measurement, deployment and display.
export * as profile from './profile';
export * as prune from './prune';
export * as quantize from './quantize';
export * as distill from './distill';
export * as nas from './nas';
// Independent jobs on worker threads or, with a Redis URL, on any number of machines; the library's jobs.
export * as exec from './exec';
export * as jobs from './jobs';
export * as exporters from './export';
// ONNX in: read, profile and quantize the ONNX models that apps already ship.
export * as onnx from './onnx';
export * as bench from './bench';
export * as serve from './serve';
export * as monitor from './monitor';
export * as viz from './viz';
// Recipes and the pipeline behind `tfjs-compress run`, and the command line itself.
export * as pipeline from './pipeline';
// Compress to a target: the search that finds, checks and ships a recipe for a latency or size goal.
export * as auto from './auto';
export * as cli from './cli';
