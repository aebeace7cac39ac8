// Quantization: primitives (qparams, affine ops, float16), calibration observers, post-training
// quantization, quantization-aware training, weight sharing and Huffman coding.
export { chooseQParams, qparamsFromRange, integerRange, broadcastParams, resolveAxis } from './qparams';
export type { QuantSpec, QParams } from './qparams';
export { quantize, dequantize, fakeQuantize, sqnr } from './affine';
export { toFloat16, fromFloat16, toFloat16Bits, fromFloat16Bits } from './float16';
