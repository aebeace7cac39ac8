// Converters of the layers with a kernel: Dense -> FULLY_CONNECTED, Conv2D -> CONV_2D,
// DepthwiseConv2D -> DEPTHWISE_CONV_2D, each with its bias and fused ReLU/ReLU6, and a
// BatchNormalization after it folded in (float export). Layouts: tfjs Dense [in, units] ->
// TFLite [units, in]; tfjs Conv2D [kh, kw, inC, outC] -> OHWI [outC, kh, kw, inC] (per-channel
// quantized_dimension 0); tfjs DepthwiseConv2D [kh, kw, inC, mult] -> [1, kh, kw, inC * mult]
// (same order, quantized_dimension 3). INT8: symmetric int8 kernels, int32 biases; per channel
// for the convolutions, per tensor for FULLY_CONNECTED unless asked (TFLite 2.9's int8
// FULLY_CONNECTED kernel reads one scale).
import { ActivationFunction, BuiltinOptions, Padding, Slots } from './schema';
import { Converter, OutputPlan, TfliteContext, TfliteValue, options } from './context';
import { f, table } from './flatbuffer';
import { OperatorOptions } from './model-writer';
import { GraphNode } from '../../core/graph';
import { kernelOutputChannels } from '../../core/layers';
import { QParams } from '../../quantize/qparams';
import {
  checkKernelParams,
  config,
  layerWeights,
  perTensor,
  quantizeBias,
  quantizeKernel,
  transpose4,
  unsupported,
} from './weights';
import { pair } from '../../core/pair';
import { foldBatchNormInto } from '../../core/batchnorm';

/** What a kernel layer writes, in TFLite terms. */
interface KernelOp {
  readonly op: 'FULLY_CONNECTED' | 'CONV_2D' | 'DEPTHWISE_CONV_2D';
  /** Kernel and bias (tfjs layout; a following BatchNormalization already folded in). */
  readonly kernel: Float32Array;
  readonly kernelShape: readonly number[];
  readonly bias: Float32Array;
  /** tfjs layout -> TFLite layout. */
  readonly layout: <T extends Float32Array | Int8Array>(data: T) => T;
  readonly tfliteShape: readonly number[];
  /** TFLite's per-channel axis of the kernel. */
  readonly quantizedDimension: number;
  readonly options: OperatorOptions;
  readonly outShape: readonly number[];
}

/** Kernel and bias of `node`, with `out.batchNorm` folded in: W'[..., c] = W * scale[c], b' = b * scale[c] + shift[c]. */
function kernelAndBias(
  node: GraphNode,
  out: OutputPlan,
): { kernel: Float32Array; shape: number[]; bias: Float32Array } {
  const ws = layerWeights(node);
  const k = ws[0] as { data: Float32Array; shape: number[] };
  const channels = kernelOutputChannels(node.entry, k.shape);
  const useBias = config<boolean>(node, 'useBias') !== false;
  const bias = useBias && ws[1] ? Float32Array.from(ws[1].data) : new Float32Array(channels);
  if (!out.batchNorm) return { kernel: k.data, shape: k.shape, bias };
  return { ...foldBatchNormInto(k.data, bias, channels, out.batchNorm), shape: k.shape };
}

/** Writes the op in int8 when the plan quantizes its kernel and its input and output have grids; else float32. */
function emitKernelOp(ctx: TfliteContext, node: GraphNode, x: TfliteValue, out: OutputPlan, k: KernelOp): TfliteValue {
  const planned = ctx.quant?.weight(node.name);
  if (planned && ctx.int8([x], out)) {
    checkKernelParams(node, planned);
    let qp: QParams = planned;
    if (k.op === 'FULLY_CONNECTED' && qp.axis !== undefined && !ctx.options.perChannelFullyConnected) {
      qp = perTensor(qp, k.kernel);
      ctx.notes.push(
        `${node.name}: FULLY_CONNECTED kernel re-quantized per tensor (scale ${qp.scale[0]}), as TFLite 2.9's int8 kernel reads one scale`,
      );
    }
    const input = ctx.asInt8(x, node.inputs[0] as string);
    const inScale = (x.grid as QParams).scale[0] as number;
    const perChannel = qp.axis !== undefined;
    const w = ctx.constant(
      `${node.name}/kernel`,
      k.layout(quantizeKernel(k.kernel, k.kernelShape, qp)),
      k.tfliteShape,
      {
        scale: Array.from(qp.scale),
        zeroPoint: Array.from(qp.scale, () => 0),
        ...(perChannel ? { dimension: k.quantizedDimension } : {}),
      },
    );
    const bias = quantizeBias(k.bias, inScale, qp);
    const b = ctx.constant(`${node.name}/bias`, bias.data, [k.bias.length], {
      scale: bias.scale,
      zeroPoint: bias.scale.map(() => 0),
      ...(perChannel ? { dimension: 0 } : {}),
    });
    const y = ctx.output(node.name, k.outShape, out.grid);
    ctx.op(k.op, true, [input, w, b], [y.int8 as number], k.options);
    return y;
  }
  if (ctx.quant) {
    ctx.ranInFloat(
      node,
      !planned
        ? 'its kernel is not quantized in the plan'
        : !out.grid
          ? 'no calibrated grid at its output (an inline activation TFLite cannot fuse)'
          : 'its input has no grid',
    );
  }
  const input = ctx.asFloat(x, node.inputs[0] as string);
  const w = ctx.constant(`${node.name}/kernel`, k.layout(k.kernel), k.tfliteShape);
  const b = ctx.constant(`${node.name}/bias`, k.bias, [k.bias.length]);
  const y = ctx.output(node.name, k.outShape, undefined);
  ctx.op(k.op, false, [input, w, b], [y.float as number], k.options);
  return y;
}

