// Channel (structured) pruning: remove whole neurons / filters so the network is physically
// smaller and faster on any dense runtime. Groups come from the dependency graph; each group
// keeps its highest-importance channels; a new model is built with the reduced widths and the
// kept weights copied: each kernel is sliced on the input and output axes its registry entry
// names, and every per-channel weight (a bias, BatchNormalization's four vectors, PReLU's alpha)
// on its last axis. Li et al. 2017 (arXiv:1608.08710); Liu et al. 2017 (arXiv:1708.06519).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, UnsupportedLayerError, describe } from '../errors';
import { GraphNode, requireLayersModel } from '../core/graph';
import { profileModel } from '../profile/profile-model';
import { DependencyGraph, PruningGroup, Space } from './graph';
import { ImportanceCriterion, groupImportance, keepTop } from './importance';
import { checkSparsity } from './masks';

const FN = 'prune.channels';
const CRITERIA: readonly ImportanceCriterion[] = ['l1', 'l2', 'bn', 'random'];

/** Options for {@link channels}. */
export interface ChannelOptions {
  /** Fraction of each group's channels removed, in [0, 1) (rounded to whole channels). */
  readonly sparsity: number;
  /** Per-group sparsity by layer name: a producer's (Dense/Conv) name sets its group's. */
  readonly layers?: Readonly<Record<string, number>>;
  /**
   * Layers left untouched, as black boxes: their weights are copied as they are and the channels
   * they read and write are not pruned. This is also how an unsupported layer is let through.
   */
  readonly skip?: readonly string[];
  /** How channels are ranked (default 'l1'). */
  readonly importance?: ImportanceCriterion;
  /** Seed of 'random' importance (required for it). */
  readonly seed?: number;
  /** Channels every group keeps at least (default 1). */
  readonly minChannels?: number;
  /**
   * Round each group's kept channels to the nearest multiple of this (default 1: no rounding),
   * never below it nor above the channels there are (Torch-Pruning's round_to). Runtimes compute
   * channels in tiles: XNNPACK's wasm SIMD kernels (tfjs-wasm) in tiles of 8 output channels, so
   * 5 filters cost what 8 do. Pruning to whole tiles turns removed MACs into time.
   */
  readonly roundTo?: number;
}

/** One group's outcome. */
export interface ChannelGroupReport {
  readonly producers: string[];
  readonly tied: string[];
  readonly consumers: string[];
  readonly channelsBefore: number;
  readonly channelsAfter: number;
  /** Indices kept, in the original numbering. */
  readonly kept: number[];
  /** The sparsity the group was pruned at (absent when it was left whole). */
  readonly sparsity?: number;
  /** Why the group was left whole, if it was. */
  readonly reason?: string;
}

/** What {@link channels} did. */
export interface ChannelReport {
  /** The default sparsity asked for. */
  readonly sparsity: number;
  readonly importance: ImportanceCriterion;
  /** Kept channels were rounded to multiples of this (1: no rounding). */
  readonly roundTo: number;
  readonly groups: ChannelGroupReport[];
  /** Output channels of every producer and tied layer. */
  readonly layers: { name: string; className: string; channelsBefore: number; channelsAfter: number }[];
  readonly params: { before: number; after: number };
  /** Per example. */
  readonly macs: { before: number; after: number };
  readonly warnings: string[];
}

type LayerJson = { class_name: string; config: Record<string, unknown> };

