// Core ML converters: Dense -> innerProduct (weights [C_out, C_in]), Conv2D -> convolution
// (OIHW), DepthwiseConv2D -> convolution with nGroups = C_in and kernelChannels 1
// ([C_in * mult, 1, kh, kw]), pooling (global pooling for GlobalAverage/MaxPooling2D),
// batchnorm, activations (relu6 as clip [0, 6]; swish as sigmoid * x), softmax (over C, axis -3),
// add, multiply, concat (over C), flatten (CHANNEL_LAST: tfjs's H, W, C order, so the next
// Dense needs no reordering), padding, scale (Rescaling). Padding 'same' is Core ML's
// BOTTOM_RIGHT_HEAVY, TensorFlow's rule.
import { ExportError } from '../../errors';
import { GraphNode } from '../../core/graph';
import { Converter, CoreMLContext, CoreMLValue, coremlShape } from './context';
import { config, exporterReaders, transpose4 } from '../layer-data';
import { pair } from '../../core/pair';

const { layerWeights, batchNormParams, unsupported } = exporterReaders('toCoreML');

function paddingOf(node: GraphNode): { valid: object } | { same: { asymmetryMode: number } } {
  const p = config<string>(node, 'padding');
  if (p === 'valid') return { valid: {} };
  if (p === 'same') return { same: { asymmetryMode: 0 } };
  throw unsupported(node, `padding '${p}'`, "Use padding 'same' or 'valid'");
}

function channelsLast(node: GraphNode): void {
  if (config<string>(node, 'dataFormat') === 'channelsFirst')
    throw unsupported(node, "dataFormat 'channelsFirst'", "Use dataFormat 'channelsLast'");
}

/** Writes activation `act` (a Keras name) after `x`. */
export function emitActivation(
  ctx: CoreMLContext,
  node: GraphNode,
  x: CoreMLValue,
  act: string,
  suffix = '',
): CoreMLValue {
  const name = `${node.name}${suffix}`;
  const activation = (params: object) => ctx.layer(name, [x], 'activation', params, x.shape);
  switch (act) {
    case 'linear':
      return x;
    case 'relu':
      return activation({ ReLU: {} });
    case 'relu6':
      return ctx.layer(name, [x], 'clip', { minVal: 0, maxVal: 6 }, x.shape);
    case 'sigmoid':
      return activation({ sigmoid: {} });
    case 'tanh':
      return activation({ tanh: {} });
    case 'elu':
      return activation({ ELU: { alpha: 1 } });
    case 'softplus':
      return activation({ softplus: {} });
    case 'softmax':
      return ctx.layer(name, [x], 'softmax', {}, x.shape);
    case 'swish': {
      const gate = ctx.layer(`${name}/sigmoid`, [x], 'activation', { sigmoid: {} }, x.shape);
      return ctx.layer(name, [x, gate], 'multiply', {}, x.shape);
    }
    default:
      throw unsupported(
        node,
        `activation '${act}'`,
        'Use linear, relu, relu6, sigmoid, tanh, elu, softplus, softmax or swish',
      );
  }
}

/** The layer's inline activation after its own layer (suffix "/activation"). */
function inline(ctx: CoreMLContext, node: GraphNode, y: CoreMLValue): CoreMLValue {
  return emitActivation(ctx, node, y, node.entry?.activation?.(node.config) ?? 'linear', '/activation');
}

export const convertDense: Converter = (ctx, node, [x]) => {
  if ((node.inputShapes[0]?.length ?? 0) !== 1)
    throw unsupported(
      node,
      `a rank-${node.inputShapes[0]?.length} input`,
      'Put a Flatten (or GlobalAveragePooling2D) before the Dense layer',
    );
  const [k, b] = layerWeights(node);
  const [inF, units] = (k as { shape: number[] }).shape as [number, number];
  const weights = transpose4((k as { data: Float32Array }).data, [1, 1, inF, units], [0, 1, 3, 2]); // [in, units] -> [units, in]
  const hasBias = config<boolean>(node, 'useBias') !== false && !!b;
  const y = ctx.layer(
    node.name,
    [x as CoreMLValue],
    'innerProduct',
    {
      inputChannels: inF,
      outputChannels: units,
      hasBias,
      weights: ctx.kernel(node, weights, units),
      ...(hasBias ? { bias: ctx.plain((b as { data: Float32Array }).data) } : {}),
    },
    [1, units, 1, 1],
  );
  return inline(ctx, node, y);
};

