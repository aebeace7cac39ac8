// Core ML: the NeuralNetwork .mlmodel writer (float32, float16, linear 8-bit and lookup-table
// kernels) and its structural validation. Not run in Core ML here (no runtime on Linux).
export { toCoreML, COREML_CONVERTERS } from './to-coreml';
export type { CoreMLExportOptions, CoreMLModel, CoreMLReport } from './to-coreml';
export { decodedEqual } from './decoded-equal';
export type { DecodedEqualReport } from './decoded-equal';
export { COREML_PROTO, COREML_SPEC_VERSION } from './proto';
export { packBits, unpackBits } from './weights';
export type { CoreMLWeightMode } from './weights';
