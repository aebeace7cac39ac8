// Which nodes a quantization touches: the operators the mode applies to (ops.ts), whose weight is
// a float32 constant, filtered by the same words as the tfjs verbs: `skip` and `only` are node-name
// patterns (`*` matches any text, as in recipes), `layers` maps patterns to per-node overrides
// (weightBits, granularity, blockSize). A pattern that matches no node is an error naming the
// nodes there are. Every eligible node left out says why.
import { onnx } from 'onnx-proto';
import { ConfigError, describe } from '../errors';
import { globToRegExp } from '../core/glob';
import { GraphScope, allGraphs, attrInt, findInitializer } from './graph';
import { exposable } from './expose';
import { OnnxQuantMode, opEntry } from './ops';
import { DataType, dimsOf } from './tensor';

/** Per-node overrides (the tfjs verb's `layers` words). */
export interface OnnxNodeQuantOptions {
  readonly weightBits?: number;
  readonly granularity?: 'per-tensor' | 'per-channel';
  /** Weight-only 4-bit: values per block along K (32, 64 or 128). */
  readonly blockSize?: number;
}

/** A node a mode will rewrite. */
export interface Candidate {
  readonly node: onnx.NodeProto;
  readonly name: string;
  readonly op: string;
  readonly scope: GraphScope;
  /** The constant weight, where it lives and its output-channel axis (absent: a product of two activations). */
  readonly weight?: { readonly tensor: onnx.ITensorProto; readonly scope: GraphScope; readonly axis: number };
  /** The node's settings after overrides. */
  readonly weightBits: number;
  readonly granularity: 'per-tensor' | 'per-channel';
  readonly blockSize: number;
}

/** A node the mode could apply to but does not, and why. */
export interface SkippedNode {
  readonly name: string;
  readonly op: string;
  readonly reason: string;
}

/** What selection reads from the options. */
export interface SelectOptions {
  readonly mode: OnnxQuantMode;
  readonly weightBits: number;
  readonly granularity: 'per-tensor' | 'per-channel';
  readonly blockSize: number;
  readonly ops?: readonly string[];
  readonly skip?: readonly string[];
  readonly only?: readonly string[];
  readonly layers?: Readonly<Record<string, OnnxNodeQuantOptions>>;
}

function matcher(
  patterns: readonly string[] | undefined,
  field: string,
  names: readonly string[],
): (n: string) => boolean {
  if (patterns === undefined) return () => false;
  if (!Array.isArray(patterns) || !patterns.every((p) => typeof p === 'string'))
    throw new ConfigError(
      `onnx.quantize: ${field} a list of node-name patterns, got ${describe(patterns)}. Pass e.g. ['*Conv.0'].`,
    );
  const res = patterns.map((p) => {
    const re = globToRegExp(p);
    if (!names.some((n) => re.test(n)))
      throw new ConfigError(
        `onnx.quantize: ${field} patterns that match node names, got "${p}" matching none. Nodes are: ${names.slice(0, 30).join(', ')}${names.length > 30 ? ', ...' : ''}.`,
      );
    return re;
  });
  return (n) => res.some((re) => re.test(n));
}

/** Why a node cannot take the mode (undefined: it can). */
function refusal(
  c: Omit<Candidate, 'weightBits' | 'granularity' | 'blockSize'>,
  mode: OnnxQuantMode,
  bits: number,
): string | undefined {
  const { node, op, weight } = c;
  if (!weight && mode !== 'float16' && (mode !== 'static' || op !== 'MatMul'))
    return 'its weight is not a float32 constant (an initializer or a folded Constant)';
  if (mode === 'static' && !exposable(c.scope))
    return "it is inside a Loop or Scan body (its values stack per iteration, so they are not calibrated); use mode 'dynamic' for it";
  if (op === 'Gemm' && attrInt(node, 'transA', 0) !== 0 && mode !== 'static' && mode !== 'float16')
    return 'a Gemm with transA = 1 (its input would need a transpose first)';
  const dims = weight ? dimsOf(weight.tensor) : [];
  if (mode === 'weight-only' && bits === 4) {
    if (!opEntry(op).int4)
      return "4-bit weight-only is MatMulNBits, for MatMul and Gemm weights; give this node weightBits 8 in 'layers' to store its weights in int8";
    if (dims.length !== 2) return `a ${dims.length}-D weight (MatMulNBits takes a 2-D [K, N] weight)`;
  }
  if (op === 'LSTM' && mode === 'dynamic') {
    const r = findInitializer(c.scope, node.input?.[2] ?? '');
    if (dims.length !== 3 || !r || r.tensor.dataType !== DataType.FLOAT || dimsOf(r.tensor).length !== 3)
      return 'its W and R are not 3-D float32 constants';
    if (attrInt(node, 'layout', 0) !== 0)
      return 'an LSTM with layout = 1 (DynamicQuantizeLSTM takes the default layout)';
  }
  if ((mode === 'dynamic' || mode === 'weight-only') && op === 'MatMul' && dims.length !== 2)
    return `a ${dims.length}-D weight (2-D [K, N] weights only)`;
  return undefined;
}

/** The nodes `options.mode` rewrites, and the eligible ones it leaves, with reasons. */
export function selectNodes(
  model: onnx.ModelProto,
  options: SelectOptions,
): { candidates: Candidate[]; skipped: SkippedNode[] } {
  const scopes = allGraphs(model);
  const all = scopes.flatMap((s) => (s.graph.node ?? []).map((n) => ({ node: n as onnx.NodeProto, scope: s })));
  const names = all.map((e) => e.node.name ?? '');
  const skip = matcher(options.skip, 'skip', names);
  const only = options.only === undefined ? () => true : matcher(options.only, 'only', names);
  const layerPatterns = Object.entries(options.layers ?? {}).map(([p, o]) => ({
    match: matcher([p], 'layers', names),
    o,
  }));
  const candidates: Candidate[] = [];
  const skipped: SkippedNode[] = [];
  for (const { node, scope } of all) {
    const op = node.opType ?? '';
    const entry = opEntry(op, node.domain);
    if (!entry.modes?.includes(options.mode)) continue;
    const name = node.name ?? '';
    const leave = (reason: string) => skipped.push({ name, op, reason });
    if (options.ops && !options.ops.includes(op)) {
      leave(`its operator is not in ops [${options.ops.join(', ')}]`);
      continue;
    }
    if (skip(name)) {
      leave('it matches a skip pattern');
      continue;
    }
    if (!only(name)) {
      leave('it matches no only pattern');
      continue;
    }
    let weight: Candidate['weight'];
    if (entry.weight) {
      const found = findInitializer(scope, node.input?.[entry.weight.input] ?? '');
      if (found && found.tensor.dataType === DataType.FLOAT)
        weight = { ...found, axis: entry.weight.channelAxis(attrInt(node, 'transB', 0)) };
    }
    const over = layerPatterns
      .filter((l) => l.match(name))
      .reduce((a, l) => ({ ...a, ...l.o }), {} as OnnxNodeQuantOptions);
    const bits = over.weightBits ?? options.weightBits;
    const why = refusal({ node, name, op, scope, ...(weight ? { weight } : {}) }, options.mode, bits);
    if (why) {
      leave(why);
      continue;
    }
    candidates.push({
      node,
      name,
      op,
      scope,
      ...(weight ? { weight } : {}),
      weightBits: bits,
      granularity: over.granularity ?? options.granularity,
      blockSize: over.blockSize ?? options.blockSize,
    });
  }
  return { candidates, skipped };
}
