// Per-channel affine layers as MUL + ADD in float32: a BatchNormalization that could not be
// folded into the op before it (y = x * scale + shift, inference mode), and Rescaling
// (y = x * scale + offset). In an INT8 export they run in float32 between a DEQUANTIZE and a
// QUANTIZE (static quantization folds every BatchNormalization that follows a convolution or a
// Dense, so only the others stay).
import { BuiltinOptions, Slots } from './schema';
import { Converter, TfliteContext, TfliteValue, options } from './context';
import { f, table } from './flatbuffer';
import { GraphNode } from '../../core/graph';
import { batchNormAffine, config, lastAxisBatchNorm, unsupported } from './weights';
import { ExportError } from '../../errors';

/** y = x * scale + shift with scale and shift broadcast over the last axis (or scalars). */
function mulAdd(
  ctx: TfliteContext,
  node: GraphNode,
  x: TfliteValue,
  scale: Float32Array,
  shift: Float32Array,
): TfliteValue {
  if (ctx.quant) ctx.ranInFloat(node, 'per-channel affine layers run in float32 here');
  const shape = x.shape;
  const input = ctx.asFloat(x, node.inputs[0] as string);
  const M = Slots.MulOptions;
  const A = Slots.AddOptions;
  const scaled = ctx.floatTensor(`${node.name}/scaled`, shape);
  ctx.op(
    'MUL',
    false,
    [input, ctx.constant(`${node.name}/scale`, scale, [scale.length])],
    [scaled],
    options(BuiltinOptions.MulOptions, (b) => table(b, M.numFields, {})),
  );
  const y = ctx.floatTensor(node.name, shape);
  ctx.op(
    'ADD',
    false,
    [scaled, ctx.constant(`${node.name}/shift`, shift, [shift.length])],
    [y],
    options(BuiltinOptions.AddOptions, (b) => table(b, A.numFields, { [A.fused_activation_function]: f.int8(0) })),
  );
  return { shape, float: y };
}

export const convertBatchNormalization: Converter = (ctx, node, [x]) => {
  if (!lastAxisBatchNorm(node))
    throw unsupported(
      node,
      `axis ${JSON.stringify(config(node, 'axis'))}`,
      'Normalize over the channel (last) axis (TFLite is NHWC)',
    );
  const { scale, shift } = batchNormAffine(node);
  return mulAdd(ctx, node, x as TfliteValue, scale, shift);
};

export const convertRescaling: Converter = (ctx, node, [x]) => {
  const toArray = (v: unknown, key: string): Float32Array => {
    const a = Float32Array.from(Array.isArray(v) ? v.map(Number) : [Number(v ?? (key === 'scale' ? 1 : 0))]);
    if (!a.every(Number.isFinite))
      throw new ExportError(
        `toTflite: a finite Rescaling ${key}, got ${JSON.stringify(v)} in layer "${node.name}". Set it to a number.`,
      );
    return a;
  };
  return mulAdd(
    ctx,
    node,
    x as TfliteValue,
    toArray(config(node, 'scale'), 'scale'),
    toArray(config(node, 'offset'), 'offset'),
  );
};
