// The dependency graph of structured pruning (after Torch-Pruning's DepGraph, Fang et al. 2023,
// arXiv:2301.12900, in a small vocabulary): every tensor's last axis is a channel `Space`.
// Dense/Conv layers create a space (they are its producers) and consume their input's space;
// BatchNormalization and DepthwiseConv2D are tied to their input's space (their per-channel
// weights follow it); pooling, activations and dropout pass it through; Add unites its inputs'
// spaces into one group (a residual block and its shortcut drop the same channels, Li et al.
// 2017); Concatenate lays its inputs' spaces side by side (offsets); Flatten of NHWC [H, W, C]
// repeats the space H*W times (flat index = (h*W + w)*C + c), and so does a Reshape to rank 1; a
// Reshape that keeps the last axis (squeeze-excite's [C] -> [1, 1, C]) passes the space through;
// Rescaling (x * scale + offset, no weights) passes it through. A group is one united space:
// everything in it loses the same channels. Model inputs and outputs are frozen.
import * as tf from '@tensorflow/tfjs';
import { UnsupportedLayerError, describe } from '../errors';

/** A tensor's channel space. */
export type Space =
  | { readonly kind: 'leaf'; readonly id: number; readonly size: number }
  | { readonly kind: 'concat'; readonly parts: readonly Space[] }
  | { readonly kind: 'flatten'; readonly base: Space; readonly spatial: number };

/** A set of channels that must be pruned together, and who reads and writes them. */
export interface PruningGroup {
  /** Id of the united space. */
  readonly id: number;
  readonly channels: number;
  /** Layers whose output channels these are (Dense, Conv): their kernels lose output slices. */
  readonly producers: string[];
  /** Per-channel layers tied to the space (BatchNormalization, DepthwiseConv2D). */
  readonly tied: string[];
  /** Layers reading the space (maybe through Concatenate or Flatten): kernels lose input slices. */
  readonly consumers: string[];
  /** True when the channels reach a model input or output, or an opaque (skipped) layer. */
  readonly frozen: boolean;
}

const PRODUCERS = new Set(['Dense', 'Conv2D', 'Conv1D']);
const TIED = new Set(['BatchNormalization', 'DepthwiseConv2D']);
const PASS = new Set(['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax', 'ThresholdedReLU', 'Dropout', 'SpatialDropout1D',
  'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'MaxPooling1D', 'MaxPooling2D', 'AveragePooling1D',
  'AveragePooling2D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D',
  'ZeroPadding2D', 'Cropping2D', 'UpSampling2D', 'Rescaling']);
const MERGE = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);

