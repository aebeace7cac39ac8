// ONNX in: read the ONNX models that apps already ship (external data included, opsets 7-21),
// profile them, and quantize them (dynamic INT8, static INT8 in QDQ form calibrated through ONNX
// Runtime, int4 weight-only MatMulNBits, float16 weights), every written model loaded in ONNX
// Runtime and compared with the float one on the user's data.
export { readOnnx as read } from './read';
export type { OnnxFile, ReadOnnxOptions } from './read';
export type { OnnxValue, OnnxFeeds, OnnxData } from './feeds';
export { quantize } from './quantize';
export type { OnnxQuantizeOptions, OnnxQuantizeResult } from './quantize';
export type { OnnxQuantizeReport, NodeQuantReport, ActivationPointReport } from './report';
export type { OnnxNodeQuantOptions, SkippedNode } from './select';
export type { OnnxQuantMode, OpEntry, NodeShapes } from './ops';
export { upgradeOpset } from './opset';
export type { OpsetUpgrade, UpgradeOpsetOptions } from './opset';
export { compareOutputs } from './compare';
export type { CompareOptions, OnnxComparison, OutputComparison } from './compare';
export type { OnnxCalibration } from './calibrate';
export { profile } from './profile';
export type { OnnxProfileReport, OnnxProfileOptions, OnnxNodeProfile, OnnxValueInfo } from './profile';
export { ortFeedsRuntime } from './runtime';
export type { OrtFeedsRuntimeOptions } from './runtime';
export type { OrtWebPage } from './web';
export { feedsFromFiles } from './data-files';
export type { FeedsFromFilesOptions, FilesFeeds } from './data-files';
export { optimize } from './optimize';
export type { OnnxOptimizeReport } from './optimize';
export { fixShapes } from './fix-shapes';
export type { InputDims, FixShapesOptions, FixShapesReport } from './fix-shapes';
export type { OnnxRunOptions, OnnxRunReport, OnnxRunStage } from './recipe-run';
