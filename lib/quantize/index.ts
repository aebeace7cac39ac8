// Quantization: primitives (qparams, affine ops, float16), calibration observers, post-training
// quantization, quantization-aware training, weight sharing and Huffman coding.
export { chooseQParams, qparamsFromRange, integerRange, broadcastParams, resolveAxis } from './qparams';
export type { QuantSpec, QParams } from './qparams';
export { quantize, dequantize, fakeQuantize, sqnr } from './affine';
export { toFloat16, fromFloat16, toFloat16Bits, fromFloat16Bits } from './float16';
export { createObserver, quantizationMse } from './observers';
export type { Observer, ObserverMethod, ObserverOptions } from './observers';
export { calibrateRanges, quantizationPoints } from './calibrate';
export type { CalibrationData, CalibrationOptions } from './calibrate';
export { foldBatchNorm } from './fold-batchnorm';
export type { FoldReport } from './fold-batchnorm';
export { rebuildModel } from './rebuild';
export type { RebuildEdits } from './rebuild';
export { PASS_THROUGH, WEIGHT_LAYERS, biasQParams } from './plan';
export type { QuantMode, QuantPlan } from './plan';
export { makeQuantizedModel, quantizedSizeBytes, dynamicQParams } from './quantized-model';
export type { QuantizedModel } from './quantized-model';
export { postTraining, weightPlan, layerReport, kernelAxis } from './post-training';
export type { PostTrainingOptions, PostTrainingReport, LayerQuantReport } from './post-training';
export { quantizationAwareTraining, convertQat, weightLayerForward } from './qat';
export type { QatOptions, QatReport, ActivationRanges } from './qat';
export { kmeansCluster, decodeShared, weightSharing } from './weight-sharing';
export type { KMeansOptions, SharedTensor, WeightSharingOptions, WeightSharingLayer, WeightSharingReport } from './weight-sharing';
export { huffmanEncode, huffmanDecode, huffmanLengths } from './huffman';
export type { HuffmanEncoded } from './huffman';
