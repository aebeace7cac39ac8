// onnx.profile: what an ONNX model holds and costs. Parameters and initializer bytes come from the
// file (initializers and Constant nodes, in every graph; a weight shared by several nodes counts
// once in the totals). MACs per node come from the operator table's rules (ops.ts) applied to the
// shapes ONNX Runtime's profiler records when the model runs once on the user's data (or on zeros of
// `inputShapes`, or of the model's own fixed input shapes), nodes inside If/Loop bodies included;
// that run also gives each node's kernel time with graph optimizations off. The graph itself: every
// node with its inputs and outputs, in order.
import { onnx } from 'onnx-proto';
import { DataError, describe } from '../errors';
import { hoistConstants } from './constants';
import { OnnxData, OnnxFeeds, eachFeeds } from './feeds';
import { allGraphs, attrInt, attrInts, cloneModel, findInitializer, nameNodes } from './graph';
import { opEntry } from './ops';
import { NodeTrace, traceRun } from './ort';
import { OnnxFile, ReadOnnxOptions, toOnnxFile } from './read';
import { DataType, dimsOf, elementCount, num, tensorBytes, typeName } from './tensor';

/** One node of the profile. */
export interface OnnxNodeProfile {
  readonly name: string;
  readonly op: string;
  /** The graph it is in ('main' or a subgraph's path). */
  readonly graph: string;
  readonly inputs: string[];
  readonly outputs: string[];
  /** Elements of its constant inputs (weights, biases). */
  readonly params: number;
  readonly paramBytes: number;
  /** Multiply-accumulates of one example (null: shapes unknown or the node did not run; 0: not counted). */
  readonly macs: number | null;
  readonly outputShapes?: (number[] | null)[];
  /** Kernel time in ONNX Runtime with graph optimizations off (ms, median of the runs). */
  readonly latencyMs?: number;
}

/** A graph input or output. */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type: string;
  /** Dims; a string where the dimension is symbolic. */
  readonly dims: (number | string)[];
}

/** What {@link profile} reports (plain JSON). */
export interface OnnxProfileReport {
  readonly opset: number;
  readonly irVersion: number;
  readonly producer: string;
  readonly sizeBytes: number;
  readonly inputs: OnnxValueInfo[];
  readonly outputs: OnnxValueInfo[];
  /** The input shapes the MACs were measured at (absent when the model did not run). */
  readonly measuredAt?: Record<string, number[]>;
  readonly nodes: OnnxNodeProfile[];
  readonly totals: {
    readonly nodes: number;
    readonly params: number;
    readonly initializerBytes: number;
    /** Per example, over the nodes whose MACs are known. */
    readonly macs: number | null;
    readonly latencyMs?: number;
  };
  /** Per operator type: nodes, MACs and kernel time. */
  readonly ops: Record<string, { count: number; macs: number; params: number; latencyMs?: number }>;
  readonly warnings: string[];
}

/** Options of {@link profile}. */
export interface OnnxProfileOptions {
  /** Shapes to run the model at, by input name (zeros), when no data is given. */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** Runs timed under the profiler (default 3). */
  readonly runs?: number;
  readonly read?: ReadOnnxOptions;
}

function valueInfo(v: onnx.IValueInfoProto): OnnxValueInfo {
  const t = v.type?.tensorType;
  return {
    name: v.name ?? '',
    type: typeName(t?.elemType ?? 0),
    dims: (t?.shape?.dim ?? []).map((d) =>
      d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0 ? num(d.dimValue) : (d.dimParam ?? '?'),
    ),
  };
}

const ZERO_ARRAYS: Readonly<Record<string, (n: number) => OnnxFeeds[string]['data']>> = {
  float32: (n) => new Float32Array(n),
  int64: (n) => new BigInt64Array(n),
  int32: (n) => new Int32Array(n),
  uint8: (n) => new Uint8Array(n),
  int8: (n) => new Int8Array(n),
};

/** Zero feeds at `shapes` (or the model's fixed shapes); undefined when some input has no shape. */
function zeroFeeds(
  inputs: OnnxValueInfo[],
  shapes?: Readonly<Record<string, readonly number[]>>,
): OnnxFeeds | undefined {
  const feeds: Record<string, OnnxFeeds[string]> = {};
  for (const i of inputs) {
    // A free first dim (the batch) runs at 1; other free dims need inputShapes.
    const fixed = i.dims.map((d, k) => (typeof d === 'number' ? d : k === 0 ? 1 : undefined));
    const dims = shapes?.[i.name] ?? (fixed.every((d) => d !== undefined) ? (fixed as number[]) : undefined);
    if (!dims) return undefined;
    if (!dims.every((d) => Number.isInteger(d) && d >= 0))
      throw new DataError(
        `onnx.profile: inputShapes of non-negative integers, got ${describe(dims)} for "${i.name}". Pass e.g. [1, 3, 224, 224].`,
      );
    const make = ZERO_ARRAYS[i.type];
    if (!make) return undefined;
    feeds[i.name] = { data: make(elementCount(dims)), dims: [...dims] };
  }
  return feeds;
}

/**
 * Profiles an ONNX model (a path, bytes, or onnx.read's result). MACs and kernel times need one run:
 * pass `data` (its first feeds), or `inputShapes`, unless every input shape is fixed.
 * @example const r = await onnx.profile('det.onnx', undefined, {inputShapes: {x: [1, 3, 640, 640]}}); r.totals.macs
 */
