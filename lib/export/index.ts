// Converters: ONNX (fp32, INT8 QDQ, dynamic INT8, int4 MatMulNBits; target profiles for ONNX Runtime,
// TensorRT and OpenVINO with a rule checker), TensorFlow Lite (fp32, full-integer INT8), Core ML
// (NeuralNetwork; structural validation only) and TensorFlow.js artifacts with the converter's
// quantized weights, for layers and graph models (the converter's --quantize_* flags in JS); the
// inference form (BatchNormalization folded, ReLU fused) that deployment converters run.
//
// Result shape (one rule for every exporter; inputs are never mutated; reports are plain JSON):
// - a single-file format returns `{bytes, report}`: toOnnx, toTflite, toCoreML, toDeepCompressed;
// - TensorFlow.js artifacts (model.json plus weight files) return `{artifacts, report}` with a
//   tfjs `ModelArtifacts`, the product tfjs itself saves and loads (tf.io.fromMemory, saveModel):
//   quantizedArtifacts, quantizeGraphArtifacts;
// - a model transform returns `{model, report}`: inferenceForm.
export { toOnnx, ortSession, runOrt, ortPredictLabels, inspectOnnx, checkOnnxTarget, TARGETS } from './onnx';
export type {
  OnnxExportOptions,
  OnnxModel,
  OnnxReport,
  OrtSessionOptions,
  OrtPredictOptions,
  OnnxSummary,
  OnnxTarget,
  TargetProfile,
  TargetViolation,
} from './onnx';
export { quantizedArtifacts } from './tfjs-artifacts';
export { quantizeGraphArtifacts } from './graph-artifacts';
export { inferenceForm } from './inference-form';
export { toDeepCompressed, readDeepCompressed } from './deep-compressed';
export type { DeepCompressedOptions, DeepCompressedReport } from './deep-compressed';
export type { InferenceFormReport } from './inference-form';
export type { ArtifactsQuantizeReport, ArtifactsErrorOptions, ArtifactsError } from './graph-artifacts';
export type { TfjsQuantDtype, TfjsQuantizeOptions, TfjsWeightReport, TfjsArtifactsReport } from './tfjs-artifacts';
export { toTflite, inspectTflite, tfliteInterpreter, runTflite, tflitePredictor } from './tflite';
export type {
  TfliteExportOptions,
  TfliteModel,
  TfliteReport,
  TfliteSummary,
  TfliteTensorSummary,
  TfliteOperatorSummary,
  TfliteInterpreter,
  TfliteInterpreterOptions,
} from './tflite';
export { toCoreML } from './coreml';
export type { CoreMLExportOptions, CoreMLModel, CoreMLReport, CoreMLWeightMode, DecodedEqualReport } from './coreml';
export type { WeightError } from './weight-error';
