// Dynamic INT8, as ONNX Runtime's quantize_dynamic writes it: int8 weights (symmetric, per channel
// by default), and the activation quantized at run time by DynamicQuantizeLinear (uint8, its own
// range per run):
//   MatMul: DynamicQuantizeLinear(A) -> MatMulInteger(Aq, Bq, Az) -> Cast -> Mul(As * Bs)
//           (ONNX Runtime fuses it into DynamicQuantizeMatMul / MatMulIntegerToFloat);
//   Gemm:   the same on B (transposed to [K, N] when transB), alpha folded into the scales,
//           beta * C added after;
//   Conv:   DynamicQuantizeLinear(X) -> ConvInteger(Xq, Wq, Xz) -> Cast -> Mul(Xs * Ws[outC,1,..])
//           -> Add(B[outC,1,..]).
// One DynamicQuantizeLinear per activation and graph, shared by every node reading it.
import { onnx } from 'onnx-proto';
import { GraphScope, attrFloat, attrInt, findInitializer, makeNode } from './graph';
import { Rewriter } from './rewrite';
import { Candidate } from './select';
import { dimsOf, tensorFloats } from './tensor';
import { QuantizedWeight, quantizeWeight, transpose2d } from './weights';
import { NodeQuantReport } from './report';
import { rewriteLstm } from './rewrite-lstm';

const FLOAT = 1;

function quantizeDynamicInput(rw: Rewriter, scope: GraphScope, x: string): [string, string, string] {
  return rw.once(`dql:${scope.path}:${x}`, () => {
    const outs = [rw.names.fresh(`${x}_quantized`), rw.names.fresh(`${x}_scale`), rw.names.fresh(`${x}_zero_point`)];
    rw.insertAfterValue(scope, x, [
      makeNode('DynamicQuantizeLinear', [x], outs, rw.names.fresh(`${x}_DynamicQuantizeLinear`)),
    ]);
    return outs as [string, string, string];
  });
}

function weightOf(
  rw: Rewriter,
  c: Candidate,
  axis: number | undefined,
): { w: QuantizedWeight; values: Float32Array; dims: number[] } {
  const t = (c.weight as NonNullable<Candidate['weight']>).tensor;
  return rw.once(`w8:${t.name}:${axis}`, () => {
    const values = tensorFloats(t, 'onnx.quantize');
    const dims = dimsOf(t);
    return {
      w: quantizeWeight(values, dims, { bits: 8, symmetric: true, ...(axis !== undefined ? { axis } : {}) }),
      values,
      dims,
    };
  });
}

