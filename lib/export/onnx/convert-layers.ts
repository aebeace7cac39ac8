// Converters of the layers without weights to quantize: BatchNormalization, activations,
// Flatten (NCHW values are transposed back to NHWC first, so the flattened order is tfjs's),
// Dropout (removed: inference is the identity), Add, Concatenate.
import { Converter, OnnxValue, config, emitActivation, layerWeights, unsupported } from './context';

/** ONNX axis of tfjs axis `axis` of a value (batch included; rank-4 values are NCHW). */
export function onnxAxis(v: OnnxValue, axis: number): number {
  const rank = v.shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  return v.nchw ? ([0, 2, 3, 1][a] as number) : a;
}

export const convertBatchNormalization: Converter = (ctx, node, [x]) => {
  const input = x as OnnxValue;
  const axis = config<number>(node, 'axis') ?? -1;
  const channelAxis = onnxAxis(input, axis);
  if (channelAxis !== 1)
    throw unsupported(
      node,
      `axis ${axis} on a rank-${input.shape.length + 1} input`,
      'Normalize over the channel (last) axis',
    );
  const ws = layerWeights(node);
  const c = input.shape[input.shape.length - 1] as number;
  const scale = config<boolean>(node, 'scale') !== false;
  const center = config<boolean>(node, 'center') !== false;
  let i = 0;
  const gamma = scale ? (ws[i++] as { data: Float32Array }).data : new Float32Array(c).fill(1);
  const beta = center ? (ws[i++] as { data: Float32Array }).data : new Float32Array(c);
  const mean = (ws[i++] as { data: Float32Array }).data;
  const variance = (ws[i++] as { data: Float32Array }).data;
  const g = ctx.g;
  const inputs = [
    input.name,
    g.constant(`${node.name}_gamma`, gamma, [c]),
    g.constant(`${node.name}_beta`, beta, [c]),
    g.constant(`${node.name}_mean`, mean, [c]),
    g.constant(`${node.name}_variance`, variance, [c]),
  ];
  const y = g.op('BatchNormalization', inputs, node.name, {
    epsilon: { float: config<number>(node, 'epsilon') ?? 1e-3 },
  });
  return { ...input, name: y };
};

export const convertActivation: Converter = (ctx, node, [x]) => {
  const input = x as OnnxValue;
  return {
    ...input,
    name: emitActivation(ctx.g, node, input.name, config<string>(node, 'activation'), onnxAxis(input, -1)),
  };
};

export const convertReLU: Converter = (ctx, node, [x]) => {
  const input = x as OnnxValue;
  const maxValue = config<number | null>(node, 'maxValue');
  if (maxValue === 6) return { ...input, name: emitActivation(ctx.g, node, input.name, 'relu6', 1) };
  if (maxValue !== null && maxValue !== undefined)
    throw unsupported(node, `maxValue ${maxValue}`, 'Use ReLU without maxValue or with 6');
  return { ...input, name: emitActivation(ctx.g, node, input.name, 'relu', 1) };
};

export const convertSoftmax: Converter = (ctx, node, [x]) => {
  const input = x as OnnxValue;
  const axis = config<number | number[]>(node, 'axis') ?? -1;
  if (Array.isArray(axis)) throw unsupported(node, 'several axes', 'Use one softmax axis');
  return { ...input, name: emitActivation(ctx.g, node, input.name, 'softmax', onnxAxis(input, axis)) };
};

export const convertFlatten: Converter = (ctx, node, [x]) => {
  const input = x as OnnxValue;
  if (input.shape.length === 1) return input;
  const nhwc = input.nchw
    ? ctx.g.op('Transpose', [input.name], `${node.name}_nhwc`, { perm: { ints: [0, 2, 3, 1] } })
    : input.name;
  return { name: ctx.g.op('Flatten', [nhwc], node.name, { axis: { int: 1 } }), shape: node.outputShape, nchw: false };
};

export const convertDropout: Converter = (_ctx, _node, [x]) => x as OnnxValue;

export const convertAdd: Converter = (ctx, node, inputs) => {
  let y = (inputs[0] as OnnxValue).name;
  for (let i = 1; i < inputs.length; i++) {
    y = ctx.g.op('Add', [y, (inputs[i] as OnnxValue).name], i === inputs.length - 1 ? node.name : `${node.name}_${i}`);
  }
  return { ...(inputs[0] as OnnxValue), name: y };
};

export const convertConcatenate: Converter = (ctx, node, inputs) => {
  const first = inputs[0] as OnnxValue;
  if (inputs.some((v) => v.nchw !== first.nchw))
    throw unsupported(node, 'inputs of different ranks', 'Concatenate tensors of one rank');
  const axis = onnxAxis(first, config<number>(node, 'axis') ?? -1);
  return {
    name: ctx.g.op(
      'Concat',
      inputs.map((v) => v.name),
      node.name,
      { axis: { int: axis } },
    ),
    shape: node.outputShape,
    nchw: first.nchw,
  };
};
