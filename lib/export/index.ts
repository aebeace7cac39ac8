// Converters: ONNX (fp32, INT8 QDQ, dynamic INT8) and TensorFlow.js artifacts with the
// converter's quantized weights, for layers and graph models (the converter's --quantize_* flags in JS);
// the inference form (BatchNormalization folded, ReLU fused) that deployment converters run.
export {
  toOnnx, CONVERTERS, OPSET, IR_VERSION, ortSession, runOrt, onnxRuntime, ortPredictLabels, inspectOnnx,
} from './onnx';
export type { OnnxExportOptions, OnnxModel, OrtSessionOptions, OrtPredictOptions, OnnxSummary } from './onnx';
export { quantizedArtifacts, dequantizeArtifacts, toFloat32Artifacts, converterRange, converterQuantize, globToRegExp } from './tfjs-artifacts';
export { quantizeGraphArtifacts, measureArtifactsError } from './graph-artifacts';
export { inferenceForm } from './inference-form';
export type { InferenceFormReport } from './inference-form';
export type { ArtifactsQuantizeReport, ArtifactsErrorOptions, ArtifactsError } from './graph-artifacts';
export type { TfjsQuantDtype, TfjsQuantizeOptions, TfjsWeightReport, TfjsArtifactsReport } from './tfjs-artifacts';
