// Activations: RELU, RELU6, LOGISTIC (sigmoid), TANH, SOFTMAX, LEAKY_RELU, ELU, and swish as
// LOGISTIC + MUL (x * sigmoid(x), exact; TFLite's HARD_SWISH is x * relu6(x + 3) / 6, another
// function). ReLU and ReLU6 right after a convolution, a Dense or an Add are fused into that op
// by the exporter and never reach these converters. TFLite's int8 LOGISTIC and SOFTMAX write on
// the fixed grid (1/256, -128) and TANH on (1/128, 0); the exporter then requantizes onto the
// plan's grid when it differs.
import { ExportError } from '../../errors';
import { GraphNode } from '../../core/graph';
import { QParams } from '../../quantize/qparams';
import { BuiltinOptions, OperatorName, Slots } from './schema';
import { Converter, TfliteContext, TfliteValue, fixedGrid, options } from './context';
import { OperatorOptions } from './model-writer';
import { f, table } from './flatbuffer';
import { config, unsupported } from './weights';

/** Activations the exporter writes (Keras names). */
export const TFLITE_ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'swish', 'elu'] as const;

/** Unary ops with an int8 kernel, and the fixed output grid of those that have one. */
const INT8_UNARY: Partial<Record<OperatorName, QParams | null>> = {
  RELU: null,
  RELU6: null,
  LEAKY_RELU: null,
  LOGISTIC: fixedGrid(1 / 256, -128),
  SOFTMAX: fixedGrid(1 / 256, -128),
  TANH: fixedGrid(1 / 128, 0),
};

/** One unary op on `x`, in int8 when `x` and the output have grids and TFLite has the int8 kernel. */
function unary(
  ctx: TfliteContext,
  node: GraphNode,
  x: TfliteValue,
  op: OperatorName,
  grid: QParams | undefined,
  opts?: OperatorOptions,
): TfliteValue {
  const name = `${node.name}/${op.toLowerCase()}`;
  const fixed = INT8_UNARY[op];
  if (fixed !== undefined && ctx.int8([x], { grid, activation: 'NONE' })) {
    const input = ctx.asInt8(x, node.inputs[0] as string);
    const y = ctx.output(name, x.shape, fixed ?? grid);
    ctx.op(op, true, [input], [y.int8 as number], opts);
    return y;
  }
  if (ctx.quant && grid)
    ctx.ranInFloat(node, fixed === undefined ? `${op} runs in float32 here` : 'its input has no grid');
  const input = ctx.asFloat(x, node.inputs[0] as string);
  const y = ctx.output(name, x.shape, undefined);
  ctx.op(op, false, [input], [y.float as number], opts);
  return y;
}

/**
 * Writes activation `act` (a Keras name) on `x`; `grid` is the plan's grid of the result.
 * ExportError for an activation without a TFLite op.
 */
export function emitActivation(
  ctx: TfliteContext,
  node: GraphNode,
  x: TfliteValue,
  act: string,
  grid: QParams | undefined,
): TfliteValue {
  switch (act) {
    case 'linear':
      return x;
    case 'relu':
      return unary(ctx, node, x, 'RELU', grid);
    case 'relu6':
      return unary(ctx, node, x, 'RELU6', grid);
    case 'sigmoid':
      return unary(ctx, node, x, 'LOGISTIC', grid);
    case 'tanh':
      return unary(ctx, node, x, 'TANH', grid);
    case 'elu':
      return unary(ctx, node, x, 'ELU', grid);
    case 'softmax': {
      const S = Slots.SoftmaxOptions;
      return unary(
        ctx,
        node,
        x,
        'SOFTMAX',
        grid,
        options(BuiltinOptions.SoftmaxOptions, (b) => table(b, S.numFields, { [S.beta]: f.float32(1) })),
      );
    }
    case 'swish': {
      // x * sigmoid(x): the gate on LOGISTIC's fixed int8 grid, the product on the plan's grid.
      const gate = unary(ctx, node, x, 'LOGISTIC', grid);
      const M = Slots.MulOptions;
      const opts = options(BuiltinOptions.MulOptions, (b) => table(b, M.numFields, {}));
      if (gate.int8 !== undefined && grid) {
        const y = ctx.output(`${node.name}/swish`, x.shape, grid);
        ctx.op('MUL', true, [ctx.asInt8(x, node.inputs[0] as string), gate.int8], [y.int8 as number], opts);
        return y;
      }
      const y = ctx.output(`${node.name}/swish`, x.shape, undefined);
      ctx.op(
        'MUL',
        false,
        [ctx.asFloat(x, node.inputs[0] as string), ctx.asFloat(gate, node.name)],
        [y.float as number],
        opts,
      );
      return y;
    }
    default:
      throw unsupported(
        node,
        `activation '${act}'`,
        `Use one of ${TFLITE_ACTIVATIONS.join(', ')}, or replace the layer before exporting`,
      );
  }
}

export const convertActivation: Converter = (ctx, node, [x], out) =>
  emitActivation(ctx, node, x as TfliteValue, config<string>(node, 'activation') ?? 'linear', out.grid);

export const convertReLU: Converter = (ctx, node, [x], out) => {
  const maxValue = config<number | null | undefined>(node, 'maxValue');
  if (maxValue !== null && maxValue !== undefined && maxValue !== 6) {
    throw unsupported(
      node,
      `maxValue ${maxValue}`,
      'Use ReLU without maxValue or with maxValue 6 (TFLite has RELU and RELU6)',
    );
  }
  return emitActivation(ctx, node, x as TfliteValue, maxValue === 6 ? 'relu6' : 'relu', out.grid);
};

export const convertSoftmax: Converter = (ctx, node, [x], out) => {
  const axis = config<number | number[] | undefined>(node, 'axis') ?? -1;
  const rank = node.outputShape.length;
  if (Array.isArray(axis) || !(axis === -1 || axis === rank)) {
    throw unsupported(
      node,
      `axis ${JSON.stringify(axis)}`,
      'Use softmax over the last axis (TFLite SOFTMAX normalizes the last dimension)',
    );
  }
  return emitActivation(ctx, node, x as TfliteValue, 'softmax', out.grid);
};

export const convertLeakyReLU: Converter = (ctx, node, [x], out) => {
  const alpha = config<number | undefined>(node, 'alpha') ?? 0.3;
  if (!Number.isFinite(alpha))
    throw new ExportError(
      `toTflite: a finite LeakyReLU alpha, got ${alpha} in layer "${node.name}". Set alpha to a number.`,
    );
  const S = Slots.LeakyReluOptions;
  return unary(
    ctx,
    node,
    x as TfliteValue,
    'LEAKY_RELU',
    out.grid,
    options(BuiltinOptions.LeakyReluOptions, (b) => table(b, S.numFields, { [S.alpha]: f.float32(alpha) })),
  );
};
