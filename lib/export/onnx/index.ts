// ONNX export (opset 13) and ONNX Runtime helpers.
export { toOnnx, CONVERTERS, hasConverter } from './to-onnx';
export type { Refusal } from './to-onnx';
export type { OnnxExportOptions, OnnxModel, OnnxReport } from './to-onnx';
export { OPSET, IR_VERSION } from './builder';
export { ortSession, runOrt, onnxRuntime, ortPredictLabels } from './runtime';
export type { OrtSessionOptions, OrtPredictOptions } from './runtime';
export { inspectOnnx } from './inspect';
export { TARGETS, ONNX_TARGETS } from './targets';
export type { OnnxTarget, TargetProfile } from './targets';
export { checkOnnxTarget } from './check-target';
export type { TargetViolation } from './check-target';
export type { OnnxSummary } from './inspect';
