// Walking an ONNX model: its main graph and every subgraph (the branches of If, the bodies of Loop
// and Scan), each with the chain of scopes it can see (a subgraph reads the values and
// initializers of the graphs around it by name). Names are unique across the whole model (ONNX's
// SSA rule: a subgraph never shadows an outer name), so one name set serves every graph.
import { onnx } from 'onnx-proto';
import { num } from './tensor';

/** One graph of a model, with the scopes around it. */
export interface GraphScope {
  readonly graph: onnx.IGraphProto;
  /** The enclosing graph's scope (absent for the main graph). */
  readonly parent?: GraphScope;
  /** The node whose attribute holds this graph (absent for the main graph). */
  readonly owner?: onnx.INodeProto;
  /** Where the graph sits, e.g. 'main' or 'main/If_0.then_branch'. */
  readonly path: string;
}

/** The subgraphs held by a node's attributes (If branches, Loop and Scan bodies), with the attribute names. */
export function subgraphs(node: onnx.INodeProto): { name: string; graph: onnx.IGraphProto }[] {
  const out: { name: string; graph: onnx.IGraphProto }[] = [];
  for (const a of node.attribute ?? []) {
    if (a.g) out.push({ name: a.name ?? '', graph: a.g });
    for (const g of a.graphs ?? []) out.push({ name: a.name ?? '', graph: g });
  }
  return out;
}

/** Every graph of the model, outermost first. */
export function allGraphs(model: onnx.IModelProto): GraphScope[] {
  const out: GraphScope[] = [];
  const visit = (scope: GraphScope): void => {
    out.push(scope);
    for (const node of scope.graph.node ?? [])
      for (const s of subgraphs(node))
        visit({
          graph: s.graph,
          parent: scope,
          owner: node,
          path: `${scope.path}/${node.name ?? node.opType}.${s.name}`,
        });
  };
  if (model.graph) visit({ graph: model.graph, path: 'main' });
  return out;
}

/** The initializer named `name` visible from `scope` (its own graph or an enclosing one). */
export function findInitializer(
  scope: GraphScope,
  name: string,
): { tensor: onnx.ITensorProto; scope: GraphScope } | undefined {
  for (let s: GraphScope | undefined = scope; s; s = s.parent) {
    const t = (s.graph.initializer ?? []).find((i) => i.name === name);
    if (t) return { tensor: t, scope: s };
  }
  return undefined;
}

/** The default-domain opset the model imports (0 when it imports none). */
export function defaultOpset(model: onnx.IModelProto): number {
  const o = (model.opsetImport ?? []).find((i) => !i.domain || i.domain === 'ai.onnx');
  return o ? num(o.version) : 0;
}

/** A deep copy (the verbs never mutate their input). */
export function cloneModel(model: onnx.IModelProto): onnx.ModelProto {
  return onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
}

/** Every value and node name used anywhere in the model; hands out fresh ones. */
export class Names {
  private readonly used = new Set<string>();

  constructor(model: onnx.IModelProto) {
    for (const { graph } of allGraphs(model)) {
      for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])])
        this.used.add(v.name ?? '');
      for (const t of graph.initializer ?? []) this.used.add(t.name ?? '');
      for (const n of graph.node ?? []) {
        if (n.name) this.used.add(n.name);
        for (const x of [...(n.input ?? []), ...(n.output ?? [])]) this.used.add(x);
      }
    }
  }

  /** A name not used yet, derived from `base`; reserved from now on. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/**
 * Gives every unnamed node a name (`<OpType>_<index>`, unique in the model), so that reports and
 * `skip`/`only`/`layers` patterns can name each node. Mutates `model` (call it on a copy).
 */
export function nameNodes(model: onnx.IModelProto, names: Names = new Names(model)): void {
  let i = 0;
  for (const { graph } of allGraphs(model))
    for (const n of graph.node ?? []) if (!n.name) n.name = names.fresh(`${n.opType}_${i++}`);
}

/** For each value name in `graph`, the nodes of that graph reading it (subgraph reads count for their owner node). */
export function consumers(graph: onnx.IGraphProto): Map<string, onnx.INodeProto[]> {
  const out = new Map<string, onnx.INodeProto[]>();
  const add = (name: string, n: onnx.INodeProto): void => {
    if (!name) return;
    const list = out.get(name) ?? [];
    if (!list.includes(n)) list.push(n);
    out.set(name, list);
  };
  for (const n of graph.node ?? []) {
    for (const x of n.input ?? []) add(x, n);
    for (const s of subgraphs(n)) for (const name of outerReads(s.graph)) add(name, n);
  }
  return out;
}

/** Names a graph (and its own subgraphs) reads without producing them: what it takes from outer scopes. */
export function outerReads(graph: onnx.IGraphProto): Set<string> {
  const produced = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ''),
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
    ...(graph.node ?? []).flatMap((n) => n.output ?? []),
  ]);
  const out = new Set<string>();
  for (const n of graph.node ?? []) {
    for (const x of n.input ?? []) if (x && !produced.has(x)) out.add(x);
    for (const s of subgraphs(n)) for (const x of outerReads(s.graph)) if (!produced.has(x)) out.add(x);
  }
  for (const v of graph.output ?? []) if (v.name && !produced.has(v.name)) out.add(v.name);
  return out;
}

/** The node producing each value of `graph`. */
export function producers(graph: onnx.IGraphProto): Map<string, onnx.INodeProto> {
  const out = new Map<string, onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const y of n.output ?? []) if (y) out.set(y, n);
  return out;
}

/** An attribute of a node by name. */
export function attr(node: onnx.INodeProto, name: string): onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

/** An int attribute (or `fallback`). */
export function attrInt(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a && a.i !== undefined && a.i !== null ? num(a.i) : fallback;
}

/** An ints attribute (or `fallback`). */
export function attrInts(node: onnx.INodeProto, name: string, fallback?: number[]): number[] | undefined {
  const a = attr(node, name);
  return a?.ints?.length ? a.ints.map(num) : fallback;
}

/** A float attribute (or `fallback`). */
export function attrFloat(node: onnx.INodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a && a.f !== undefined && a.f !== null ? a.f : fallback;
}

/** A string attribute (or `fallback`). */
export function attrString(node: onnx.INodeProto, name: string, fallback: string): string {
  const a = attr(node, name);
  return a?.s?.length ? new TextDecoder().decode(a.s) : fallback;
}

const T = onnx.AttributeProto.AttributeType;

/** Attribute builders. */
export const attrs = {
  int: (name: string, i: number): onnx.IAttributeProto => ({ name, type: T.INT, i }),
  ints: (name: string, ints: readonly number[]): onnx.IAttributeProto => ({ name, type: T.INTS, ints: [...ints] }),
  float: (name: string, f: number): onnx.IAttributeProto => ({ name, type: T.FLOAT, f }),
  string: (name: string, s: string): onnx.IAttributeProto => ({ name, type: T.STRING, s: new TextEncoder().encode(s) }),
};

/** A node (standard domain unless `domain`). */
export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  name: string,
  attributes: onnx.IAttributeProto[] = [],
  domain?: string,
): onnx.NodeProto {
  return onnx.NodeProto.create({
    opType,
    input: [...inputs],
    output: [...outputs],
    name,
    attribute: attributes,
    ...(domain ? { domain } : {}),
  });
}
