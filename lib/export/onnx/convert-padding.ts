// ZeroPadding2D -> Pad (constant 0). Keras/tfjs padding is ((top, bottom), (left, right)) on the
// NHWC height and width axes; inside the graph the value is NCHW, and ONNX's `pads` lists every
// axis's begin, then every axis's end: [0, 0, top, left, 0, 0, bottom, right].
import { Converter, OnnxValue, config, unsupported } from './context';

export const convertZeroPadding2D: Converter = (ctx, node, [x]) => {
  const input = x as OnnxValue;
  if (config<string>(node, 'dataFormat') === 'channelsFirst')
    throw unsupported(node, 'dataFormat channelsFirst', 'Use channelsLast (the tfjs default)');
  if (!input.nchw || input.shape.length !== 3)
    throw unsupported(node, `a rank-${input.shape.length + 1} input`, 'Pad images (batch, height, width, channels)');
  const [[top, bottom], [left, right]] = config<[[number, number], [number, number]]>(node, 'padding');
  const pads = ctx.g.int64s(`${node.name}_pads`, [0, 0, top, left, 0, 0, bottom, right]);
  return {
    ...input,
    name: ctx.g.op('Pad', [input.name, pads], node.name, { mode: { str: 'constant' } }),
    shape: node.outputShape,
  };
};
