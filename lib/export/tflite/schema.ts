// The slice of the TensorFlow Lite flatbuffer schema the exporter writes and reads: enum values
// and, per table, the slot (field index) of each field. Source: `schema.fbs` of
// tensorflow/tensorflow (tensorflow/compiler/mlir/lite/schema/schema.fbs, schema version 3 "3c",
// file identifier "TFL3"; read at commit 0373b8f3cb4d5033ac26e388f1e10a5126654200). A field's
// slot is its position in the table declaration, a union taking two slots (its `_type` byte, then
// the value). Only fields appended at the end are ever added to the schema, so these slots hold
// for every runtime that reads version 3 (TFLite 2.9 in tfjs-tflite-node, LiteRT.js 2.5).

/** The file identifier (bytes 4..8 of every .tflite file). */
export const FILE_IDENTIFIER = 'TFL3';
/** Model.version written. */
export const SCHEMA_VERSION = 3;

/** enum TensorType : byte (the values the exporter uses). */
export const TensorType = { FLOAT32: 0, INT32: 2, UINT8: 3, INT64: 4, INT8: 9 } as const;
export type TensorTypeValue = (typeof TensorType)[keyof typeof TensorType];

/** enum BuiltinOperator : int32 (the values the exporter uses). */
export const BuiltinOperator = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  LOGISTIC: 14,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  SOFTMAX: 25,
  TANH: 28,
  PAD: 34,
  MEAN: 40,
  SUB: 41,
  MAXIMUM: 55,
  MINIMUM: 57,
  REDUCE_MAX: 82,
  LEAKY_RELU: 98,
  ELU: 111,
  QUANTIZE: 114,
  HARD_SWISH: 117,
} as const;
export type OperatorName = keyof typeof BuiltinOperator;

/** The position (1-based; 0 is NONE) of each options table in `union BuiltinOptions`. */
export const BuiltinOptions = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  PadOptions: 22,
  ReducerOptions: 27,
  SubOptions: 28,
  DequantizeOptions: 38,
  MaximumMinimumOptions: 39,
  LeakyReluOptions: 75,
  QuantizeOptions: 89,
  HardSwishOptions: 91,
} as const;

/** enum ActivationFunctionType : byte. */
export const ActivationFunction = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4 } as const;
export type FusedActivation = 'NONE' | 'RELU' | 'RELU6';

/** enum Padding : byte. */
export const Padding = { SAME: 0, VALID: 1 } as const;

/** Field slots of each table: `numFields` is what the writer passes to startObject. */
export const Slots = {
  Model: { numFields: 8, version: 0, operator_codes: 1, subgraphs: 2, description: 3, buffers: 4 },
  SubGraph: { numFields: 5, tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 },
  Buffer: { numFields: 3, data: 0 },
  OperatorCode: { numFields: 4, deprecated_builtin_code: 0, custom_code: 1, version: 2, builtin_code: 3 },
  Operator: { numFields: 7, opcode_index: 0, inputs: 1, outputs: 2, builtin_options_type: 3, builtin_options: 4 },
  Tensor: { numFields: 5, shape: 0, type: 1, buffer: 2, name: 3, quantization: 4 },
  QuantizationParameters: { numFields: 7, min: 0, max: 1, scale: 2, zero_point: 3, quantized_dimension: 6 },
  Conv2DOptions: {
    numFields: 6,
    padding: 0,
    stride_w: 1,
    stride_h: 2,
    fused_activation_function: 3,
    dilation_w_factor: 4,
    dilation_h_factor: 5,
  },
  DepthwiseConv2DOptions: {
    numFields: 7,
    padding: 0,
    stride_w: 1,
    stride_h: 2,
    depth_multiplier: 3,
    fused_activation_function: 4,
    dilation_w_factor: 5,
    dilation_h_factor: 6,
  },
  Pool2DOptions: {
    numFields: 6,
    padding: 0,
    stride_w: 1,
    stride_h: 2,
    filter_width: 3,
    filter_height: 4,
    fused_activation_function: 5,
  },
  FullyConnectedOptions: { numFields: 3, fused_activation_function: 0, weights_format: 1, keep_num_dims: 2 },
  SoftmaxOptions: { numFields: 1, beta: 0 },
  ConcatenationOptions: { numFields: 2, axis: 0, fused_activation_function: 1 },
  AddOptions: { numFields: 1, fused_activation_function: 0 },
  MulOptions: { numFields: 1, fused_activation_function: 0 },
  SubOptions: { numFields: 1, fused_activation_function: 0 },
  ReshapeOptions: { numFields: 1, new_shape: 0 },
  ReducerOptions: { numFields: 1, keep_dims: 0 },
  LeakyReluOptions: { numFields: 1, alpha: 0 },
} as const;
