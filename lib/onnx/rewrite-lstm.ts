// Dynamic INT8 of an LSTM, as ONNX Runtime's quantize_dynamic writes it: the contrib operator
// DynamicQuantizeLSTM (com.microsoft) with W [dirs, 4*hidden, in] and R [dirs, 4*hidden, hidden]
// quantized to int8 per row (one scale per direction and gate row; symmetric, zero point 0), then
// transposed to [dirs, in, 4*hidden] and [dirs, hidden, 4*hidden]; scales and zero points
// [dirs, 4*hidden]. The rest of the LSTM's inputs and attributes carry over.
import { onnx } from 'onnx-proto';
import { findInitializer, makeNode } from './graph';
import { NodeQuantReport } from './report';
import { Rewriter } from './rewrite';
import { Candidate } from './select';
import { dimsOf, tensorFloats } from './tensor';
import { QuantizedWeight, quantizeWeight } from './weights';

/** [a, b, c] -> [a, c, b] of int8 values. */
function swapLast(q: Int32Array, [a, b, c]: readonly number[]): Int8Array {
  const out = new Int8Array(q.length);
  for (let i = 0; i < (a as number); i++)
    for (let j = 0; j < (b as number); j++)
      for (let k = 0; k < (c as number); k++)
        out[(i * (c as number) + k) * (b as number) + j] = q[(i * (b as number) + j) * (c as number) + k] as number;
  return out;
}

/** DynamicQuantizeLSTM for one LSTM node. */
export function rewriteLstm(rw: Rewriter, c: Candidate): NodeQuantReport {
  const { node, scope } = c;
  const quantized = (input: number): { names: string[]; w: QuantizedWeight } => {
    const found = findInitializer(scope, node.input?.[input] ?? '') as NonNullable<ReturnType<typeof findInitializer>>;
    return rw.once(`lstm:${found.tensor.name}:${c.granularity}`, () => {
      const dims = dimsOf(found.tensor);
      const [dirs, rows, cols] = dims as [number, number, number];
      // Per row of the [dirs * 4*hidden, cols] view (per tensor: one scale, repeated per row).
      const w = quantizeWeight(tensorFloats(found.tensor, 'onnx.quantize'), [dirs * rows, cols], {
        bits: 8,
        symmetric: true,
        ...(c.granularity === 'per-channel' ? { axis: 0 } : {}),
      });
      const scales =
        c.granularity === 'per-channel'
          ? Float32Array.from(w.qp.scale)
          : new Float32Array(dirs * rows).fill(w.qp.scale[0] as number);
      const base = found.tensor.name ?? c.name;
      return {
        w,
        names: [
          rw.constant(found.scope, `${base}_quantized`, swapLast(w.q, dims), [dirs, cols, rows]),
          rw.constant(found.scope, `${base}_scale`, scales, [dirs, rows]),
          rw.constant(found.scope, `${base}_zero_point`, new Int8Array(dirs * rows), [dirs, rows]),
        ],
      };
    });
  };
  const W = quantized(1);
  const R = quantized(2);
  const inputs = [
    node.input?.[0] ?? '',
    W.names[0] as string,
    R.names[0] as string,
    ...[3, 4, 5, 6, 7].map((i) => node.input?.[i] ?? ''),
    W.names[1] as string,
    W.names[2] as string,
    R.names[1] as string,
    R.names[2] as string,
  ];
  const attributes = (node.attribute ?? []).filter((a) => a.name !== 'layout') as onnx.IAttributeProto[];
  rw.replace(node, [
    makeNode(
      'DynamicQuantizeLSTM',
      inputs,
      node.output ?? [],
      rw.names.fresh(`${c.name}_quant`),
      attributes,
      'com.microsoft',
    ),
  ]);
  const params = W.w.q.length + R.w.q.length;
  return {
    name: c.name,
    op: c.op,
    graph: scope.path,
    form: 'DynamicQuantizeLSTM',
    weightBits: 8,
    granularity: c.granularity,
    params,
    weightSqnrDb: Math.min(W.w.sqnrDb, R.w.sqnrDb),
  };
}
