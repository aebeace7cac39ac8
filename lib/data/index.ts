// The data contract (any DataSource: tf.data.Dataset, tensors, ImageSet), tensors and batches,
// data and model files, and the cache of trained models.
export { batchesOf, checkSource, checkInputs, sourceCount, toTargets, isTfDataset } from './source';
export type { DataSource, Examples, TfDataset, SourceBatch, SourceOptions } from './source';
export {
  makeImageSet,
  sliceImageSet,
  selectExamples,
  classCounts,
  isImageSet,
  isLabelled,
  imageSize,
} from './image-set';
export type { ImageSet, ImageSetSplits, ImageSetExtras, Labels } from './image-set';
export { resizeImageSet } from './resize';
export type { ResizeOptions } from './resize';
export { toTensors, batches, imageInputShape } from './tensors';
export type { Batch, BatchOptions, TensorOptions, ImageBatch } from './tensors';
export {
  saveModel,
  loadModel,
  modelToArtifacts,
  artifactsToModel,
  loadGraphModel,
  artifactsToGraphModel,
  graphModelToArtifacts,
} from './model-io';
export {
  writeArtifacts,
  writeArtifactFiles,
  checkManifest,
  specBytes,
  weightByteLengths,
  isGraphArtifacts,
  shardNames,
  SHARD_SIZE_BYTES,
} from './model-files';
export type { ModelArtifacts, ModelJson, WriteOptions, WrittenModel } from './model-files';
export { readArtifacts, readArtifactsAsync, modelPaths } from './model-read';
export { parseModelJson, checkModelInputs, jsonDepth, MAX_JSON_DEPTH } from './model-json';
export type { ReadOptions } from './model-read';
export { parseNpy, readNpy, readNpyAsync, encodeNpy } from './npy';
export type { NpyArray, NpyDtype, NpyReadOptions } from './npy';
export { decodeImage, imageFormat, DEFAULT_MAX_PIXELS, DEFAULT_DECODE_SECONDS } from './image-decode';
export { cachedModel, cachedMeta, modelCacheDir } from './model-cache';
export type { CachedModel } from './model-cache';
export type { DecodedImage, DecodeOptions } from './image-decode';
export { resizeBilinear } from './bilinear';
export { loadImageFolder } from './image-folder';
export type { ImageFolderOptions } from './image-folder';
export { imageFolderIndex, IMAGE_EXTENSIONS } from './folder-index';
export type { ImageFolderEntry, ImageFolderIndex, FolderIndexOptions } from './folder-index';
export { readLabelsFile, parseLabelsFile, checkClassNames, MAX_CLASSES } from './class-names';
export type { ClassNameOptions } from './class-names';
export { loadDataFiles } from './data-files';
export type { DataFilesOptions, LoadedData } from './data-files';
export { pathSha256, pathSha256Async } from './digest';
export {
  resolvePreprocessing,
  preprocessPixels,
  preprocessArray,
  preprocessValue,
  samePreprocessing,
  describePreprocessing,
  PREPROCESS_PRESETS,
} from './preprocess';
export type { Preprocessing, ResolvedPreprocessing, PreprocessPreset } from './preprocess';
export {
  validateDeployment,
  isRunRelativePath,
  DEPLOYMENT_FILE,
  ARTIFACT_FORMATS,
  ARTIFACT_RUNTIMES,
} from './deployment';
export type { Deployment, DeploymentArtifact, ArtifactFormat, ArtifactRuntime } from './deployment';
