// Rescaling (x * scale + offset) -> Mul, then Add when the offset is not 0. tfjs types both as
// numbers; a per-channel list (Keras's EfficientNet with ImageNet weights rescales by
// 1/sqrt(std) per channel) also runs in tfjs, broadcast on the last axis, and is written as a
// [C, 1, 1] constant for NCHW values.
import { Converter, OnnxValue, config, unsupported } from './context';

export const convertRescaling: Converter = (ctx, node, [x]) => {
  const input = x as OnnxValue;
  const { g } = ctx;
  const c = input.shape[input.shape.length - 1] as number;
  const constant = (key: 'scale' | 'offset', value: number | number[]): string => {
    const values = Array.isArray(value) ? value : [value];
    if (values.length !== 1 && values.length !== c)
      throw unsupported(
        node,
        `${values.length} ${key} values for ${c} channels`,
        `Give one ${key}, or one per channel`,
      );
    const dims = values.length === 1 ? [] : input.nchw ? [c, 1, 1] : [c];
    return g.constant(`${node.name}_${key}`, Float32Array.from(values), dims);
  };
  const offset = config<number | number[] | undefined>(node, 'offset') ?? 0;
  const hasOffset = (Array.isArray(offset) ? offset : [offset]).some((v) => v !== 0);
  let y = g.op(
    'Mul',
    [input.name, constant('scale', config<number | number[]>(node, 'scale'))],
    hasOffset ? `${node.name}_scaled` : node.name,
  );
  if (hasOffset) y = g.op('Add', [y, constant('offset', offset)], node.name);
  return { ...input, name: y };
};
