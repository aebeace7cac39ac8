// Converters: ONNX (fp32, INT8 QDQ, dynamic INT8) and TensorFlow.js artifacts.
export * from './onnx';
