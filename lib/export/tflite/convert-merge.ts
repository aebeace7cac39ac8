// Layers combining several inputs: Add -> ADD (with a fused ReLU/ReLU6), Subtract -> SUB,
// Multiply -> MUL (broadcasting, as squeeze-excite's [B, H, W, C] x [B, 1, 1, C]),
// Maximum / Minimum -> MAXIMUM / MINIMUM, Concatenate -> CONCATENATION. TFLite's int8 ADD, SUB
// and MUL rescale each input themselves; int8 MAXIMUM, MINIMUM and CONCATENATION need every
// input on the output's grid, so inputs on another grid are requantized first (the plan gives
// the concatenation its own grid, as ONNX Runtime's QLinearConcat does).
import { ActivationFunction, BuiltinOptions, OperatorName, Slots } from './schema';
import { Converter, OutputPlan, TfliteContext, TfliteValue, options, sameGrid } from './context';
import { f, table } from './flatbuffer';
import { OperatorOptions } from './model-writer';
import { GraphNode } from '../../core/graph';
import { QParams } from '../../quantize/qparams';
import { config, unsupported } from './weights';

/** Output shape with the batch dimension of the first input. */
function batched(node: GraphNode, inputs: readonly TfliteValue[]): number[] {
  return [(inputs[0] as TfliteValue).shape[0] as number, ...node.outputShape];
}

function arithmetic(
  op: 'ADD' | 'SUB' | 'MUL',
  optionsType: number,
  slots: { numFields: number; fused_activation_function: number },
): Converter {
  return (ctx, node, inputs, out) => {
    if (inputs.length < 2) throw unsupported(node, `${inputs.length} input`, 'Give the layer two or more inputs');
    if (op === 'SUB' && inputs.length !== 2)
      throw unsupported(node, `${inputs.length} inputs`, 'Subtract takes two inputs');
    const shape = batched(node, inputs);
    const opts = (act: OutputPlan['activation']): OperatorOptions =>
      options(optionsType, (b) =>
        table(b, slots.numFields, {
          [slots.fused_activation_function]: f.int8(ActivationFunction[act]),
        }),
      );
    if (inputs.length === 2 && ctx.int8(inputs, out)) {
      const y = ctx.output(node.name, shape, out.grid);
      ctx.op(
        op,
        true,
        inputs.map((v, i) => ctx.asInt8(v, node.inputs[i] as string)),
        [y.int8 as number],
        opts(out.activation),
      );
      return y;
    }
    if (ctx.quant && out.grid)
      ctx.ranInFloat(
        node,
        inputs.length > 2 ? `${inputs.length} inputs (no grid for the partial results)` : 'an input has no grid',
      );
    // Left to right; the fused activation on the last op only.
    let acc = ctx.asFloat(inputs[0] as TfliteValue, node.inputs[0] as string);
    for (let i = 1; i < inputs.length; i++) {
      const last = i === inputs.length - 1;
      const y = ctx.floatTensor(last ? node.name : `${node.name}/partial_${i}`, shape);
      ctx.op(
        op,
        false,
        [acc, ctx.asFloat(inputs[i] as TfliteValue, node.inputs[i] as string)],
        [y],
        opts(last ? out.activation : 'NONE'),
      );
      acc = y;
    }
    return { shape, float: acc };
  };
}

export const convertAdd = arithmetic('ADD', BuiltinOptions.AddOptions, Slots.AddOptions);
export const convertSubtract = arithmetic('SUB', BuiltinOptions.SubOptions, Slots.SubOptions);
export const convertMultiply = arithmetic('MUL', BuiltinOptions.MulOptions, Slots.MulOptions);

/** An op whose int8 inputs must all be on the output grid: requantizes them, or runs in float32. */
function onOutputGrid(
  ctx: TfliteContext,
  node: GraphNode,
  inputs: readonly TfliteValue[],
  out: OutputPlan,
  op: OperatorName,
  shape: readonly number[],
  opts: OperatorOptions,
): TfliteValue {
  const first = inputs[0] as TfliteValue;
  // Without a planned grid, inputs already sharing one grid stay on it.
  const grid: QParams | undefined =
    out.grid ?? (inputs.every((v) => v.int8 !== undefined && sameGrid(v.grid, first.grid)) ? first.grid : undefined);
  if (ctx.quant && grid && inputs.every((v) => v.grid || v.int8 !== undefined)) {
    const ins = inputs.map((v, i) => ctx.requantize(v, grid, node.inputs[i] as string).int8 as number);
    const y = ctx.output(node.name, shape, grid);
    ctx.op(op, true, ins, [y.int8 as number], opts);
    return y;
  }
  if (ctx.quant && out.grid) ctx.ranInFloat(node, 'an input has no grid');
  const y = ctx.output(node.name, shape, undefined);
  ctx.op(
    op,
    false,
    inputs.map((v, i) => ctx.asFloat(v, node.inputs[i] as string)),
    [y.float as number],
    opts,
  );
  return y;
}

function extremum(op: 'MAXIMUM' | 'MINIMUM'): Converter {
  return (ctx, node, inputs, out) => {
    if (inputs.length !== 2)
      throw unsupported(node, `${inputs.length} inputs`, `Chain two-input ${node.className} layers`);
    return onOutputGrid(
      ctx,
      node,
      inputs,
      out,
      op,
      batched(node, inputs),
      options(BuiltinOptions.MaximumMinimumOptions, (b) => table(b, 0, {})),
    );
  };
}

export const convertMaximum = extremum('MAXIMUM');
export const convertMinimum = extremum('MINIMUM');

export const convertConcatenate: Converter = (ctx, node, inputs, out) => {
  const rank = node.outputShape.length + 1;
  const axis = config<number | undefined>(node, 'axis') ?? -1;
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 1 && a < rank)) throw unsupported(node, `axis ${axis}`, 'Concatenate along a non-batch axis');
  const S = Slots.ConcatenationOptions;
  const opts = options(BuiltinOptions.ConcatenationOptions, (b) => table(b, S.numFields, { [S.axis]: f.int32(a) }));
  return onOutputGrid(ctx, node, inputs, out, 'CONCATENATION', batched(node, inputs), opts);
};
