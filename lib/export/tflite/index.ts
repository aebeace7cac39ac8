// TensorFlow Lite: the flatbuffer writer (fp32 and full-integer INT8 from a static quantization
// plan), a reader for checking files, and tfjs-tflite-node's interpreter to run them.
export { toTflite, TFLITE_CONVERTERS } from './to-tflite';
export type { TfliteExportOptions, TfliteModel, TfliteReport } from './to-tflite';
export { inspectTflite } from './inspect';
export type { TfliteSummary, TfliteTensorSummary, TfliteOperatorSummary } from './inspect';
export { tfliteInterpreter, runTflite, tflitePredictor } from './runtime';
export type { TfliteInterpreter, TfliteInterpreterOptions } from './runtime';
export { FILE_IDENTIFIER as TFLITE_FILE_IDENTIFIER, SCHEMA_VERSION as TFLITE_SCHEMA_VERSION } from './schema';
