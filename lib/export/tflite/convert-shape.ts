// Layers that only move values: Flatten and Reshape -> RESHAPE (TFLite is NHWC like tfjs, so the
// flattened order is tfjs's without a transpose), ZeroPadding2D -> PAD (int8 PAD fills with the
// zero point, the real 0), and the dropout and noise layers, which are the identity at inference
// and are removed.
import { BuiltinOptions, Slots } from './schema';
import { Converter, TfliteValue, options } from './context';
import { f, table } from './flatbuffer';
import { int32Vector } from './flatbuffer';
import { onInputGrid } from './convert-pooling';
import { config, unsupported } from './weights';

/** RESHAPE to the layer's output shape (batch first). */
export const convertReshape: Converter = (ctx, node, [x]) => {
  const input = x as TfliteValue;
  const shape = [input.shape[0] as number, ...node.outputShape];
  if (shape.some((d) => !(d > 0)))
    throw unsupported(
      node,
      `output shape [${node.outputShape.join(', ')}]`,
      'Give the model a fully defined input shape',
    );
  const S = Slots.ReshapeOptions;
  const opts = options(BuiltinOptions.ReshapeOptions, (b) => {
    const dims = int32Vector(b, shape);
    return table(b, S.numFields, { [S.new_shape]: f.offset(dims) });
  });
  const target = ctx.constant(`${node.name}/shape`, Int32Array.from(shape), [shape.length]);
  return onInputGrid(ctx, node, input, 'RESHAPE', [target], shape, opts);
};

export const convertFlatten: Converter = (ctx, node, inputs, out) => {
  if (config<string>(node, 'dataFormat') === 'channelsFirst')
    throw unsupported(node, "dataFormat 'channelsFirst'", "Use dataFormat 'channelsLast'");
  return convertReshape(ctx, node, inputs, out);
};

/** ZeroPadding2D's [[top, bottom], [left, right]] from its config (a number, a pair, or pairs). */
function paddings(v: unknown): [[number, number], [number, number]] {
  if (typeof v === 'number')
    return [
      [v, v],
      [v, v],
    ];
  const [h, w] = v as [number | number[], number | number[]];
  const side = (p: number | number[]): [number, number] =>
    Array.isArray(p) ? [p[0] as number, (p[1] ?? p[0]) as number] : [p, p];
  return [side(h), side(w)];
}

export const convertZeroPadding2D: Converter = (ctx, node, [x]) => {
  const input = x as TfliteValue;
  if (config<string>(node, 'dataFormat') === 'channelsFirst')
    throw unsupported(node, "dataFormat 'channelsFirst'", "Use dataFormat 'channelsLast' (TFLite is NHWC)");
  const [[t, b], [l, r]] = paddings(config(node, 'padding'));
  const pads = ctx.constant(`${node.name}/paddings`, Int32Array.of(0, 0, t, b, l, r, 0, 0), [4, 2]);
  const opts = options(BuiltinOptions.PadOptions, (bld) => table(bld, 0, {}));
  return onInputGrid(ctx, node, input, 'PAD', [pads], [input.shape[0] as number, ...node.outputShape], opts);
};

/** Dropout and noise layers: the identity at inference (the value itself, on its grid). */
export const convertIdentity: Converter = (_ctx, _node, [x]) => x as TfliteValue;