export async function profile(
  model: OnnxFile | Uint8Array | string,
  data?: OnnxData,
  options: OnnxProfileOptions = {},
): Promise<OnnxProfileReport> {
  const file = toOnnxFile(model, options.read, 'onnx.profile');
  const proto = cloneModel(file.proto);
  nameNodes(proto);
  const graph = proto.graph as onnx.GraphProto;
  const initNames = new Set(graph.initializer.map((t) => t.name));
  const inputs = graph.input.filter((v) => !initNames.has(v.name)).map(valueInfo);
  const warnings: string[] = [];
  let first: OnnxFeeds | undefined;
  if (data !== undefined) for await (const f of eachFeeds(data, 'onnx.profile', 1)) first = f;
  else first = zeroFeeds(inputs, options.inputShapes);
  let traces = new Map<string, NodeTrace>();
  let measuredAt: Record<string, number[]> | undefined;
  if (first) {
    traces = await traceRun(onnx.ModelProto.encode(proto).finish(), [first], options.runs ?? 3);
    measuredAt = Object.fromEntries(Object.entries(first).map(([k, v]) => [k, [...v.dims]]));
  } else
    warnings.push('MACs and kernel times need one run: pass data or inputShapes (the model has symbolic input dims).');
  const batch = Math.max(1, Object.values(measuredAt ?? {})[0]?.[0] ?? 1);
  hoistConstants(proto);
  const nodes: OnnxNodeProfile[] = [];
  const seen = new Set<string>();
  let params = 0;
  let initializerBytes = 0;
  for (const scope of allGraphs(proto))
    for (const t of scope.graph.initializer ?? []) {
      initializerBytes += tensorBytes(t);
      if (t.dataType === DataType.FLOAT || t.dataType === DataType.FLOAT16) params += elementCount(dimsOf(t));
    }
  for (const scope of allGraphs(proto))
    for (const n of scope.graph.node ?? []) {
      const name = n.name ?? '';
      let nodeParams = 0;
      let nodeBytes = 0;
      for (const x of n.input ?? []) {
        const found = x ? findInitializer(scope, x) : undefined;
        if (!found || seen.has(`${name}:${x}`)) continue;
        seen.add(`${name}:${x}`);
        if (found.tensor.dataType === DataType.FLOAT || found.tensor.dataType === DataType.FLOAT16)
          nodeParams += elementCount(dimsOf(found.tensor));
        nodeBytes += tensorBytes(found.tensor);
      }
      const trace = traces.get(name);
      const rule = opEntry(n.opType, n.domain).macs;
      const macs = !rule
        ? 0
        : trace
          ? (rule(
              {
                // ONNX Runtime's profiler leaves some constant inputs out (ConvTranspose's weight): the file has their dims.
                inputs: (n.input ?? []).map((x, i) => {
                  const t = x ? findInitializer(scope, x)?.tensor : undefined;
                  return trace.inputs[i] ?? (t ? dimsOf(t) : undefined);
                }),
                outputs: trace.outputs,
              },
              {
                group: attrInt(n, 'group', 1),
                kernelShape: attrInts(n, 'kernel_shape'),
                transA: attrInt(n, 'transA', 0),
              },
            ) ?? null)
          : null;
      nodes.push({
        name,
        op: n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : (n.opType ?? ''),
        graph: scope.path,
        inputs: [...(n.input ?? [])],
        outputs: [...(n.output ?? [])],
        params: nodeParams,
        paramBytes: nodeBytes,
        macs: macs === null ? null : macs / batch,
        ...(trace ? { outputShapes: trace.outputs.map((d) => d ?? null), latencyMs: trace.latencyMs } : {}),
      });
    }
  const ops: OnnxProfileReport['ops'] = {};
  for (const n of nodes) {
    const o = (ops[n.op] ??= { count: 0, macs: 0, params: 0, ...(traces.size ? { latencyMs: 0 } : {}) });
    o.count++;
    o.macs += n.macs ?? 0;
    o.params += n.params;
    if (o.latencyMs !== undefined) o.latencyMs += n.latencyMs ?? 0;
  }
  const unknown = nodes.filter((n) => n.macs === null && traces.size);
  if (unknown.length)
    warnings.push(
      `${unknown.length} nodes with a MAC rule are not counted (did not run on this input, an If branch not taken, or shapes not recorded): ${unknown
        .slice(0, 5)
        .map((n) => n.name)
        .join(', ')}${unknown.length > 5 ? ', ...' : ''}.`,
    );
  return {
    opset: file.opset,
    irVersion: file.irVersion,
    producer: [proto.producerName, proto.producerVersion].filter(Boolean).join(' '),
    sizeBytes: file.sizeBytes,
    inputs,
    outputs: graph.output.map(valueInfo),
    ...(measuredAt ? { measuredAt } : {}),
    nodes,
    totals: {
      nodes: nodes.length,
      params,
      initializerBytes,
      macs: traces.size ? nodes.reduce((a, n) => a + (n.macs ?? 0), 0) : null,
      ...(traces.size ? { latencyMs: nodes.reduce((a, n) => a + (n.latencyMs ?? 0), 0) } : {}),
    },
    ops,
    warnings,
  };
}
