// ONNX export (opset 13) and ONNX Runtime helpers.
export { toOnnx, CONVERTERS } from './to-onnx';
export type { OnnxExportOptions, OnnxModel } from './to-onnx';
export { OPSET, IR_VERSION } from './builder';
export { ortSession, runOrt, onnxRuntime } from './runtime';
export type { OrtSessionOptions } from './runtime';
export { ortLatency } from './ort-latency';
export type { OrtLatencyOptions, OrtLatencyRow } from './ort-latency';
export { inspectOnnx } from './inspect';
export type { OnnxSummary } from './inspect';
