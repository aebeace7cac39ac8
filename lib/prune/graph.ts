// The dependency graph of structured pruning (after Torch-Pruning's DepGraph, Fang et al. 2023,
// arXiv:2301.12900, in a small vocabulary): every tensor's last axis is a channel `Space`. It
// walks the one graph walker (`modelGraph`) and reads each layer's channel role from the layer
// registry (lib/core/layers.ts), so a layer type is known here once it has an entry there:
// - producers (Dense, Conv) create a space and consume their input's (their kernel's `inAxis`
//   reads it, its `outAxis` writes the new one);
// - tied layers (BatchNormalization, depthwise conv, PReLU) follow their input's space: their
//   per-channel weights lose the same channels;
// - pass layers (activations, pooling, padding, dropout, a Reshape that keeps the last axis such
//   as squeeze-excite's (C) -> (1, 1, C)) hand the space on; a softmax over channels mixes them,
//   so its space is frozen;
// - merge layers (Add, Multiply, ...) unite their inputs' spaces into one group: a residual
//   block and its shortcut, or squeeze-excite's gate and its block, drop the same channels (Li
//   et al. 2017). An input of one channel broadcast against C is frozen, not united;
// - Concatenate lays its inputs' spaces side by side (offsets); Flatten of NHWC [H, W, C] (or a
//   Reshape to rank 1) repeats the space H*W times (flat index = (h*W + w)*C + c).
// A group is one united space: everything in it loses the same channels. Model inputs and
// outputs, and the channels around a skipped layer (a black box), are frozen.
import * as tf from '@tensorflow/tfjs';
import { UnsupportedLayerError, describe } from '../errors';
import { GraphNode, modelGraph } from '../core/graph';

/** A tensor's channel space. */
export type Space =
  | { readonly kind: 'leaf'; readonly id: number; readonly size: number }
  | { readonly kind: 'concat'; readonly parts: readonly Space[] }
  | { readonly kind: 'flatten'; readonly base: Space; readonly spatial: number };

type Leaf = Space & { kind: 'leaf' };

/** A set of channels that must be pruned together, and who reads and writes them. */
export interface PruningGroup {
  /** Id of the united space. */
  readonly id: number;
  readonly channels: number;
  /** Layers whose output channels these are (Dense, Conv): their kernels lose output slices. */
  readonly producers: string[];
  /** Per-channel layers tied to the space (BatchNormalization, DepthwiseConv2D, PReLU). */
  readonly tied: string[];
  /** Layers reading the space (maybe through Concatenate or Flatten): kernels lose input slices. */
  readonly consumers: string[];
  /** True when the channels cannot be pruned: they reach a model input or output, a skipped layer or a softmax. */
  readonly frozen: boolean;
  /** Why the group is frozen (the first reason found). */
  readonly reason?: string;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/** The channel dependency graph of a layers model. */
export class DependencyGraph {
  /** The layers in topological order (the one walker's nodes). */
  readonly nodes: readonly GraphNode[];
  /** Output space of every layer (InputLayers included), by name. */
  readonly spaces = new Map<string, Space>();
  /** Input spaces of every layer, by name. */
  readonly inputs = new Map<string, Space[]>();
  private readonly parent: number[] = [];
  private readonly sizes: number[] = [];
  private readonly frozenWhy = new Map<number, string>();
  private readonly producerOf = new Map<number, string[]>();
  private readonly tiedTo: [string, Space][] = [];
  private readonly consumed: [string, Space][] = [];

  /**
   * Builds the graph of `model` (borrowed). Layers named in `skip` are black boxes whose input
   * and output channels stay as they are; a layer the registry cannot follow channel-wise gives
   * an UnsupportedLayerError naming it and this way out. `fn` names the caller in errors.
   */
  constructor(
    readonly model: tf.LayersModel,
    readonly skip: readonly string[] = [],
    private readonly fn = 'DependencyGraph',
  ) {
    this.nodes = modelGraph(model, fn);
    const skipped = new Set(skip);
    for (const node of this.nodes) {
      const ins = node.inputs.map((n) => this.spaces.get(n) as Space);
      this.inputs.set(node.name, ins);
      this.spaces.set(node.name, this.follow(node, ins, skipped.has(node.name)));
    }
    for (const t of model.outputs)
      this.freeze(this.spaces.get(t.sourceLayer.name) as Space, `reaches the model output (${t.sourceLayer.name})`);
  }