function validate(model: tf.LayersModel, options: ChannelOptions): void {
  if (!options || typeof options !== 'object') {
    throw new ConfigError(
      `${FN}: an options object such as {sparsity: 0.5}, got ${describe(options)}. Pass the fraction of channels to remove.`,
    );
  }
  if ('ratio' in options) {
    throw new ConfigError(
      `${FN}: sparsity (the fraction of channels removed, the word magnitude pruning uses too), got ratio: ${describe((options as { ratio?: unknown }).ratio)}. ` +
        `Rename ratio to sparsity, e.g. {sparsity: 0.5}.`,
    );
  }
  checkSparsity(FN, options.sparsity);
  const names = new Set(model.layers.map((l) => l.name));
  if (options.skip !== undefined && !Array.isArray(options.skip))
    throw new ConfigError(
      `${FN}: skip a list of layer names, got ${describe(options.skip)}. Pass e.g. skip: ['conv1'].`,
    );
  for (const n of options.skip ?? []) {
    if (!names.has(n))
      throw new ConfigError(
        `${FN}: skip to name layers of the model, got unknown layer "${n}". Layers are: ${[...names].join(', ')}.`,
      );
  }
  if (options.importance !== undefined && !CRITERIA.includes(options.importance)) {
    throw new ConfigError(
      `${FN}: importance ${CRITERIA.map((c) => `'${c}'`).join(', ')}, got ${describe(options.importance)}. Use 'l1' (Li et al.) or 'bn' (Network Slimming).`,
    );
  }
  if ((options.seed !== undefined || options.importance === 'random') && !Number.isFinite(options.seed)) {
    throw new ConfigError(
      `${FN}: a numeric seed${options.importance === 'random' ? " for importance 'random'" : ''}, got ${describe(options.seed)}. Pass e.g. seed: 1.`,
    );
  }
  const min = options.minChannels ?? 1;
  if (!(Number.isInteger(min) && min >= 1))
    throw new ConfigError(`${FN}: minChannels a positive integer, got ${describe(min)}. Use 1.`);
  const roundTo = options.roundTo ?? 1;
  if (!(Number.isInteger(roundTo) && roundTo >= 1))
    throw new ConfigError(
      `${FN}: roundTo a positive integer, got ${describe(roundTo)}. Use 1 (no rounding) or the runtime's tile, e.g. 8.`,
    );
}

function validateLayers(model: tf.LayersModel, options: ChannelOptions, groups: readonly PruningGroup[]): void {
  const names = new Set(model.layers.map((l) => l.name));
  const open = groups.filter((g) => !g.frozen).flatMap((g) => g.producers);
  for (const [n, s] of Object.entries(options.layers ?? {})) {
    if (!open.includes(n)) {
      const why = !names.has(n)
        ? `unknown layer "${n}"`
        : groups.some((g) => g.producers.includes(n))
          ? `"${n}", whose channels cannot be pruned (the group ${groups.find((g) => g.producers.includes(n))?.reason ?? 'is frozen'})`
          : `"${n}", which produces no channels of its own (not a Dense/Conv layer)`;
      throw new ConfigError(
        `${FN}: layers to name Dense/Conv layers whose channels can be pruned, got ${why}. Prunable producers are: ${open.join(', ')}.`,
      );
    }
    checkSparsity(FN, s, `layers.${n}`);
  }
}

/** `keep` rounded to the nearest multiple of `roundTo`, within [min(roundTo, channels), channels]. */
export function roundKept(keep: number, channels: number, roundTo: number): number {
  if (roundTo <= 1 || keep === channels) return keep;
  return Math.min(channels, Math.max(Math.min(roundTo, channels), roundTo * Math.round(keep / roundTo)));
}

/** Gathers `indices` on `axis` into a fresh buffer (see the note where weights are set). */
function sliced(w: tf.Tensor, indices: readonly number[], axis: number): tf.Tensor {
  return tf.tidy(() => {
    const g = indices.length === w.shape[axis] ? w : tf.gather(w, tf.tensor1d(indices as number[], 'int32'), axis);
    return tf.tensor(g.dataSync(), g.shape, g.dtype);
  });
}

/**
 * Removes channels from a copy of `model` (the input is not modified; the caller owns the result).
 * @example const {model: small, report} = await channels(cnnModel, {sparsity: 0.5, importance: 'l1'})
 */