function convolution(ctx: CoreMLContext, node: GraphNode, x: CoreMLValue, depthwise: boolean): CoreMLValue {
  channelsLast(node);
  const [k, b] = layerWeights(node);
  const [kh, kw, inC, last] = (k as { shape: number[] }).shape as [number, number, number, number];
  const outC = depthwise ? inC * last : last;
  // Conv2D [kh, kw, in, out] -> OIHW; depthwise [kh, kw, in, mult] -> [in * mult, 1, kh, kw] (output channel c * mult + m).
  const weights = transpose4(
    (k as { data: Float32Array }).data,
    [kh, kw, inC, last],
    depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1],
  );
  const hasBias = config<boolean>(node, 'useBias') !== false && !!b;
  const y = ctx.layer(
    node.name,
    [x],
    'convolution',
    {
      outputChannels: outC,
      kernelChannels: depthwise ? 1 : inC,
      nGroups: depthwise ? inC : 1,
      kernelSize: [kh, kw],
      stride: pair(config(node, 'strides'), 1),
      dilationFactor: pair(config(node, 'dilationRate'), 1),
      ...paddingOf(node),
      hasBias,
      weights: ctx.kernel(node, weights, outC),
      ...(hasBias ? { bias: ctx.plain((b as { data: Float32Array }).data) } : {}),
    },
    coremlShape(node, node.outputShape),
  );
  return inline(ctx, node, y);
}

export const convertConv2D: Converter = (ctx, node, [x]) => convolution(ctx, node, x as CoreMLValue, false);
export const convertDepthwiseConv2D: Converter = (ctx, node, [x]) => convolution(ctx, node, x as CoreMLValue, true);

function pooling(type: 0 | 1, global: boolean): Converter {
  return (ctx, node, [x]) => {
    channelsLast(node);
    if (global) {
      if (config<boolean>(node, 'keepDims')) throw unsupported(node, 'keepDims true', 'Use keepDims false');
      const input = x as CoreMLValue;
      return ctx.layer(node.name, [input], 'pooling', { type, globalPooling: true, valid: {} }, [
        1,
        input.shape[1],
        1,
        1,
      ]);
    }
    const kernel = pair(config(node, 'poolSize'), 2);
    return ctx.layer(
      node.name,
      [x as CoreMLValue],
      'pooling',
      {
        type,
        kernelSize: kernel,
        stride: pair(config(node, 'strides') ?? kernel, 1),
        ...paddingOf(node),
        // TensorFlow averages over the window's valid (unpadded) values.
        avgPoolExcludePadding: type === 1,
      },
      coremlShape(node, node.outputShape),
    );
  };
}

export const convertMaxPooling2D = pooling(0, false);
export const convertAveragePooling2D = pooling(1, false);
export const convertGlobalMaxPooling2D = pooling(0, true);
export const convertGlobalAveragePooling2D = pooling(1, true);

export const convertBatchNormalization: Converter = (ctx, node, [x]) => {
  const axis = config<number | undefined>(node, 'axis') ?? -1;
  if (!(axis === -1 || axis === node.outputShape.length))
    throw unsupported(node, `axis ${axis}`, 'Normalize over the channel (last) axis');
  const { gamma, beta, mean, variance, epsilon } = batchNormParams(node);
  return ctx.layer(
    node.name,
    [x as CoreMLValue],
    'batchnorm',
    {
      channels: gamma.length,
      epsilon,
      gamma: ctx.plain(gamma),
      beta: ctx.plain(beta),
      mean: ctx.plain(mean),
      variance: ctx.plain(variance),
    },
    (x as CoreMLValue).shape,
  );
};

export const convertActivation: Converter = (ctx, node, [x]) =>
  emitActivation(ctx, node, x as CoreMLValue, config<string>(node, 'activation') ?? 'linear');

export const convertReLU: Converter = (ctx, node, [x]) => {
  const maxValue = config<number | null | undefined>(node, 'maxValue');
  if (maxValue !== null && maxValue !== undefined && maxValue !== 6)
    throw unsupported(node, `maxValue ${maxValue}`, 'Use ReLU without maxValue or with 6');
  return emitActivation(ctx, node, x as CoreMLValue, maxValue === 6 ? 'relu6' : 'relu');
};

