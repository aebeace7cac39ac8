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
export { initBackend, hasTfjsNode, machineInfo, setOutput } from './core';
export type { BackendName, BackendOptions, MachineInfo, OutputSink } from './core';

// The layer registry: every layer class the library knows, and what it knows about each.
export { LAYERS } from './core';
export type { LayerEntry, LayerClass } from './core';

// The data contract (a tf.data.Dataset of {xs, ys}, tensors {xs, ys}, or an ImageSet), tensors and
// batches, model files.
export { makeImageSet, sliceImageSet, resizeImageSet, toTensors, batches } from './data';
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
export { saveModel, loadModel, loadGraphModel } from './data';
// Data from files: image folders (flat, or one subfolder per class; class names from the folders, a
// list or a labels file), .npy arrays, either for a model's input, with the model's preprocessing.
export { loadImageFolder, loadDataFiles, readNpy, encodeNpy, resolvePreprocessing } from './data';
export type {
  ImageFolderOptions,
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
export { fit, evaluate, predictLabels, consoleProgress } from './train';
export type {
  FitOptions,
  FitHistory,
  Evaluation,
  EvaluateOptions,
  Predictor,
  ProgressReporter,
  EpochLog,
  OutputKind,
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