export async function channels(
  model: tf.LayersModel,
  options: ChannelOptions,
): Promise<{ model: tf.LayersModel; report: ChannelReport }> {
  requireLayersModel(model, FN);
  validate(model, options);
  const skip = new Set(options.skip ?? []);
  const graph = new DependencyGraph(model, [...skip], FN);
  const groups = graph.groups();
  validateLayers(model, options, groups);
  const importance = options.importance ?? 'l1';
  const minChannels = options.minChannels ?? 1;
  const warnings: string[] = [];
  const kept = new Map<number, number[]>();
  const groupReports: ChannelGroupReport[] = groups.map((g) => {
    const base = { producers: g.producers, tied: g.tied, consumers: g.consumers, channelsBefore: g.channels };
    if (g.frozen)
      return { ...base, channelsAfter: g.channels, kept: [...Array(g.channels).keys()], reason: g.reason ?? 'frozen' };
    const named = g.producers.map((p) => options.layers?.[p]).filter((r): r is number => r !== undefined);
    const sparsity = named.length ? Math.max(...named) : options.sparsity;
    const unrounded = Math.max(Math.min(minChannels, g.channels), g.channels - Math.round(sparsity * g.channels));
    const keep = roundKept(unrounded, g.channels, options.roundTo ?? 1);
    const { scores, fallback } = groupImportance(model, g, importance, options.seed ?? 0);
    if (fallback) warnings.push(fallback);
    const k = keepTop(scores, keep);
    kept.set(g.id, k);
    return { ...base, channelsAfter: k.length, kept: k, sparsity };
  });
  const keptOf = (name: string) => graph.keptIndices(graph.spaces.get(name) as Space, kept);
  const untouched = (node: GraphNode) => skip.has(node.name) || !node.entry || node.entry.role === 'opaque';

  // New topology: widths follow the kept channels (Dense units, Conv filters, a Reshape's last axis).
  const topology = model.toJSON(null, false) as unknown as { config: { layers: LayerJson[] } };
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  for (const l of topology.config.layers) {
    const node = byName.get(l.config.name as string);
    if (!node || untouched(node)) continue;
    const width = keptOf(node.name).length;
    if (node.entry?.role === 'producer') {
      const key = ['filters', 'units'].find((k) => k in l.config);
      if (!key)
        throw new UnsupportedLayerError(
          `${FN}: a producer with a filters or units setting, got layer "${node.name}" of class ${node.className}. Add "${node.name}" to skip.`,
          node.name,
          node.className,
        );
      l.config[key] = width;
    }
    const target = l.config.target_shape;
    if (Array.isArray(target) && target[target.length - 1] !== -1) target[target.length - 1] = width;
  }
  const out = await tf.models.modelFromJSON({ modelTopology: topology } as never);
  try {
    for (const node of graph.nodes) {
      if (node.layer.weights.length === 0) continue;
      // Fresh buffers: tfjs-wasm's gather output shares its data with an internal 4-D reshape,
      // and a variable assigned from it is later read with that 4-D shape by fused kernels.
      const weights = tf.tidy(() =>
        node.layer.getWeights().map((w, i) => {
          if (untouched(node)) return w.clone();
          const outKept = keptOf(node.name);
          const kernel = node.entry?.kernel;
          if (kernel && i === kernel.index) {
            const inSpace = graph.inputs.get(node.name)?.[0];
            const byInput =
              kernel.inAxis !== undefined && inSpace ? sliced(w, graph.keptIndices(inSpace, kept), kernel.inAxis) : w;
            return sliced(byInput, outKept, kernel.outAxis);
          }
          // Per-channel weights carry the channels on their last axis; one value is shared by all.
          const c = w.shape[w.rank - 1];
          if (c === 1) return w.clone();
          if (c !== graph.size(graph.spaces.get(node.name) as Space)) {
            throw new UnsupportedLayerError(
              `${FN}: per-channel weights on the last axis, got weight ${i} of layer "${node.name}" (${node.className}) ` +
                `of shape [${w.shape.join(', ')}]. Add "${node.name}" to skip.`,
              node.name,
              node.className,
            );
          }
          return sliced(w, outKept, w.rank - 1);
        }),
      );
      try {
        out.getLayer(node.name).setWeights(weights);
      } finally {
        tf.dispose(weights);
      }
    }
  } catch (e) {
    out.dispose();
    throw e;
  }
  const [pb, pa] = await Promise.all([profileModel(model), profileModel(out)]);
  const layers = graph.nodes
    .filter((n) => n.entry?.role === 'producer' || n.entry?.role === 'tied')
    .map((n) => ({
      name: n.name,
      className: n.className,
      channelsBefore: graph.size(graph.spaces.get(n.name) as Space),
      channelsAfter: keptOf(n.name).length,
    }));
  warnings.push(...pa.warnings);
  return {
    model: out,
    report: {
      sparsity: options.sparsity,
      importance,
      roundTo: options.roundTo ?? 1,
      groups: groupReports,
      layers,
      params: { before: pb.totals.params, after: pa.totals.params },
      macs: { before: pb.totals.macs, after: pa.totals.macs },
      warnings,
    },
  };
}
