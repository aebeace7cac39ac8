// Static INT8 in QDQ form (what ONNX Runtime's quantize_static writes, and what it fuses into
// QLinearConv / QGemm / QLinearMatMul when it loads the model): int8 weights behind a
// DequantizeLinear (symmetric, per output channel), int32 biases on the grid x_scale * w_scale,
// and a QuantizeLinear -> DequantizeLinear pair on each activation a quantized node reads or
// writes, its range calibrated on the user's data. Placement follows the tfjs path: a node's
// output is quantized after the activation fused into it (a Relu or Clip that is its only
// reader), not before, the form ONNX Runtime's Relu/Clip + QuantizeLinear fusions remove. One pair
// per value, shared by every reader; graph outputs stay float.
import { onnx } from 'onnx-proto';
import { QParams, qparamsFromRange } from '../quantize/qparams';
import { biasQParams } from '../quantize/plan';
import { GraphScope, attrFloat, attrs, consumers, findInitializer, makeNode } from './graph';
import { opEntry } from './ops';
import { Rewriter, renameReads } from './rewrite';
import { Candidate } from './select';
import { dimsOf, tensorFloats } from './tensor';
import { zeroPoints } from './weights';
import { NodeQuantReport } from './report';
import { nodeReport } from './rewrite-dynamic';
import { dequantizedWeight } from './rewrite-weights';

/** A value on an activation grid, in its graph. */
export interface StaticPoint {
  readonly scope: GraphScope;
  readonly value: string;
}

/** The key of a value in a graph. */
export const pointKey = (scope: GraphScope, value: string): string => `${scope.path}\u0000${value}`;

/**
 * The values a static quantization puts on a grid: each node's activation inputs and its output,
 * taken after the activation fused into it. Keys by {@link pointKey}; each candidate's keys.
 */
export function staticPoints(candidates: readonly Candidate[]): {
  points: Map<string, StaticPoint>;
  byCandidate: Map<Candidate, string[]>;
} {
  const points = new Map<string, StaticPoint>();
  const byCandidate = new Map<Candidate, string[]>();
  for (const c of candidates) {
    const readers = consumers(c.scope.graph);
    const graphOutputs = new Set((c.scope.graph.output ?? []).map((o) => o.name));
    const values: string[] = [];
    // Activation inputs: X / A, and B of a product of two activations.
    for (const i of c.op === 'MatMul' || c.op === 'Gemm' ? [0, 1] : [0]) {
      const x = c.node.input?.[i];
      if (x && !findInitializer(c.scope, x)) values.push(x);
    }
    let y = c.node.output?.[0] ?? '';
    const after = readers.get(y) ?? [];
    const act = after[0];
    if (after.length === 1 && act && opEntry(act.opType, act.domain).fusesIntoProducer && !graphOutputs.has(y))
      y = act.output?.[0] ?? y;
    values.push(y);
    const keys = values.map((v) => {
      const k = pointKey(c.scope, v);
      points.set(k, { scope: c.scope, value: v });
      return k;
    });
    byCandidate.set(c, keys);
  }
  return { points, byCandidate };
}

/** The grid of an activation range (uint8 asymmetric by default, int8 symmetric when asked). */
export function activationGrid(range: { min: number; max: number }, symmetric: boolean): QParams {
  return qparamsFromRange([range.min], [range.max], { bits: 8, symmetric, signed: symmetric });
}

/**
 * Inserts the QDQ pairs on `points` (grids from `grids`) and the DequantizeLinear weights and int32
 * biases of `candidates`; returns each node's report entry.
 */
export function rewriteStatic(
  rw: Rewriter,
  candidates: readonly Candidate[],
  points: ReadonlyMap<string, StaticPoint>,
  grids: ReadonlyMap<string, QParams>,
): NodeQuantReport[] {
  const readersOf = new Map<onnx.IGraphProto, ReturnType<typeof consumers>>();
  const inputOf = new Map(candidates.map((c) => [c, pointKey(c.scope, c.node.input?.[0] ?? '')])); // before the reads are renamed
  for (const [key, qp] of grids) {
    const { scope, value } = points.get(key) as StaticPoint;
    if (!readersOf.has(scope.graph)) readersOf.set(scope.graph, consumers(scope.graph));
    const readers = readersOf.get(scope.graph) as ReturnType<typeof consumers>;
    const scale = rw.constant(scope, `${value}_scale`, Float32Array.of(qp.scale[0] as number), []);
    const zp = rw.constant(scope, `${value}_zero_point`, zeroPoints(qp).subarray(0, 1), []);
    const q = rw.names.fresh(`${value}_quantized`);
    const dq = rw.names.fresh(`${value}_dequantized`);
    rw.insertAfterValue(scope, value, [
      makeNode('QuantizeLinear', [value, scale, zp], [q], rw.names.fresh(`${value}_QuantizeLinear`)),
      makeNode('DequantizeLinear', [q, scale, zp], [dq], rw.names.fresh(`${value}_DequantizeLinear`)),
    ]);
    renameReads(readers.get(value) ?? [], value, dq);
  }
  const reports: NodeQuantReport[] = [];
  for (const c of candidates) {
    if (!c.weight) {
      reports.push({
        name: c.name,
        op: c.op,
        graph: c.scope.path,
        form: 'QDQ',
        weightBits: 8,
        granularity: 'per-tensor',
        params: 0,
      });
      continue;
    }
    const w = dequantizedWeight(rw, c, true);
    const dqNodes = [w.dq];
    // Bias on the int32 grid x_scale * w_scale (zero point 0), as QLinearConv and QGemm accumulate it.
    const xGrid = grids.get(inputOf.get(c) ?? '');
    const bias = c.node.input?.[2];
    const biasTensor = bias ? findInitializer(c.scope, bias) : undefined;
    const gemmBetaOne = c.op !== 'Gemm' || attrFloat(c.node, 'beta', 1) === 1;
    if (
      xGrid &&
      biasTensor &&
      gemmBetaOne &&
      (c.op === 'Conv' || c.op === 'Gemm') &&
      dimsOf(biasTensor.tensor).length === 1
    ) {
      const bq = biasQParams(xGrid, w.qw.qp);
      const b = tensorFloats(biasTensor.tensor, 'onnx.quantize');
      const ints = Int32Array.from(b, (v, i) =>
        Math.max(
          -(2 ** 31),
          Math.min(2 ** 31 - 1, Math.round(v / (bq.scale[bq.axis === undefined ? 0 : i] as number))),
        ),
      );
      const bi = rw.constant(c.scope, `${c.name}_bias_quantized`, ints, [ints.length]);
      const bs = rw.constant(
        c.scope,
        `${c.name}_bias_scale`,
        Float32Array.from(bq.scale),
        bq.axis === undefined ? [] : [bq.scale.length],
      );
      const bdq = rw.names.fresh(`${c.name}_bias_dequantized`);
      dqNodes.push(
        makeNode(
          'DequantizeLinear',
          [bi, bs],
          [bdq],
          rw.names.fresh(`${c.name}_bias_DequantizeLinear`),
          bq.axis === undefined ? [] : [attrs.int('axis', 0)],
        ),
      );
      c.node.input = (c.node.input ?? []).map((v, i) => (i === 2 ? bdq : v));
    }
    rw.insertBefore(c.node, dqNodes);
    reports.push(nodeReport(c, w.qw, 'QDQ', w.granularity));
  }
  return reports;
}
