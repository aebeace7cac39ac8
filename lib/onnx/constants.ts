// Constants as initializers, once each. Exporters often keep weights in Constant nodes (paddle2onnx,
// torch's inlined If branches); the quantizers read initializers, so Constant nodes become
// initializers of their graph. ONNX Runtime's constant folding can copy a weight into each branch
// of an If that reads it (Silero VAD's LSTM weights), so identical initializers are merged into one,
// kept in the innermost graph that encloses every reader (outer names are visible inside subgraphs).
import { createHash } from 'crypto';
import { onnx } from 'onnx-proto';
import { GraphScope, allGraphs, attr } from './graph';
import { renameReads } from './rewrite';
import { makeTensor } from './tensor';

/** Turns Constant nodes with a tensor, float(s) or int(s) value into initializers; returns how many. */
export function hoistConstants(model: onnx.ModelProto): number {
  let moved = 0;
  for (const { graph } of allGraphs(model)) {
    const outputs = new Set((graph.output ?? []).map((o) => o.name));
    const kept: onnx.NodeProto[] = [];
    for (const n of (graph.node ?? []) as onnx.NodeProto[]) {
      const y = n.output?.[0] ?? '';
      const t =
        n.opType === 'Constant' && (!n.domain || n.domain === 'ai.onnx') && !outputs.has(y)
          ? constantValue(n, y)
          : undefined;
      if (!t) {
        kept.push(n);
        continue;
      }
      (graph.initializer ??= []).push(t);
      moved++;
    }
    graph.node = kept;
  }
  return moved;
}

function constantValue(n: onnx.INodeProto, name: string): onnx.TensorProto | undefined {
  const value = attr(n, 'value');
  if (value?.t) return onnx.TensorProto.create({ ...value.t, name });
  const f = attr(n, 'value_float');
  if (f) return makeTensor(name, Float32Array.of(f.f ?? 0), []);
  const fs = attr(n, 'value_floats');
  if (fs) return makeTensor(name, Float32Array.from(fs.floats ?? []), [fs.floats?.length ?? 0]);
  const i = attr(n, 'value_int');
  if (i) return makeTensor(name, BigInt64Array.of(BigInt(String(i.i ?? 0))), []);
  const is = attr(n, 'value_ints');
  if (is)
    return makeTensor(
      name,
      BigInt64Array.from(is.ints ?? [], (v) => BigInt(String(v))),
      [is.ints?.length ?? 0],
    );
  return undefined;
}

const key = (t: onnx.ITensorProto): string | undefined =>
  t.rawData && t.rawData.length >= 1024
    ? `${t.dataType}:${(t.dims ?? []).join(',')}:${createHash('sha256').update(t.rawData).digest('hex')}`
    : undefined;

function ancestors(s: GraphScope): GraphScope[] {
  const out: GraphScope[] = [];
  for (let c: GraphScope | undefined = s; c; c = c.parent) out.unshift(c);
  return out;
}

/** Merges initializers of 1 KiB or more with the same type, shape and bytes; returns the bytes saved. */
export function dedupeInitializers(model: onnx.ModelProto): number {
  const scopes = allGraphs(model);
  const groups = new Map<string, { tensor: onnx.TensorProto; scope: GraphScope }[]>();
  const outputs = new Set(scopes.flatMap((s) => (s.graph.output ?? []).map((o) => o.name)));
  for (const scope of scopes)
    for (const t of (scope.graph.initializer ?? []) as onnx.TensorProto[]) {
      const k = outputs.has(t.name) ? undefined : key(t);
      if (k) groups.set(k, [...(groups.get(k) ?? []), { tensor: t, scope }]);
    }
  let saved = 0;
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    // The innermost graph enclosing every copy: their scope chains' longest common prefix.
    const chains = members.map((m) => ancestors(m.scope));
    let depth = 0;
    while (chains.every((c) => c[depth] && c[depth]?.graph === chains[0]?.[depth]?.graph)) depth++;
    const home = chains[0]?.[depth - 1] as GraphScope;
    const keep = members[0]?.tensor as onnx.TensorProto;
    for (const m of members)
      m.scope.graph.initializer = (m.scope.graph.initializer ?? []).filter((t) => t !== m.tensor) as onnx.TensorProto[];
    (home.graph.initializer ??= []).push(keep);
    const readers = scopes.flatMap((s) => s.graph.node ?? []);
    for (const m of members.slice(1)) {
      renameReads(readers, m.tensor.name ?? '', keep.name ?? '');
      saved += m.tensor.rawData?.length ?? 0;
    }
  }
  return saved;
}
