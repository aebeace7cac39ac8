// Conv2D and DepthwiseConv2D -> ONNX Conv (NCHW). Kernels: tfjs Conv2D [kh, kw, in, out] ->
// ONNX [out, in, kh, kw]; DepthwiseConv2D [kh, kw, in, mult] -> [in * mult, 1, kh, kw] with
// group = in (output channel c * mult + m, as tfjs orders them). 'same' padding is made
// explicit the way TensorFlow pads (extra row/column at the bottom/right).
import { convPadding } from '../../core/conv-padding';
import {
  Converter,
  ConvertContext,
  OnnxValue,
  config,
  dequantizeConstant,
  emitActivation,
  emitBias,
  layerWeights,
  quantizedData,
  transposeData,
  unsupported,
} from './context';
import { GraphNode } from '../../core/graph';
import { checkTargetKernel } from './targets';
import { pair } from '../../core/pair';

function convert(ctx: ConvertContext, node: GraphNode, input: OnnxValue, depthwise: boolean): OnnxValue {
  const { g } = ctx;
  if (config<string>(node, 'dataFormat') === 'channelsFirst')
    throw unsupported(node, 'dataFormat channelsFirst', 'Use channelsLast (the tfjs default)');
  const [h, w] = input.shape as [number, number, number];
  const kernelSize = pair(config(node, 'kernelSize'), 1);
  const strides = pair(config(node, 'strides'), 1);
  const dilations = pair(config(node, 'dilationRate'), 1);
  const p = convPadding(config<'same' | 'valid'>(node, 'padding'), [h, w], kernelSize, strides, dilations);
  const [kernel, bias] = layerWeights(node);
  if (!kernel) throw unsupported(node, 'no kernel', 'Build the model before exporting');
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  const perm = depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1];
  const dims = depthwise ? [cin * cout, 1, kh, kw] : [cout, cin, kh, kw];
  // Dynamic plans leave convolutions float (see quantize's weightPlan).
  const wq = ctx.plan?.mode !== 'dynamic' ? ctx.plan?.weights[node.name] : undefined;
  const base = node.name;
  let wName: string;
  let bName: string | undefined;
  if (wq) {
    if (wq.blockSize !== undefined)
      throw unsupported(
        node,
        'blockwise weights',
        'Quantize convolution kernels per channel (weight-only int4 keeps them 8-bit)',
      );
    checkTargetKernel(ctx.target, node, wq);
    // Per-channel scales must run along ONNX's output-channel axis 0.
    if (wq.axis !== undefined && !(wq.axis === 3 && !depthwise) && !(depthwise && wq.axis === 2 && cout === 1)) {
      throw unsupported(
        node,
        `weights quantized per channel along tfjs axis ${wq.axis}`,
        'Quantize Conv2D kernels along axis -1 and depthwise kernels (multiplier 1) along axis 2',
      );
    }
    wName = dequantizeConstant(
      g,
      `${base}_kernel`,
      transposeData(quantizedData(kernel.data, kernel.shape, wq), kernel.shape, perm),
      dims,
      wq,
      0,
    );
    if (bias) bName = emitBias(ctx, base, bias.data, input, wq);
  } else {
    wName = g.constant(`${base}_kernel`, transposeData(kernel.data, kernel.shape, perm), dims);
    if (bias) bName = g.constant(`${base}_bias`, bias.data, [dims[0] as number]);
  }
  let y = g.op('Conv', bName ? [input.name, wName, bName] : [input.name, wName], base, {
    kernel_shape: { ints: kernelSize },
    strides: { ints: strides },
    dilations: { ints: dilations },
    pads: { ints: [p.top, p.left, p.bottom, p.right] },
    group: { int: depthwise ? cin : 1 },
  });
  y = emitActivation(g, node, y, config<string>(node, 'activation') ?? 'linear', 1);
  return { name: y, shape: node.outputShape, nchw: true };
}

export const convertConv2D: Converter = (ctx, node, [x]) => convert(ctx, node, x as OnnxValue, false);
export const convertDepthwiseConv2D: Converter = (ctx, node, [x]) => convert(ctx, node, x as OnnxValue, true);