function padding(node: GraphNode): number {
  const p = config<string>(node, 'padding');
  if (p === 'same') return Padding.SAME;
  if (p === 'valid') return Padding.VALID;
  throw unsupported(
    node,
    `padding '${p}'`,
    "Use padding 'same' or 'valid' (or a ZeroPadding2D before a 'valid' convolution)",
  );
}

function checkChannelsLast(node: GraphNode): void {
  if (config<string>(node, 'dataFormat') === 'channelsFirst')
    throw unsupported(node, "dataFormat 'channelsFirst'", "Use dataFormat 'channelsLast' (TFLite is NHWC)");
}

export const convertDense: Converter = (ctx, node, [x], out) => {
  const input = x as TfliteValue;
  const { kernel, shape, bias } = kernelAndBias(node, out);
  const [inF, units] = shape as [number, number];
  const S = Slots.FullyConnectedOptions;
  const keepDims = input.shape.length > 2;
  return emitKernelOp(ctx, node, input, out, {
    op: 'FULLY_CONNECTED',
    kernel,
    kernelShape: shape,
    bias,
    // [in, units] -> [units, in]
    layout: (d) => transpose4(d, [1, 1, inF, units], [0, 1, 3, 2]),
    tfliteShape: [units, inF],
    quantizedDimension: 0,
    options: options(BuiltinOptions.FullyConnectedOptions, (b) =>
      table(b, S.numFields, {
        [S.fused_activation_function]: f.int8(ActivationFunction[out.activation]),
        [S.keep_num_dims]: keepDims ? f.bool(true) : undefined,
      }),
    ),
    outShape: [...input.shape.slice(0, -1), units],
  });
};

/** CONV_2D or DEPTHWISE_CONV_2D: the same window options, their own kernel layout and channel axis. */
function convolution(depthwise: boolean): Converter {
  return (ctx, node, [x], out) => {
    checkChannelsLast(node);
    const { kernel, shape, bias } = kernelAndBias(node, out);
    const [kh, kw, inC, last] = shape as [number, number, number, number];
    const [sh, sw] = pair(config(node, 'strides'), 1);
    const [dh, dw] = pair(config(node, 'dilationRate'), 1);
    const S = depthwise ? Slots.DepthwiseConv2DOptions : Slots.Conv2DOptions;
    const window = {
      [S.padding]: f.int8(padding(node)),
      [S.stride_w]: f.int32(sw),
      [S.stride_h]: f.int32(sh),
      [S.fused_activation_function]: f.int8(ActivationFunction[out.activation]),
      [S.dilation_w_factor]: f.int32(dw, 1),
      [S.dilation_h_factor]: f.int32(dh, 1),
    };
    const common = {
      kernel,
      kernelShape: shape,
      bias,
      outShape: [(x as TfliteValue).shape[0] as number, ...node.outputShape],
    };
    if (depthwise) {
      const D = Slots.DepthwiseConv2DOptions;
      return emitKernelOp(ctx, node, x as TfliteValue, out, {
        ...common,
        op: 'DEPTHWISE_CONV_2D',
        // [kh, kw, inC, mult] -> [1, kh, kw, inC * mult]: the same order, channel c * mult + m.
        layout: (d) => d,
        tfliteShape: [1, kh, kw, inC * last],
        quantizedDimension: 3,
        options: options(BuiltinOptions.DepthwiseConv2DOptions, (b) =>
          table(b, D.numFields, { ...window, [D.depth_multiplier]: f.int32(last) }),
        ),
      });
    }
    return emitKernelOp(ctx, node, x as TfliteValue, out, {
      ...common,
      op: 'CONV_2D',
      // [kh, kw, inC, outC] -> OHWI [outC, kh, kw, inC]
      layout: (d) => transpose4(d, shape, [3, 0, 1, 2]),
      tfliteShape: [last, kh, kw, inC],
      quantizedDimension: 0,
      options: options(BuiltinOptions.Conv2DOptions, (b) => table(b, Slots.Conv2DOptions.numFields, window)),
    });
  };
}

export const convertConv2D = convolution(false);
export const convertDepthwiseConv2D = convolution(true);
