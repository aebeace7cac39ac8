// Pooling: MaxPooling2D -> MAX_POOL_2D, AveragePooling2D -> AVERAGE_POOL_2D,
// GlobalAveragePooling2D -> MEAN over H and W, GlobalMaxPooling2D -> REDUCE_MAX over H and W.
// TFLite's int8 pooling kernels write on their input's grid (average pooling included), so an
// average pool whose plan grid differs gets requantized after; int8 MEAN requantizes itself.
import { BuiltinOptions, OperatorName, Padding, Slots } from './schema';
import { Converter, TfliteContext, TfliteValue, options } from './context';
import { f, table } from './flatbuffer';
import { OperatorOptions } from './model-writer';
import { GraphNode } from '../../core/graph';
import { config, unsupported } from './weights';

/** An op whose int8 output lies on its input's grid: int8 when the input is, float32 otherwise. */
export function onInputGrid(
  ctx: TfliteContext,
  node: GraphNode,
  x: TfliteValue,
  op: OperatorName,
  extra: readonly number[],
  outShape: readonly number[],
  opts?: OperatorOptions,
): TfliteValue {
  if (x.int8 !== undefined) {
    const y = ctx.output(node.name, outShape, x.grid);
    ctx.op(op, true, [x.int8, ...extra], [y.int8 as number], opts);
    return y;
  }
  const y = ctx.output(node.name, outShape, undefined);
  ctx.op(op, false, [ctx.asFloat(x, node.inputs[0] as string), ...extra], [y.float as number], opts);
  return { ...y, ...(x.grid ? { grid: x.grid } : {}) };
}

function pool2d(op: 'MAX_POOL_2D' | 'AVERAGE_POOL_2D'): Converter {
  return (ctx, node, [x]) => {
    const input = x as TfliteValue;
    if (config<string>(node, 'dataFormat') === 'channelsFirst')
      throw unsupported(node, "dataFormat 'channelsFirst'", "Use dataFormat 'channelsLast' (TFLite is NHWC)");
    const pool = config<number | number[]>(node, 'poolSize');
    const [ph, pw] = Array.isArray(pool) ? [pool[0] as number, (pool[1] ?? pool[0]) as number] : [pool, pool];
    const strides = config<number | number[] | null>(node, 'strides') ?? [ph, pw];
    const [sh, sw] = Array.isArray(strides)
      ? [strides[0] as number, (strides[1] ?? strides[0]) as number]
      : [strides, strides];
    const pad = config<string>(node, 'padding');
    if (pad !== 'same' && pad !== 'valid') throw unsupported(node, `padding '${pad}'`, "Use padding 'same' or 'valid'");
    const S = Slots.Pool2DOptions;
    const opts = options(BuiltinOptions.Pool2DOptions, (b) =>
      table(b, S.numFields, {
        [S.padding]: f.int8(pad === 'same' ? Padding.SAME : Padding.VALID),
        [S.stride_w]: f.int32(sw),
        [S.stride_h]: f.int32(sh),
        [S.filter_width]: f.int32(pw),
        [S.filter_height]: f.int32(ph),
      }),
    );
    return onInputGrid(ctx, node, input, op, [], [input.shape[0] as number, ...node.outputShape], opts);
  };
}

export const convertMaxPooling2D = pool2d('MAX_POOL_2D');
export const convertAveragePooling2D = pool2d('AVERAGE_POOL_2D');

function reduceOptions(): OperatorOptions {
  const S = Slots.ReducerOptions;
  return options(BuiltinOptions.ReducerOptions, (b) => table(b, S.numFields, { [S.keep_dims]: f.bool(false) }));
}

/** The int32 axes constant [1, 2] (H and W of NHWC). */
function spatialAxes(ctx: TfliteContext, node: GraphNode): number {
  return ctx.constant(`${node.name}/axes`, Int32Array.of(1, 2), [2]);
}

function checkGlobal(node: GraphNode): void {
  if (config<string>(node, 'dataFormat') === 'channelsFirst')
    throw unsupported(node, "dataFormat 'channelsFirst'", "Use dataFormat 'channelsLast' (TFLite is NHWC)");
  if (config<boolean>(node, 'keepDims'))
    throw unsupported(node, 'keepDims true', 'Use keepDims false and a Reshape after it');
}

export const convertGlobalAveragePooling2D: Converter = (ctx, node, [x], out) => {
  checkGlobal(node);
  const input = x as TfliteValue;
  const shape = [input.shape[0] as number, ...node.outputShape];
  // int8 MEAN requantizes onto the output grid itself; float32 otherwise.
  const int8 = ctx.int8([input], out);
  if (!int8 && ctx.quant && out.grid) ctx.ranInFloat(node, 'its input has no grid');
  const y = ctx.output(node.name, shape, int8 ? out.grid : undefined);
  const from = node.inputs[0] as string;
  ctx.op(
    'MEAN',
    int8,
    [int8 ? ctx.asInt8(input, from) : ctx.asFloat(input, from), spatialAxes(ctx, node)],
    [(int8 ? y.int8 : y.float) as number],
    reduceOptions(),
  );
  return y;
};

export const convertGlobalMaxPooling2D: Converter = (ctx, node, [x]) => {
  checkGlobal(node);
  const input = x as TfliteValue;
  return onInputGrid(
    ctx,
    node,
    input,
    'REDUCE_MAX',
    [spatialAxes(ctx, node)],
    [input.shape[0] as number, ...node.outputShape],
    reduceOptions(),
  );
};
