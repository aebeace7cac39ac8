// Dense -> Gemm (float), Gemm over DequantizeLinear weights (weight-only and static QDQ, which
// ONNX Runtime fuses into QGemm), DynamicQuantizeLinear + MatMulInteger (dynamic INT8, fused
// into DynamicQuantizeMatMul), or MatMulNBits (weight-only int4, blockwise). tfjs kernel
// [in, out] is Gemm's B with transB = 0.
import {
  Converter,
  config,
  dequantizeConstant,
  emitActivation,
  emitBias,
  layerWeights,
  quantizedData,
  unsupported,
} from './context';
import { emitMatMulNBits, packMatMulNBits } from './matmul-nbits';
import { checkTargetKernel } from './targets';

export const convertDense: Converter = (ctx, node, [x]) => {
  const { g } = ctx;
  const input = x as NonNullable<typeof x>;
  if (input.shape.length !== 1)
    throw unsupported(node, `a rank-${input.shape.length + 1} input`, 'Add a Flatten layer before the Dense layer');
  const [kernel, bias] = layerWeights(node);
  if (!kernel) throw unsupported(node, 'no kernel', 'Build the model before exporting');
  const [k, n] = kernel.shape as [number, number];
  const wq = ctx.plan?.weights[node.name];
  if (wq) checkTargetKernel(ctx.target, node, wq);
  const base = node.name;
  let y: string;
  if (wq?.blockSize !== undefined) {
    y = emitMatMulNBits(
      g,
      base,
      input.name,
      packMatMulNBits(kernel.data, kernel.shape, wq, ctx.target.zeroPoints),
      bias?.data,
    );
  } else if (wq && ctx.plan?.mode === 'dynamic') {
    if (wq.zeroPoint.some((z) => z !== 0) || !wq.signed)
      throw unsupported(node, 'asymmetric weights in dynamic mode', 'Use symmetric int8 weights');
    const [xq, xs, xz] = g.node('DynamicQuantizeLinear', [input.name], `${base}_input`, {}, 3) as [
      string,
      string,
      string,
    ];
    const w = g.constant(`${base}_kernel_quantized`, quantizedData(kernel.data, kernel.shape, wq), [k, n]);
    const acc = g.op('MatMulInteger', [xq, w, xz], `${base}_matmul`);
    const f = g.op('Cast', [acc], `${base}_float`, { to: { int: 1 } });
    const ws = g.constant(
      `${base}_kernel_scale`,
      Float32Array.from(wq.axis === undefined ? [wq.scale[0] as number] : wq.scale),
      wq.axis === undefined ? [] : [n],
    );
    // Mul(Cast(MatMulInteger), x_scale * w_scale): the pattern ONNX Runtime fuses into DynamicQuantizeMatMul.
    y = g.op('Mul', [f, g.op('Mul', [xs, ws], `${base}_scale`)], `${base}_scaled`);
    if (bias) y = g.op('Add', [y, g.constant(`${base}_bias`, bias.data, [n])], `${base}_biased`);
  } else {
    let w: string;
    let b: string | undefined;
    if (wq) {
      w = dequantizeConstant(g, `${base}_kernel`, quantizedData(kernel.data, kernel.shape, wq), [k, n], wq, 1);
      if (bias) b = emitBias(ctx, base, bias.data, input, wq);
    } else {
      w = g.constant(`${base}_kernel`, kernel.data, [k, n]);
      if (bias) b = g.constant(`${base}_bias`, bias.data, [n]);
    }
    y = g.op('Gemm', b ? [input.name, w, b] : [input.name, w], base);
  }
  y = emitActivation(g, node, y, config<string>(node, 'activation') ?? 'linear', 1);
  return { name: y, shape: node.outputShape, nchw: false };
};
