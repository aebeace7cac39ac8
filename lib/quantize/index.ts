// Quantization: primitives (qparams, affine ops, float16), calibration observers, where
// activations are quantized (placement), post-training quantization, quantization-aware
// training, bias correction, the quantized model (a tf.LayersModel with FakeQuantize layers and its plan), weight
// sharing and Huffman coding.
export { chooseQParams } from './qparams';
export type { QuantSpec, QParams } from './qparams';
export { quantize, dequantize, fakeQuantize, sqnr } from './affine';
export type { Observer, ObserverMethod, ObserverOptions, BatchSummary } from './observers';
export type { ActivationPlacement, PlacementOptions, PointDecision } from './placement';
export type { CalibrationData, CalibrationOptions } from './calibrate';
export type { MemoryBudget } from './memory-budget';
export { foldBatchNorm } from './fold-batchnorm';
export type { FoldReport } from './fold-batchnorm';
export { planOf } from './plan';
export type { QuantMode, QuantPlan } from './plan';
export { quantizedSizeBytes } from './quantized-model';
export type { BiasCorrectionLayer } from './bias-correction';
export { postTraining } from './post-training';
export type { PostTrainingOptions, PostTrainingReport, LayerQuantOptions } from './post-training';
export type { LayerQuantReport } from './report';
export type { PointReport } from './weight-plan';
export { quantizationAwareTraining, convertQat } from './qat';
export type { QatOptions, QatReport, ActivationRanges, ConvertQatOptions, ConvertQatReport } from './qat';
export { weightSharing } from './weight-sharing';
export type { WeightSharingOptions, WeightSharingLayer, WeightSharingReport } from './weight-sharing';
export type { KMeansOptions, SharedTensor } from './kmeans';
export type { CentroidFineTune } from './centroid-tuning';
export type { HuffmanEncoded } from './huffman';
export { deepCompress } from './deep-compress';
export type {
  DeepCompressOptions,
  DeepCompressLayerOptions,
  DeepCompressReport,
  DeepCompressLayerReport,
} from './deep-compress';