/** Inbound layers of a layer (its single call in the model). */
export function inboundLayers(layer: tf.layers.Layer): tf.layers.Layer[] {
  const nodes = (layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes ?? [];
  if (nodes.length > 1) {
    throw new UnsupportedLayerError(`DependencyGraph: each layer called once, got layer "${layer.name}" called ${nodes.length} times (a shared layer). ` +
      `Add "${layer.name}" to skip, or build the model without sharing layers.`, layer.name, layer.getClassName());
  }
  return nodes[0]?.inboundLayers ?? [];
}

/** The channel dependency graph of a layers model. */
export class DependencyGraph {
  /** Output space of every layer (InputLayers included), by name. */
  readonly spaces = new Map<string, Space>();
  /** Input spaces of every layer, by name. */
  readonly inputs = new Map<string, Space[]>();
  private readonly parent: number[] = [];
  private readonly sizes: number[] = [];
  private readonly frozenIds = new Set<number>();
  private readonly producerOf = new Map<number, string[]>();
  private readonly tiedTo: [string, Space][] = [];
  private readonly consumed: [string, Space][] = [];

  /**
   * Builds the graph. Layers named in `opaque` are treated as black boxes whose input and output
   * channels stay as they are; any other layer type without a rule gives an UnsupportedLayerError.
   */
  constructor(readonly model: tf.LayersModel, opaque: readonly string[] = []) {
    for (const layer of model.layers) {
      const cls = layer.getClassName();
      const ins = inboundLayers(layer).map((l) => this.spaceOf(l));
      this.inputs.set(layer.name, ins);
      const cfg = layer.getConfig() as Record<string, unknown>;
      const rank = ((layer.outputShape as number[]) ?? []).length;
      const in0 = ins[0];
      let out: Space;
      if (cls === 'InputLayer') {
        out = this.spaceOf(layer);
      } else if (opaque.includes(layer.name)) {
        ins.forEach((s) => this.freeze(s));
        out = this.leaf(lastDim(layer), undefined, true);
      } else if (!in0) {
        throw this.unsupported(layer, 'a layer with an input');
      } else if (PRODUCERS.has(cls)) {
        this.consumed.push([layer.name, in0]);
        out = this.leaf(lastDim(layer), layer.name);
      } else if (TIED.has(cls)) {
        if (cls === 'BatchNormalization' && !(cfg.axis === -1 || cfg.axis === rank - 1)) throw this.unsupported(layer, 'BatchNormalization over the last axis');
        if (cls === 'DepthwiseConv2D' && Number(cfg.depthMultiplier ?? 1) !== 1) throw this.unsupported(layer, 'DepthwiseConv2D with depthMultiplier 1');
        this.tiedTo.push([layer.name, in0]);
        out = in0;
      } else if (PASS.has(cls)) {
        out = in0;
      } else if (cls === 'Flatten' || (cls === 'Reshape' && rank === 2)) {
        const inShape = (layer.input as tf.SymbolicTensor).shape.slice(1) as number[];
        const spatial = inShape.slice(0, -1).reduce((a, b) => a * b, 1);
        out = spatial === 1 ? in0 : { kind: 'flatten', base: in0, spatial };
      } else if (cls === 'Reshape') {
        // Row-major: flat index = s * C + c on both sides when the last axis keeps its size C.
        const inShape = (layer.input as tf.SymbolicTensor).shape;
        if (inShape[inShape.length - 1] !== lastDim(layer)) throw this.unsupported(layer, 'Reshape that keeps the last (channel) axis, or flattens');
        out = in0;
      } else if (MERGE.has(cls)) {
        const leaves = ins.map((s) => (s.kind === 'leaf' ? s : undefined));
        if (leaves.some((s) => !s)) throw this.unsupported(layer, `${cls} of tensors that each come from one layer's channels (not a Concatenate or Flatten)`);
        leaves.slice(1).forEach((s) => this.union(leaves[0] as Space & { kind: 'leaf' }, s as Space & { kind: 'leaf' }));
        out = in0;
      } else if (cls === 'Concatenate') {
        if (!(cfg.axis === -1 || cfg.axis === rank - 1)) throw this.unsupported(layer, 'Concatenate on the last (channel) axis');
        out = { kind: 'concat', parts: ins };
      } else {
        throw this.unsupported(layer, 'a layer type the dependency graph knows');
      }
      this.spaces.set(layer.name, out);
    }
    for (const t of model.outputs) this.freeze(this.spaces.get(t.sourceLayer.name) as Space);
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

  /** The groups, in the order their first producer appears in the model. */
  groups(): PruningGroup[] {
    const byRoot = new Map<number, { producers: string[]; tied: string[]; consumers: string[] }>();
    const get = (root: number) => {
      let g = byRoot.get(root);
      if (!g) byRoot.set(root, (g = { producers: [], tied: [], consumers: [] }));
      return g;
    };
    for (const [id, names] of this.producerOf) get(this.find(id)).producers.push(...names);
    for (const [name, s] of this.tiedTo) for (const r of this.leafIds(s)) get(r).tied.push(name);
    for (const [name, s] of this.consumed) for (const r of new Set(this.leafIds(s))) get(r).consumers.push(name);
    const order = new Map(this.model.layers.map((l, i) => [l.name, i]));
    return [...byRoot.entries()]
      .filter(([, g]) => g.producers.length > 0)
      .map(([root, g]) => ({ id: root, channels: this.sizes[root] as number, ...g, frozen: this.frozenIds.has(root) }))
      .sort((a, b) => (order.get(a.producers[0] as string) ?? 0) - (order.get(b.producers[0] as string) ?? 0));
  }

  private spaceOf(layer: tf.layers.Layer): Space {
    const s = this.spaces.get(layer.name);
    if (s) return s;
    if (layer.getClassName() !== 'InputLayer') throw this.unsupported(layer, 'layers in topological order');
    const leaf = this.leaf(lastDim(layer), undefined, true);
    this.spaces.set(layer.name, leaf);
    return leaf;
  }

  private leaf(size: number, producer?: string, frozen = false): Space {
    const id = this.parent.length;
    this.parent.push(id);
    this.sizes.push(size);
    if (producer) this.producerOf.set(id, [producer]);
    if (frozen) this.frozenIds.add(id);
    return { kind: 'leaf', id, size };
  }

  private union(a: Space & { kind: 'leaf' }, b: Space & { kind: 'leaf' }): void {
    const ra = this.find(a.id);
    const rb = this.find(b.id);
    if (ra === rb) return;
    this.parent[rb] = ra;
    if (this.frozenIds.has(rb)) this.frozenIds.add(ra);
    const pb = this.producerOf.get(rb);
    if (pb) {
      this.producerOf.set(ra, [...(this.producerOf.get(ra) ?? []), ...pb]);
      this.producerOf.delete(rb);
    }
  }

  private freeze(space: Space): void {
    for (const r of this.leafIds(space)) this.frozenIds.add(r);
  }

  private unsupported(layer: tf.layers.Layer, expected: string): UnsupportedLayerError {
    return new UnsupportedLayerError(`channels: ${expected}, got layer "${layer.name}" of class ${layer.getClassName()}. ` +
      `Add "${layer.name}" to the skip option: its input and output channels are then left unpruned.`, layer.name, layer.getClassName());
  }
}

function lastDim(layer: tf.layers.Layer): number {
  const shape = (layer.getClassName() === 'InputLayer' ? (layer as unknown as { batchInputShape: number[] }).batchInputShape : layer.outputShape) as number[];
  const d = shape[shape.length - 1];
  if (!(typeof d === 'number' && d > 0)) throw new UnsupportedLayerError(`channels: a known channel count, got ${describe(d)} for layer "${layer.name}". Give the model fixed input shapes.`, layer.name);
  return d;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