export const convertLeakyReLU: Converter = (ctx, node, [x]) =>
  ctx.layer(
    node.name,
    [x as CoreMLValue],
    'activation',
    { leakyReLU: { alpha: config<number | undefined>(node, 'alpha') ?? 0.3 } },
    (x as CoreMLValue).shape,
  );

export const convertSoftmax: Converter = (ctx, node, [x]) => {
  const axis = config<number | undefined>(node, 'axis') ?? -1;
  if (!(axis === -1 || axis === node.outputShape.length))
    throw unsupported(node, `axis ${axis}`, 'Use softmax over the last (channel) axis');
  return emitActivation(ctx, node, x as CoreMLValue, 'softmax');
};

function elementwise(type: 'add' | 'multiply'): Converter {
  return (ctx, node, inputs) => ctx.layer(node.name, inputs, type, {}, coremlShape(node, node.outputShape));
}
export const convertAdd = elementwise('add');
export const convertMultiply = elementwise('multiply');

export const convertConcatenate: Converter = (ctx, node, inputs) => {
  const axis = config<number | undefined>(node, 'axis') ?? -1;
  if (!(axis === -1 || axis === node.outputShape.length))
    throw unsupported(node, `axis ${axis}`, 'Concatenate along the channel (last) axis');
  return ctx.layer(node.name, inputs, 'concat', {}, coremlShape(node, node.outputShape));
};

export const convertFlatten: Converter = (ctx, node, [x]) => {
  const input = x as CoreMLValue;
  if (input.shape[2] === 1 && input.shape[3] === 1) return input; // already [1, C, 1, 1]
  // CHANNEL_LAST: flattened in H, W, C order, tfjs's.
  return ctx.layer(node.name, [input], 'flatten', { mode: 1 }, [
    1,
    input.shape[1] * input.shape[2] * input.shape[3],
    1,
    1,
  ]);
};

export const convertReshape: Converter = (_ctx, node, [x]) => {
  const input = x as CoreMLValue;
  const out = coremlShape(
    node,
    node.outputShape.length === 3 && node.outputShape[0] === 1 && node.outputShape[1] === 1
      ? [node.outputShape[2] as number]
      : node.outputShape,
  );
  // [C] <-> [1, 1, C] are both [1, C, 1, 1] here: nothing to move.
  if (out.every((d, i) => d === input.shape[i])) return input;
  throw unsupported(
    node,
    `target shape [${node.outputShape.join(', ')}]`,
    'Core ML export supports Reshape between [C] and [1, 1, C] only: flatten with Flatten instead',
  );
};

export const convertZeroPadding2D: Converter = (ctx, node, [x]) => {
  channelsLast(node);
  const p = config<unknown>(node, 'padding');
  const [[t, b], [l, r]] =
    typeof p === 'number'
      ? [
          [p, p],
          [p, p],
        ]
      : ((p as unknown[]).map((s) => pair(s, 0)) as [[number, number], [number, number]]);
  return ctx.layer(
    node.name,
    [x as CoreMLValue],
    'padding',
    {
      constant: { value: 0 },
      paddingAmounts: {
        borderAmounts: [
          { startEdgeSize: t, endEdgeSize: b },
          { startEdgeSize: l, endEdgeSize: r },
        ],
      },
    },
    coremlShape(node, node.outputShape),
  );
};

export const convertIdentity: Converter = (_ctx, _node, [x]) => x as CoreMLValue;

export const convertRescaling: Converter = (ctx, node, [x]) => {
  const arr = (v: unknown, def: number) => Float32Array.from(Array.isArray(v) ? v.map(Number) : [Number(v ?? def)]);
  const scale = arr(config(node, 'scale'), 1);
  const offset = arr(config(node, 'offset'), 0);
  if (![...scale, ...offset].every(Number.isFinite))
    throw new ExportError(
      `toCoreML: finite Rescaling scale and offset, got ${JSON.stringify([config(node, 'scale'), config(node, 'offset')])} in layer "${node.name}". Set them to numbers.`,
    );
  return ctx.layer(
    node.name,
    [x as CoreMLValue],
    'scale',
    {
      shapeScale: [scale.length],
      scale: ctx.plain(scale),
      hasBias: true,
      shapeBias: [offset.length],
      bias: ctx.plain(offset),
    },
    (x as CoreMLValue).shape,
  );
};
