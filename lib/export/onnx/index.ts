// ONNX export (opset 13) and ONNX Runtime helpers.
export { toOnnx, CONVERTERS } from './to-onnx';
export type { OnnxExportOptions, OnnxModel } from './to-onnx';
export { OPSET, IR_VERSION } from './builder';
export { ortSession, runOrt, onnxRuntime, ortPredictLabels } from './runtime';
export type { OrtSessionOptions, OrtPredictOptions } from './runtime';
export { inspectOnnx } from './inspect';
export type { OnnxSummary } from './inspect';