  /** Root id of a leaf's group. */
  find(id: number): number {
    let r = id;
    while (this.parent[r] !== r) r = this.parent[r] as number;
    this.parent[id] = r;
    return r;
  }

  /** Channel count of a space. */
  size(space: Space): number {
    if (space.kind === 'leaf') return space.size;
    if (space.kind === 'concat') return space.parts.reduce((a, p) => a + this.size(p), 0);
    return space.spatial * this.size(space.base);
  }

  /** Root ids of the leaves a space is made of. */
  leafIds(space: Space): number[] {
    if (space.kind === 'leaf') return [this.find(space.id)];
    if (space.kind === 'concat') return space.parts.flatMap((p) => this.leafIds(p));
    return this.leafIds(space.base);
  }

  /**
   * The indices kept in `space` when each group keeps `kept.get(root)` (sorted; absent = all).
   * @example keptIndices({kind: 'flatten', base: leaf(2 channels), spatial: 2}, {root: [1]}) // [1, 3]
   */
  keptIndices(space: Space, kept: ReadonlyMap<number, readonly number[]>): number[] {
    if (space.kind === 'leaf') return [...(kept.get(this.find(space.id)) ?? range(space.size))];
    if (space.kind === 'concat') {
      const out: number[] = [];
      let off = 0;
      for (const p of space.parts) {
        for (const i of this.keptIndices(p, kept)) out.push(off + i);
        off += this.size(p);
      }
      return out;
    }
    const c = this.size(space.base);
    const base = this.keptIndices(space.base, kept);
    const out: number[] = [];
    for (let s = 0; s < space.spatial; s++) for (const i of base) out.push(s * c + i);
    return out;
  }

  /** The groups that have a producer, in the order their first producer appears in the model (members in model order too). */
  groups(): PruningGroup[] {
    const byRoot = new Map<number, { producers: string[]; tied: string[]; consumers: string[] }>();
    const get = (root: number) => {
      let g = byRoot.get(root);
      if (!g) byRoot.set(root, (g = { producers: [], tied: [], consumers: [] }));
      return g;
    };
    for (const [id, names] of this.producerOf) get(this.find(id)).producers.push(...names);
    for (const [name, s] of this.tiedTo) for (const r of new Set(this.leafIds(s))) get(r).tied.push(name);
    for (const [name, s] of this.consumed) for (const r of new Set(this.leafIds(s))) get(r).consumers.push(name);
    const order = new Map(this.nodes.map((n, i) => [n.name, i]));
    const inOrder = (names: string[]) => names.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
    return [...byRoot.entries()]
      .filter(([, g]) => g.producers.length > 0)
      .map(([root, g]) => {
        const reason = this.frozenWhy.get(root);
        return {
          id: root,
          channels: this.sizes[root] as number,
          producers: inOrder(g.producers),
          tied: inOrder(g.tied),
          consumers: inOrder(g.consumers),
          frozen: reason !== undefined,
          ...(reason !== undefined ? { reason } : {}),
        };
      })
      .sort((a, b) => (order.get(a.producers[0] as string) ?? 0) - (order.get(b.producers[0] as string) ?? 0));
  }

  /** The output space of one layer, from its registry role. */
  private follow(node: GraphNode, ins: Space[], skipped: boolean): Space {
    const { entry, name } = node;
    if (entry?.role === 'input')
      return this.leaf(this.channelsOf(node), undefined, `starts at the model input (${name})`);
    if (skipped) {
      ins.forEach((s) => this.freeze(s, `is read by skipped layer ${name}`));
      return this.leaf(
        this.channelsOf(node),
        entry?.role === 'producer' ? name : undefined,
        `comes out of skipped layer ${name}`,
      );
    }
    if (!entry) throw this.unsupported(node, 'a layer class the layer registry knows (lib/core/layers.ts)');
    if (entry.role === 'opaque')
      throw this.unsupported(
        node,
        'a layer whose channels can be followed one by one (this class mixes or moves them)',
      );
    const in0 = ins[0];
    if (!in0) throw this.unsupported(node, 'a layer with an input');
    if (entry.role === 'flatten' || (entry.role === 'pass' && flattens(node))) return this.flatten(node, in0);
    const why = entry.channelCheck?.(node);
    if (why) throw this.unsupported(node, why);
    switch (entry.role) {
      case 'producer': {
        this.consumed.push([name, in0]);
        const out = this.leaf(this.channelsOf(node), name);
        if (mixesChannels(node)) this.freeze(out, `goes through a softmax over channels (${name})`);
        return out;
      }
      case 'tied':
        this.tiedTo.push([name, in0]);
        return in0;
      case 'pass':
        if (mixesChannels(node)) this.freeze(in0, `goes through a softmax over channels (${name})`);
        return in0;
      case 'merge':
        return this.merge(node, ins);
      case 'concat':
        return { kind: 'concat', parts: ins };
      default:
        throw this.unsupported(node, `a layer with a channel role, not ${describe(entry.role)}`);
    }
  }

