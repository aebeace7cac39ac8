// Reshape -> Reshape, in tfjs's NHWC element order. A rank-4 value lives NCHW inside the graph
// (context.ts), so it is transposed back to NHWC before the reshape, and a rank-4 result is
// transposed to NCHW after it. When the spatial size is 1 or there is one channel (squeeze-
// excite's [C] -> [1, 1, C]), NCHW and NHWC hold the elements in the same order: the transpose
// is skipped and the reshape targets the NCHW dims directly. Shape dim 0 = "copy the batch".
import { Converter, OnnxValue } from './context';

/** True when NHWC and NCHW orders of an [H, W, C] value coincide. */
function sameOrder(shape: readonly number[]): boolean {
  return shape.length === 3 && ((shape[0] as number) * (shape[1] as number) === 1 || shape[2] === 1);
}

export const convertReshape: Converter = (ctx, node, [x]) => {
  const input = x as OnnxValue;
  const { g } = ctx;
  const out = node.outputShape;
  const src =
    input.nchw && !sameOrder(input.shape)
      ? g.op('Transpose', [input.name], `${node.name}_nhwc`, { perm: { ints: [0, 2, 3, 1] } })
      : input.name;
  const toNchw = out.length === 3;
  if (toNchw && sameOrder(out)) {
    const [h, w, c] = out as [number, number, number];
    return {
      name: g.op('Reshape', [src, g.int64s(`${node.name}_shape`, [0, c, h, w])], node.name),
      shape: out,
      nchw: true,
    };
  }
  const y = g.op(
    'Reshape',
    [src, g.int64s(`${node.name}_shape`, [0, ...out])],
    toNchw ? `${node.name}_nhwc` : node.name,
  );
  if (!toNchw) return { name: y, shape: out, nchw: false };
  return { name: g.op('Transpose', [y], node.name, { perm: { ints: [0, 3, 1, 2] } }), shape: out, nchw: true };
};
