// Converters: ONNX (fp32, INT8 QDQ, dynamic INT8, int4 MatMulNBits; target profiles for ONNX Runtime,
// TensorRT and OpenVINO with a rule checker), TensorFlow Lite (fp32, full-integer INT8), Core ML
// (NeuralNetwork; structural validation only) and TensorFlow.js artifacts with the converter's
// quantized weights, for layers and graph models (the converter's --quantize_* flags in JS); the
// inference form (BatchNormalization folded, ReLU fused) that deployment converters run.
export {
  toOnnx,
  CONVERTERS,
  hasConverter,
  OPSET,
  IR_VERSION,
  ortSession,
  runOrt,
  onnxRuntime,
  ortPredictLabels,
  inspectOnnx,
  checkOnnxTarget,
  TARGETS,
  ONNX_TARGETS,
} from './onnx';
export type {
  OnnxExportOptions,
  OnnxModel,
  OrtSessionOptions,
  OrtPredictOptions,
  OnnxSummary,
  OnnxTarget,
  TargetProfile,
  TargetViolation,
} from './onnx';
export {
  quantizedArtifacts,
  dequantizeArtifacts,
  toFloat32Artifacts,
  converterRange,
  converterQuantize,
} from './tfjs-artifacts';
export { quantizeGraphArtifacts, measureArtifactsError } from './graph-artifacts';
export { inferenceForm } from './inference-form';
export { toDeepCompressed, readDeepCompressed } from './deep-compressed';
export type { DeepCompressedOptions, DeepCompressedReport } from './deep-compressed';
export type { InferenceFormReport } from './inference-form';
export type { ArtifactsQuantizeReport, ArtifactsErrorOptions, ArtifactsError } from './graph-artifacts';
export type { TfjsQuantDtype, TfjsQuantizeOptions, TfjsWeightReport, TfjsArtifactsReport } from './tfjs-artifacts';
export {
  toTflite,
  TFLITE_CONVERTERS,
  inspectTflite,
  tfliteInterpreter,
  runTflite,
  tflitePredictor,
  TFLITE_FILE_IDENTIFIER,
  TFLITE_SCHEMA_VERSION,
} from './tflite';
export type {
  TfliteExportOptions,
  TfliteModel,
  TfliteSummary,
  TfliteTensorSummary,
  TfliteOperatorSummary,
  TfliteInterpreter,
  TfliteInterpreterOptions,
} from './tflite';
export { toCoreML, COREML_CONVERTERS } from './coreml';
export type { CoreMLExportOptions, CoreMLModel, CoreMLWeightMode, DecodedEqualReport } from './coreml';
export * as coreml from './coreml';
export { weightError } from './weight-error';
export type { WeightError } from './weight-error';
