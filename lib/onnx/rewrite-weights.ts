// Weight-only forms: the weights shrink, the arithmetic stays float.
// - 4-bit: MatMul and Gemm weights as ONNX Runtime's MatMulNBits (com.microsoft): B quantized in
//   blocks of 32/64/128 along K, one scale (and, asymmetric, one zero point) per block and output
//   channel, packed two values a byte (export/onnx/matmul-nbits.ts packs it, the layout ORT's
//   MatMul 4-bit quantizer writes). Gemm's transB is undone on the constant, alpha folded into the
//   scales, beta * C becomes the bias input.
// - 8-bit: int8 weights behind a DequantizeLinear (per output channel).
// - float16: weights stored as float16, cast back to float32 by a Cast that ONNX Runtime folds
//   away when it loads the model (the file halves; the arithmetic is fp32).
import { onnx } from 'onnx-proto';
import { packMatMulNBits } from '../export/onnx/matmul-nbits';
import { toFloat16, fromFloat16 } from '../quantize/float16';
import { attrFloat, attrInt, attrs, findInitializer, makeNode } from './graph';
import { OPS } from './ops';
import { NodeQuantReport } from './report';
import { Rewriter } from './rewrite';
import { nodeReport } from './rewrite-dynamic';
import { Candidate } from './select';
import { DataType, dimsOf, tensorFloats } from './tensor';
import { eightBit, quantizeWeight, transpose2d, zeroPoints } from './weights';

const MS_DOMAIN = 'com.microsoft';

/** MatMulNBits for one MatMul or Gemm node. */
export function rewriteInt4(rw: Rewriter, c: Candidate, symmetric: boolean): NodeQuantReport | string {
  const { node, scope } = c;
  const weight = c.weight as NonNullable<Candidate['weight']>;
  const dims = dimsOf(weight.tensor);
  const transB = c.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
  const [k, n] = transB ? [dims[1] as number, dims[0] as number] : [dims[0] as number, dims[1] as number];
  if (![16, 32, 64, 128, 256].includes(c.blockSize) || k < 16)
    return `MatMulNBits takes blocks of 16-256 along K >= 16, got block ${c.blockSize} and K ${k}`;
  const alpha = c.op === 'Gemm' ? attrFloat(node, 'alpha', 1) : 1;
  const beta = c.op === 'Gemm' ? attrFloat(node, 'beta', 1) : 1;
  const cName = c.op === 'Gemm' ? node.input?.[2] : undefined;
  const cTensor = cName ? findInitializer(scope, cName) : undefined;
  const biasAsInput = cTensor && dimsOf(cTensor.tensor).length === 1 && dimsOf(cTensor.tensor)[0] === n;
  const packed = rw.once(`w4:${weight.tensor.name}:${c.blockSize}:${symmetric}:${alpha}`, () => {
    const raw = tensorFloats(weight.tensor, 'onnx.quantize');
    const values = transB ? transpose2d(raw, n, k) : raw; // [K, N]
    const qw = quantizeWeight(values, [k, n], { bits: 4, symmetric, axis: 1, blockSize: c.blockSize });
    const m = packMatMulNBits(values, [k, n], qw.qp, 'packed');
    const base = weight.tensor.name ?? c.name;
    const inputs = [
      rw.constant(weight.scope, `${base}_packed`, m.b, [m.n, m.blocks, m.blockSize / 2]),
      rw.constant(
        weight.scope,
        `${base}_scales`,
        Float32Array.from(m.scales, (s) => s * alpha),
        [m.n * m.blocks],
      ),
    ];
    if (m.zeroPoints)
      inputs.push(rw.constant(weight.scope, `${base}_zero_points`, m.zeroPoints as Uint8Array, [m.zeroPoints.length]));
    return { qw, inputs };
  });
  const inputs = [node.input?.[0] ?? '', ...packed.inputs];
  const y = node.output?.[0] ?? '';
  const nodes: onnx.NodeProto[] = [];
  let out = y;
  if (cName && !biasAsInput) out = rw.names.fresh(`${c.name}_product`);
  if (cName && biasAsInput && cTensor) {
    while (inputs.length < 5) inputs.push('');
    inputs.push(
      rw.constant(
        scope,
        `${c.name}_bias`,
        tensorFloats(cTensor.tensor).map((v) => v * beta),
        [n],
      ),
    );
  }
  nodes.push(
    makeNode(
      'MatMulNBits',
      inputs,
      [out],
      rw.names.fresh(`${c.name}_MatMulNBits`),
      [attrs.int('K', k), attrs.int('N', n), attrs.int('bits', 4), attrs.int('block_size', c.blockSize)],
      MS_DOMAIN,
    ),
  );
  if (cName && !biasAsInput) {
    let addend = cName;
    if (beta !== 1) {
      addend = rw.names.fresh(`${c.name}_C_scaled`);
      nodes.push(
        makeNode(
          'Mul',
          [cName, rw.constant(scope, `${c.name}_beta`, Float32Array.of(beta), [])],
          [addend],
          rw.names.fresh(`${c.name}_Mul_beta`),
        ),
      );
    }
    nodes.push(makeNode('Add', [out, addend], [y], rw.names.fresh(`${c.name}_Add`)));
  }
  rw.replace(node, nodes);
  return nodeReport(c, packed.qw, 'MatMulNBits', 'per-channel');
}

