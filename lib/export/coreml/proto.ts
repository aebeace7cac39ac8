// The subset of Apple's Core ML model specification the exporter writes: a NeuralNetwork model
// (specification version 4) with the layers below. Message names and field numbers are those of
// apple/coremltools (BSD-3-Clause) mlmodel/format/Model.proto, FeatureTypes.proto and
// NeuralNetwork.proto (read at commits 05a2f70f and 511e360f); only the fields used here are
// declared, which protobuf allows (a reader skips nothing it needs, and unknown fields are
// never written). Loaded with protobufjs from this text, so the package needs no .proto file.
import * as protobuf from 'protobufjs';

/** The .proto text (proto3, package CoreML.Specification). */
export const COREML_PROTO = `
syntax = "proto3";
package CoreML.Specification;

message Model {
  int32 specificationVersion = 1;
  ModelDescription description = 2;
  oneof Type { NeuralNetwork neuralNetwork = 500; }
}
message Metadata {
  string shortDescription = 1;
  string versionString = 2;
  string author = 3;
  string license = 4;
  map<string, string> userDefined = 100;
}
message ModelDescription {
  repeated FeatureDescription input = 1;
  repeated FeatureDescription output = 10;
  Metadata metadata = 100;
}
message FeatureDescription {
  string name = 1;
  string shortDescription = 2;
  FeatureType type = 3;
}
message FeatureType {
  oneof Type { ArrayFeatureType multiArrayType = 5; }
  bool isOptional = 1000;
}
message ArrayFeatureType {
  enum ArrayDataType {
    INVALID_ARRAY_DATA_TYPE = 0;
    FLOAT32 = 65568;
    DOUBLE = 65600;
    INT32 = 131104;
    FLOAT16 = 65552;
  }
  repeated int64 shape = 1;
  ArrayDataType dataType = 2;
}

enum NeuralNetworkMultiArrayShapeMapping {
  RANK5_ARRAY_MAPPING = 0;
  EXACT_ARRAY_MAPPING = 1;
}
message NeuralNetwork {
  repeated NeuralNetworkLayer layers = 1;
  NeuralNetworkMultiArrayShapeMapping arrayInputShapeMapping = 5;
}
message NeuralNetworkLayer {
  string name = 1;
  repeated string input = 2;
  repeated string output = 3;
  oneof layer {
    ConvolutionLayerParams convolution = 100;
    PoolingLayerParams pooling = 120;
    ActivationParams activation = 130;
    InnerProductLayerParams innerProduct = 140;
    BatchnormLayerParams batchnorm = 160;
    SoftmaxLayerParams softmax = 175;
    PaddingLayerParams padding = 200;
    AddLayerParams add = 230;
    MultiplyLayerParams multiply = 231;
    ScaleLayerParams scale = 245;
    FlattenLayerParams flatten = 301;
    ConcatLayerParams concat = 320;
    ClipLayerParams clip = 660;
  }
}

message ActivationLinear { float alpha = 1; float beta = 2; }
message ActivationReLU {}
message ActivationLeakyReLU { float alpha = 1; }
message ActivationTanh {}
message ActivationSigmoid {}
message ActivationELU { float alpha = 1; }
message ActivationSoftplus {}
message ActivationParams {
  oneof NonlinearityType {
    ActivationLinear linear = 5;
    ActivationReLU ReLU = 10;
    ActivationLeakyReLU leakyReLU = 15;
    ActivationTanh tanh = 30;
    ActivationSigmoid sigmoid = 40;
    ActivationELU ELU = 50;
    ActivationSoftplus softplus = 70;
  }
}

message WeightParams {
  repeated float floatValue = 1;
  bytes float16Value = 2;
  bytes rawValue = 30;
  QuantizationParams quantization = 40;
}
message QuantizationParams {
  uint64 numberOfBits = 1;
  oneof QuantizationType {
    LinearQuantizationParams linearQuantization = 101;
    LookUpTableQuantizationParams lookupTableQuantization = 102;
  }
}
message LinearQuantizationParams {
  repeated float scale = 1;
  repeated float bias = 2;
}
message LookUpTableQuantizationParams {
  repeated float floatValue = 1;
}

message BorderAmounts {
  message EdgeSizes {
    uint64 startEdgeSize = 1;
    uint64 endEdgeSize = 2;
  }
  repeated EdgeSizes borderAmounts = 10;
}
message ValidPadding { BorderAmounts paddingAmounts = 1; }
message SamePadding {
  enum SamePaddingMode {
    BOTTOM_RIGHT_HEAVY = 0;
    TOP_LEFT_HEAVY = 1;
  }
  SamePaddingMode asymmetryMode = 1;
}

message ConvolutionLayerParams {
  uint64 outputChannels = 1;
  uint64 kernelChannels = 2;
  uint64 nGroups = 10;
  repeated uint64 kernelSize = 20;
  repeated uint64 stride = 30;
  repeated uint64 dilationFactor = 40;
  oneof ConvolutionPaddingType {
    ValidPadding valid = 50;
    SamePadding same = 51;
  }
  bool isDeconvolution = 60;
  bool hasBias = 70;
  WeightParams weights = 90;
  WeightParams bias = 91;
}
message InnerProductLayerParams {
  uint64 inputChannels = 1;
  uint64 outputChannels = 2;
  bool hasBias = 10;
  WeightParams weights = 20;
  WeightParams bias = 21;
}
message BatchnormLayerParams {
  uint64 channels = 1;
  bool computeMeanVar = 5;
  bool instanceNormalization = 6;
  float epsilon = 10;
  WeightParams gamma = 15;
  WeightParams beta = 16;
  WeightParams mean = 17;
  WeightParams variance = 18;
}
message PoolingLayerParams {
  enum PoolingType {
    MAX = 0;
    AVERAGE = 1;
    L2 = 2;
  }
  PoolingType type = 1;
  repeated uint64 kernelSize = 10;
  repeated uint64 stride = 20;
  oneof PoolingPaddingType {
    ValidPadding valid = 30;
    SamePadding same = 31;
  }
  bool avgPoolExcludePadding = 50;
  bool globalPooling = 60;
}
message PaddingLayerParams {
  message PaddingConstant { float value = 1; }
  oneof PaddingType { PaddingConstant constant = 1; }
  BorderAmounts paddingAmounts = 10;
}
message SoftmaxLayerParams {}
message AddLayerParams { float alpha = 1; }
message MultiplyLayerParams { float alpha = 1; }
message ScaleLayerParams {
  repeated uint64 shapeScale = 1;
  WeightParams scale = 2;
  bool hasBias = 3;
  repeated uint64 shapeBias = 4;
  WeightParams bias = 5;
}
message FlattenLayerParams {
  enum FlattenOrder {
    CHANNEL_FIRST = 0;
    CHANNEL_LAST = 1;
  }
  FlattenOrder mode = 1;
}
message ConcatLayerParams { bool sequenceConcat = 100; }
message ClipLayerParams { float minVal = 1; float maxVal = 2; }
`;

let root: protobuf.Root | undefined;

/** The parsed schema's Model message type. */
export function modelType(): protobuf.Type {
  root ??= protobuf.parse(COREML_PROTO, { keepCase: true }).root;
  return root.lookupType('CoreML.Specification.Model');
}

/** Core ML specification version written: 4 (iOS 13 / macOS 10.15), for EXACT_ARRAY_MAPPING and the clip layer. */
export const COREML_SPEC_VERSION = 4;
/** ArrayFeatureType.FLOAT32. */
export const ARRAY_FLOAT32 = 65568;
