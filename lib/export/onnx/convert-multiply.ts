// Multiply -> Mul (elementwise, with ONNX's numpy broadcasting). Squeeze-excite multiplies an
// NCHW feature map [N, C, H, W] by per-channel gates [N, C, 1, 1]: tfjs's NHWC [N, H, W, C] x
// [N, 1, 1, C] broadcasts the same way once both are NCHW. Inputs must share a layout.
import { Converter, OnnxValue, unsupported } from './context';

export const convertMultiply: Converter = (ctx, node, inputs) => {
  const first = inputs[0] as OnnxValue;
  if (inputs.some((v) => v.nchw !== first.nchw || v.shape.length !== first.shape.length)) {
    throw unsupported(
      node,
      `inputs of ranks ${inputs.map((v) => v.shape.length + 1).join(' and ')}`,
      'Reshape the inputs to one rank first (e.g. [1, 1, C] for per-channel gates)',
    );
  }
  let y = first.name;
  for (let i = 1; i < inputs.length; i++) {
    y = ctx.g.op('Mul', [y, (inputs[i] as OnnxValue).name], i === inputs.length - 1 ? node.name : `${node.name}_${i}`);
  }
  return { name: y, shape: node.outputShape, nchw: first.nchw };
};