  /** Element-wise inputs share their channels: one group. An input of 1 channel broadcast against C is frozen instead. */
  private merge(node: GraphNode, ins: Space[]): Space {
    const c = this.channelsOf(node);
    const same: Leaf[] = [];
    for (const s of ins) {
      if (this.size(s) === 1 && c > 1) {
        this.freeze(s, `is broadcast over ${c} channels in ${node.name}`);
        continue;
      }
      if (s.kind !== 'leaf')
        throw this.unsupported(
          node,
          `${node.className} of tensors that each come from one layer's channels (not a Concatenate or Flatten)`,
        );
      same.push(s);
    }
    const first = same[0];
    if (!first) throw this.unsupported(node, "a merge with an input of the output's channels");
    same.slice(1).forEach((s) => this.union(first, s));
    return first;
  }

  private flatten(node: GraphNode, in0: Space): Space {
    const shape = node.inputShapes[0] ?? [];
    if (shape.some((d) => d < 0)) throw this.unsupported(node, `a flatten of a known shape, not ${shapeText(shape)}`);
    const spatial = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return spatial === 1 ? in0 : { kind: 'flatten', base: in0, spatial };
  }

  private channelsOf(node: GraphNode): number {
    const d = node.outputShape[node.outputShape.length - 1];
    if (!(typeof d === 'number' && d > 0)) {
      throw new UnsupportedLayerError(
        `${this.fn}: a known channel count, got ${describe(d)} for layer "${node.name}". Give the model fixed input shapes.`,
        node.name,
        node.className,
      );
    }
    return d;
  }

  private leaf(size: number, producer?: string, frozen?: string): Leaf {
    const id = this.parent.length;
    this.parent.push(id);
    this.sizes.push(size);
    if (producer) this.producerOf.set(id, [producer]);
    if (frozen) this.frozenWhy.set(id, frozen);
    return { kind: 'leaf', id, size };
  }

  private union(a: Leaf, b: Leaf): void {
    const ra = this.find(a.id);
    const rb = this.find(b.id);
    if (ra === rb) return;
    this.parent[rb] = ra;
    const why = this.frozenWhy.get(rb);
    if (why !== undefined && !this.frozenWhy.has(ra)) this.frozenWhy.set(ra, why);
    const pb = this.producerOf.get(rb);
    if (pb) {
      this.producerOf.set(ra, [...(this.producerOf.get(ra) ?? []), ...pb]);
      this.producerOf.delete(rb);
    }
  }

  private freeze(space: Space, why: string): void {
    for (const r of this.leafIds(space)) if (!this.frozenWhy.has(r)) this.frozenWhy.set(r, why);
  }

  private unsupported(node: GraphNode, expected: string): UnsupportedLayerError {
    return new UnsupportedLayerError(
      `${this.fn}: ${expected}, got layer "${node.name}" of class ${node.className} ` +
        `(input ${node.inputShapes.map(shapeText).join(' and ') || 'none'}, output ${shapeText(node.outputShape)}). ` +
        `Add "${node.name}" to skip to treat it as a black box: its input and output channels are then left unpruned.`,
      node.name,
      node.className,
    );
  }
}

/** A layer that only reshapes a higher-rank input to rank 1 (same elements) is a row-major flatten. */
function flattens(node: GraphNode): boolean {
  const input = node.inputShapes[0] ?? [];
  const elements = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
  return (
    node.inputs.length === 1 &&
    input.length > 1 &&
    node.outputShape.length === 1 &&
    input.every((d) => d > 0) &&
    elements(input) === elements(node.outputShape)
  );
}

/** A softmax over the last (channel) axis: every output channel depends on every input channel. */
function mixesChannels(node: GraphNode): boolean {
  if (node.entry?.activation?.(node.config) !== 'softmax') return false;
  // The Activation layer and inline activations use the last axis; a Softmax layer its `axis` (tfjs defaults to 1).
  const axis = node.config.axis;
  const axes = Array.isArray(axis) ? axis : [axis];
  return axes.some((a) => a === undefined || a === -1 || a === node.outputShape.length);
}