/** Rewrites one node; returns its report entry, or a reason to leave it float. */
export function rewriteDynamic(rw: Rewriter, c: Candidate): NodeQuantReport | string {
  if (c.op === 'LSTM') return rewriteLstm(rw, c);
  const { node, scope } = c;
  const perChannel = c.granularity === 'per-channel';
  const weight = c.weight as NonNullable<Candidate['weight']>;
  const { w, dims } = weightOf(rw, c, perChannel ? weight.axis : undefined);
  const base = c.name;
  const fresh = (s: string) => rw.names.fresh(`${base}_${s}`);
  const [xq, xs, xz] = quantizeDynamicInput(rw, scope, node.input?.[0] ?? '');
  const y = node.output?.[0] ?? '';
  const nodes: onnx.NodeProto[] = [];
  let scaleShape: number[];
  let acc: string;
  if (c.op === 'Conv') {
    const bias = node.input?.[2];
    const biasTensor = bias ? findInitializer(scope, bias) : undefined;
    if (bias && !biasTensor) return 'its bias is not a constant';
    const wq = rw.once(`w8c:${weight.tensor.name}:${perChannel}`, () =>
      rw.constant(weight.scope, `${weight.tensor.name}_quantized`, Int8Array.from(w.q), dims),
    );
    acc = fresh('int32');
    const copied = (node.attribute ?? []).filter((a) =>
      ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'].includes(a.name ?? ''),
    );
    nodes.push(makeNode('ConvInteger', [xq, wq, xz], [acc], fresh('ConvInteger'), copied as onnx.IAttributeProto[]));
    scaleShape = perChannel ? [dims[0] as number, ...dims.slice(2).map(() => 1)] : [];
    const scaled = biasTensor ? fresh('scaled') : y;
    pushScale(rw, c, nodes, acc, xs, Float32Array.from(w.qp.scale), scaleShape, scaled);
    if (biasTensor) {
      const b = rw.constant(scope, `${base}_bias`, tensorFloats(biasTensor.tensor, 'onnx.quantize'), [
        dims[0] as number,
        ...dims.slice(2).map(() => 1),
      ]);
      nodes.push(makeNode('Add', [scaled, b], [y], fresh('Add')));
    }
  } else {
    // MatMul B [K, N]; Gemm B [K, N] or, with transB, [N, K] (quantized per output channel, then transposed).
    const transB = c.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
    const [k, n] = transB ? [dims[1] as number, dims[0] as number] : [dims[0] as number, dims[1] as number];
    const wq = rw.once(`w8m:${weight.tensor.name}:${perChannel}`, () => {
      const q = transB ? transpose2d(Float32Array.from(w.q), n, k) : Float32Array.from(w.q);
      return rw.constant(weight.scope, `${weight.tensor.name}_quantized`, Int8Array.from(q), [k, n]);
    });
    acc = fresh('int32');
    nodes.push(makeNode('MatMulInteger', [xq, wq, xz], [acc], fresh('MatMulInteger')));
    const alpha = c.op === 'Gemm' ? attrFloat(node, 'alpha', 1) : 1;
    const scales = Float32Array.from(w.qp.scale, (s) => s * alpha);
    const hasC = c.op === 'Gemm' && !!node.input?.[2];
    const scaled = hasC ? fresh('scaled') : y;
    pushScale(rw, c, nodes, acc, xs, scales, perChannel ? [n] : [], scaled);
    if (hasC) {
      const beta = attrFloat(node, 'beta', 1);
      const cName = node.input?.[2] as string;
      const cTensor = findInitializer(scope, cName);
      let addend = cName;
      if (cTensor) {
        const values = tensorFloats(cTensor.tensor, 'onnx.quantize').map((v) => v * beta);
        addend = rw.constant(scope, `${base}_C`, values, dimsOf(cTensor.tensor));
      } else if (beta !== 1) {
        const betaName = rw.constant(scope, `${base}_beta`, Float32Array.of(beta), []);
        addend = fresh('C_scaled');
        nodes.push(makeNode('Mul', [cName, betaName], [addend], fresh('Mul_beta')));
      }
      nodes.push(makeNode('Add', [scaled, addend], [y], fresh('Add')));
    }
    scaleShape = perChannel ? [n] : [];
  }
  rw.replace(node, nodes);
  return nodeReport(
    c,
    w,
    c.op === 'Conv' ? 'ConvInteger' : 'MatMulInteger',
    scaleShape.length ? 'per-channel' : 'per-tensor',
  );
}

/** Cast(acc) -> Mul(x_scale, w_scale) -> Mul: the pattern ONNX Runtime fuses. */
function pushScale(
  rw: Rewriter,
  c: Candidate,
  nodes: onnx.NodeProto[],
  acc: string,
  xs: string,
  scales: Float32Array,
  dims: number[],
  out: string,
): void {
  const fresh = (s: string) => rw.names.fresh(`${c.name}_${s}`);
  const f = fresh('float');
  nodes.push(
    makeNode('Cast', [acc], [f], fresh('Cast'), [
      { name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT },
    ]),
  );
  const ws = rw.constant(
    c.scope,
    `${c.name}_weight_scale`,
    dims.length ? scales : Float32Array.of(scales[0] as number),
    dims,
  );
  const s = fresh('scale');
  nodes.push(makeNode('Mul', [xs, ws], [s], fresh('Mul_scale')));
  nodes.push(makeNode('Mul', [f, s], [out], fresh('Mul')));
}

/** The report entry of a node whose weight `w` was quantized to 8 bits. */
export function nodeReport(
  c: Candidate,
  w: QuantizedWeight,
  form: string,
  granularity: 'per-tensor' | 'per-channel',
): NodeQuantReport {
  const params = w.q.length;
  return {
    name: c.name,
    op: c.op,
    graph: c.scope.path,
    form,
    weightBits: w.qp.bits,
    granularity,
    ...(w.qp.blockSize !== undefined ? { blockSize: w.qp.blockSize } : {}),
    params,
    weightSqnrDb: w.sqnrDb,
  };
}
