// Data sets (verified loaders), tensors and batches, model files.
export { decodeIdx, encodeIdx, readIdx } from './idx';
export type { IdxArray } from './idx';
export { makeDataset, sliceDataset, selectExamples, classCounts } from './dataset';
export type { Dataset, DatasetSplits } from './dataset';
export { loadMnist, MNIST_CLASSES, MNIST_COUNTS } from './mnist';
export type { MnistOptions } from './mnist';
export { loadFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_COUNTS } from './fashion-mnist';
export { toTensors, batches } from './tensors';
export type { Batch, BatchOptions, InputLayout, TensorOptions } from './tensors';
export { saveModel, loadModel, modelToArtifacts, artifactsToModel, readArtifacts, writeArtifacts, specBytes } from './model-io';
export type { ModelArtifacts, ModelJson } from './model-io';
