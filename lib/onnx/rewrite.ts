// Editing a model's graphs in place (on a copy), keeping every graph topologically sorted: new
// nodes go before the node that reads them, or right after the node that produces the value they
// read; new constants go into a chosen graph's initializers. Edits are collected, then applied
// in one pass per graph. `finalize` then removes what no longer has a reader (float weights that
// were replaced, stale value_info), drops initializers from the graph inputs (IR >= 4), keeps
// only the opset imports the nodes use, and encodes.
import { onnx } from 'onnx-proto';
import { ExportError } from '../errors';
import { GraphScope, Names, allGraphs, producers, subgraphs } from './graph';
import { TensorData, makeTensor, num } from './tensor';

/** Collected edits of one model. */
export class Rewriter {
  private readonly before = new Map<onnx.INodeProto, onnx.NodeProto[]>();
  private readonly after = new Map<onnx.INodeProto, onnx.NodeProto[]>();
  private readonly start = new Map<onnx.IGraphProto, onnx.NodeProto[]>();
  private readonly replaced = new Map<onnx.INodeProto, onnx.NodeProto[]>();
  private readonly cache = new Map<string, unknown>();

  constructor(
    readonly model: onnx.ModelProto,
    readonly names: Names,
  ) {}

  /** Adds a constant to `scope`'s graph; returns its (fresh) name. */
  constant(scope: GraphScope, base: string, data: TensorData, dims: readonly number[]): string {
    const name = this.names.fresh(base);
    (scope.graph.initializer ??= []).push(makeTensor(name, data, dims));
    return name;
  }

  /** A value computed once per key (a shared DynamicQuantizeLinear, a weight quantized once). */
  once<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }

  /** Puts `nodes` before `node` in its graph. */
  insertBefore(node: onnx.INodeProto, nodes: onnx.NodeProto[]): void {
    this.before.set(node, [...(this.before.get(node) ?? []), ...nodes]);
  }

  /** Puts `nodes` right after the producer of `value` in `scope` (at the start when it is an input, an initializer or an outer value). */
  insertAfterValue(scope: GraphScope, value: string, nodes: onnx.NodeProto[]): void {
    const p = producers(scope.graph).get(value);
    if (p) this.after.set(p, [...(this.after.get(p) ?? []), ...nodes]);
    else this.start.set(scope.graph, [...(this.start.get(scope.graph) ?? []), ...nodes]);
  }

  /** Replaces `node` by `nodes` (in place, in its graph). */
  replace(node: onnx.INodeProto, nodes: onnx.NodeProto[]): void {
    this.replaced.set(node, nodes);
  }

  /** Applies the collected edits to every graph. */
  apply(): void {
    for (const { graph } of allGraphs(this.model)) {
      const out: onnx.NodeProto[] = [...(this.start.get(graph) ?? [])];
      for (const n of (graph.node ?? []) as onnx.NodeProto[]) {
        out.push(...(this.before.get(n) ?? []));
        out.push(...(this.replaced.get(n) ?? [n]));
        out.push(...(this.after.get(n) ?? []));
      }
      graph.node = out;
    }
    this.before.clear();
    this.after.clear();
    this.start.clear();
    this.replaced.clear();
  }
}

/** Renames every read of `from` to `to` by `readers` (and inside their subgraphs, which see outer names). */
export function renameReads(readers: readonly onnx.INodeProto[], from: string, to: string): void {
  const visit = (n: onnx.INodeProto): void => {
    n.input = (n.input ?? []).map((x) => (x === from ? to : x));
    for (const s of subgraphs(n)) for (const inner of s.graph.node ?? []) visit(inner);
    for (const s of subgraphs(n)) for (const o of s.graph.output ?? []) if (o.name === from) o.name = to;
  };
  readers.forEach(visit);
}

/** Removes initializers nothing reads (in any graph, or as a graph output) and value_info of values no longer produced. */
function prune(model: onnx.ModelProto): void {
  const graphs = allGraphs(model);
  const read = new Set<string>();
  for (const { graph } of graphs) {
    for (const n of graph.node ?? []) for (const x of n.input ?? []) read.add(x);
    for (const o of graph.output ?? []) read.add(o.name ?? '');
  }
  for (const { graph } of graphs) {
    graph.initializer = (graph.initializer ?? []).filter((t) => read.has(t.name ?? '')) as onnx.TensorProto[];
    const known = new Set([
      ...(graph.initializer ?? []).map((t) => t.name),
      ...(graph.node ?? []).flatMap((n) => n.output ?? []),
      ...(graph.input ?? []).map((v) => v.name),
    ]);
    graph.valueInfo = (graph.valueInfo ?? []).filter((v) => known.has(v.name ?? '')) as onnx.ValueInfoProto[];
  }
  const initializers = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  if (model.graph && num(model.irVersion) >= 4)
    model.graph.input = (model.graph.input ?? []).filter((v) => !initializers.has(v.name)) as onnx.ValueInfoProto[];
}

/** Keeps the default-domain import, and the other imports only when a node uses their domain. */
function pruneOpsets(model: onnx.ModelProto): void {
  const used = new Set<string>();
  for (const { graph } of allGraphs(model)) for (const n of graph.node ?? []) used.add(n.domain ?? '');
  model.opsetImport = (model.opsetImport ?? []).filter(
    (o) => !o.domain || o.domain === 'ai.onnx' || used.has(o.domain),
  ) as onnx.OperatorSetIdProto[];
  if (used.has('com.microsoft') && !model.opsetImport.some((o) => o.domain === 'com.microsoft'))
    model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 }));
}

/** Protobuf's limit: a model past it must keep weights in external data. */
const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** Cleans up and encodes the model (no topological check: the rewriters keep order). */
export function finalize(model: onnx.ModelProto, fn: string): Uint8Array {
  prune(model);
  pruneOpsets(model);
  let bytes: Uint8Array;
  try {
    bytes = onnx.ModelProto.encode(model).finish();
  } catch (e) {
    throw new ExportError(
      `${fn}: a model protobuf can encode, got "${(e as Error).message}". Quantize fewer nodes or report it.`,
    );
  }
  if (bytes.length > MAX_MODEL_BYTES)
    throw new ExportError(
      `${fn}: a model under 2 GiB (protobuf's limit), got ${bytes.length} bytes. Quantize more of its weights to shrink it.`,
    );
  return bytes;
}