/**
 * The node's weight as int8 constants (quantized values, scale, zero point; made once per tensor
 * and grid) and the DequantizeLinear that makes it float again, which now feeds the node's weight
 * input; the caller inserts `dq` before the node. Weight-only and static (QDQ) quantization share it.
 */
export function dequantizedWeight(rw: Rewriter, c: Candidate, symmetric: boolean) {
  const weight = c.weight as NonNullable<Candidate['weight']>;
  const perChannel = c.granularity === 'per-channel';
  const axis = perChannel ? weight.axis : undefined;
  const w = rw.once(`w8:${weight.tensor.name}:${axis}:${symmetric}`, () => {
    const dims = dimsOf(weight.tensor);
    const qw = quantizeWeight(tensorFloats(weight.tensor, 'onnx.quantize'), dims, {
      bits: c.weightBits,
      symmetric,
      ...(axis !== undefined ? { axis } : {}),
    });
    const base = weight.tensor.name ?? c.name;
    const zp = zeroPoints(qw.qp);
    return {
      qw,
      inputs: [
        rw.constant(weight.scope, `${base}_quantized`, eightBit(qw), dims),
        rw.constant(
          weight.scope,
          `${base}_scale`,
          Float32Array.from(qw.qp.scale),
          perChannel ? [qw.qp.scale.length] : [],
        ),
        rw.constant(
          weight.scope,
          `${base}_zero_point`,
          perChannel ? zp : zp.subarray(0, 1),
          perChannel ? [zp.length] : [],
        ),
      ],
    };
  });
  const out = rw.names.fresh(`${c.name}_weight_dequantized`);
  const dq = makeNode(
    'DequantizeLinear',
    w.inputs,
    [out],
    rw.names.fresh(`${c.name}_weight_DequantizeLinear`),
    axis !== undefined ? [attrs.int('axis', axis)] : [],
  );
  const wIndex = OPS[c.op]?.weight?.input ?? 1;
  c.node.input = (c.node.input ?? []).map((x, i) => (i === wIndex ? out : x));
  return { qw: w.qw, dq, granularity: perChannel ? ('per-channel' as const) : ('per-tensor' as const) };
}

/** int8 weights behind a DequantizeLinear (float arithmetic). */
export function rewriteInt8Weights(rw: Rewriter, c: Candidate, symmetric: boolean): NodeQuantReport {
  const { qw, dq, granularity } = dequantizedWeight(rw, c, symmetric);
  rw.insertBefore(c.node, [dq]);
  return nodeReport(c, qw, 'DequantizeLinear', granularity);
}

/** float16 storage of every float32 constant input of the node (a Cast back to float32 per constant). */
export function rewriteFloat16(rw: Rewriter, c: Candidate): NodeQuantReport | string {
  let params = 0;
  let signal = 0;
  let noise = 0;
  const renames = new Map<number, string>();
  for (const [i, name] of (c.node.input ?? []).entries()) {
    const found = name ? findInitializer(c.scope, name) : undefined;
    if (!found || found.tensor.dataType !== DataType.FLOAT) continue;
    const values = tensorFloats(found.tensor, 'onnx.quantize');
    const halves = toFloat16(values);
    const back = fromFloat16(halves);
    for (let j = 0; j < values.length; j++) {
      if (!Number.isFinite(back[j] as number)) return `a weight beyond float16's range (|w| > 65504) in ${name}`;
      const d = (values[j] as number) - (back[j] as number);
      signal += (values[j] as number) ** 2;
      noise += d * d;
    }
    params += values.length;
    renames.set(
      i,
      rw.once(`f16:${name}`, () => {
        const half = rw.constant(found.scope, `${name}_float16`, { float16: halves }, dimsOf(found.tensor));
        const out = rw.names.fresh(`${name}_float32`);
        rw.insertAfterValue(found.scope, name, [
          makeNode('Cast', [half], [out], rw.names.fresh(`${name}_Cast`), [attrs.int('to', DataType.FLOAT)]),
        ]);
        return out;
      }),
    );
  }
  if (!renames.size) return 'it has no float32 constant inputs';
  c.node.input = (c.node.input ?? []).map((x, i) => renames.get(i) ?? x);
  return {
    name: c.name,
    op: c.op,
    graph: c.scope.path,
    form: 'float16',
    weightBits: 16,
    granularity: 'per-tensor',
    params,
    weightSqnrDb: noise === 0 ? Infinity : 10 * Math.log10(signal / noise),
  };
}
