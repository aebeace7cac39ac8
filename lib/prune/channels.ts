// Channel (structured) pruning: remove whole neurons / filters so the network is physically
// smaller and faster on any dense runtime. Groups come from the dependency graph; each group
// keeps its highest-importance channels; a new model is built with the reduced widths and the
// kept weights copied: each kernel is sliced on the input and output axes its registry entry
// names, and every per-channel weight (a bias, BatchNormalization's four vectors, PReLU's alpha)
// on its last axis. Li et al. 2017 (arXiv:1608.08710); Liu et al. 2017 (arXiv:1708.06519).
// Kept counts are rounded to the channel multiple the target runtime runs fast (tiles.ts), by
// default one that every measured runtime runs fast: pruning to other counts can make a model
// slower than the original (channel-counts.ts says how counts and a requested MACs ratio are met).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, UnsupportedLayerError, describe } from '../errors';
import { GraphNode, requireLayersModel } from '../core/graph';
import { selectNames } from '../core/glob';
import { rebuildModel } from '../core/rewrite';
import { profileModel } from '../profile/profile-model';
import { DependencyGraph, PruningGroup, Space } from './graph';
import { ImportanceCriterion, groupImportance, keepTop } from './importance';
import { checkSparsity } from './masks';
import { keptCounts, sparsityForMacsRatio } from './channel-counts';
import { PruneTarget, resolveRounding } from './tiles';

const FN = 'prune.channels';
const CRITERIA: readonly ImportanceCriterion[] = ['l1', 'l2', 'bn', 'random'];

/** Options for {@link channels}. */
export interface ChannelOptions {
  /**
   * Fraction of each group's channels removed, in [0, 1) (rounded to whole channels, then to
   * `roundTo`). Give this or `macsRatio`.
   */
  readonly sparsity?: number;
  /**
   * Fraction of the model's MACs to keep, in (0, 1]: the smallest uniform sparsity whose rounded
   * counts keep at most this much is used (the report gives the sparsity and the fraction kept).
   * Give this or `sparsity`.
   */
  readonly macsRatio?: number;
  /** Per-group sparsity by layer name: a producer's (Dense/Conv) name sets its group's. */
  readonly layers?: Readonly<Record<string, number>>;
  /**
   * Layers left untouched, as black boxes: their weights are copied as they are and the channels
   * they read and write are not pruned. This is also how an unsupported layer is let through.
   * Layer-name patterns (`*` matches any text).
   */
  readonly skip?: readonly string[];
  /** Layer-name patterns of the producers whose groups are pruned (default every group); the others keep every channel. */
  readonly only?: readonly string[];
  /** How channels are ranked (default 'l1'). */
  readonly importance?: ImportanceCriterion;
  /** Seed of 'random' importance (required for it). */
  readonly seed?: number;
  /** Channels every group keeps at least (default 1). */
  readonly minChannels?: number;
  /**
   * The runtime the pruned model will run on: kept channels are rounded to the multiple measured
   * fast there (`prune.tileOf(target)`). Default 'any': a multiple of every measured runtime's tile.
   */
  readonly target?: PruneTarget;
  /**
   * Round each group's kept channels to the nearest multiple of this instead of the target's tile,
   * never below it nor above the channels there are (Torch-Pruning's round_to). 1: no rounding.
   * Runtimes compute channels in tiles (ONNX Runtime's NCHWc convolutions in blocks of 16 with
   * AVX-512), so pruning to whole tiles turns removed MACs into time. Give this or `target`.
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
  /** The uniform sparsity applied: the one asked for, or the one found for `requestedMacsRatio`. */
  readonly sparsity: number;
  /** The fraction of the MACs asked for, when it was. */
  readonly requestedMacsRatio?: number;
  readonly importance: ImportanceCriterion;
  /** The runtime the counts were rounded for (absent when `roundTo` was given). */
  readonly target?: PruneTarget;
  /** Kept channels were rounded to multiples of this (1: no rounding). */
  readonly roundTo: number;
  /** MACs after / before (what the rounded counts achieved). */
  readonly macsRatio: number;
  /** Parameters after / before. */
  readonly paramsRatio: number;
  readonly groups: ChannelGroupReport[];
  /** Output channels of every producer and tied layer. */
  readonly layers: { name: string; className: string; channelsBefore: number; channelsAfter: number }[];
  readonly params: { before: number; after: number };
  /** Per example. */
  readonly macs: { before: number; after: number };
  readonly warnings: string[];
}

function validate(model: tf.LayersModel, options: ChannelOptions): void {
  if (!options || typeof options !== 'object') {
    throw new ConfigError(
      `${FN}: an options object such as {sparsity: 0.5}, got ${describe(options)}. Pass the fraction of channels to remove.`,
    );
  }
  if ((options.sparsity === undefined) === (options.macsRatio === undefined) && !('ratio' in options)) {
    throw new ConfigError(
      `${FN}: sparsity (the fraction of channels removed) or macsRatio (the fraction of MACs kept), got ${options.sparsity === undefined ? 'neither' : 'both'}. ` +
        `Pass one, e.g. {sparsity: 0.3} or {macsRatio: 0.5}.`,
    );
  }
  if ('ratio' in options) {
    throw new ConfigError(
      `${FN}: sparsity (the fraction of channels removed, the word magnitude pruning uses too), got ratio: ${describe((options as { ratio?: unknown }).ratio)}. ` +
        `Rename ratio to sparsity, e.g. {sparsity: 0.5}.`,
    );
  }
  if (options.sparsity !== undefined) checkSparsity(FN, options.sparsity);
  const r = options.macsRatio;
  if (r !== undefined && !(typeof r === 'number' && r > 0 && r <= 1))
    throw new ConfigError(
      `${FN}: macsRatio in (0, 1], got ${describe(r)}. Pass the fraction of the MACs to keep, e.g. 0.5 for half.`,
    );
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
  resolveRounding(FN, options);
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
  const names = model.layers.map((l) => l.name);
  const skip = new Set(
    options.skip ? names.filter((n) => !selectNames(FN, names, { skip: options.skip }).includes(n)) : [],
  );
  const only = options.only ? new Set(selectNames(FN, names, { only: options.only })) : undefined;
  const graph = new DependencyGraph(model, [...skip], FN);
  const groups = graph.groups();
  validateLayers(model, options, groups);
  const importance = options.importance ?? 'l1';
  const { roundTo, target } = resolveRounding(FN, options);
  // A group's own sparsity: the largest named for one of its producers.
  const sparsityOf = (g: PruningGroup) => {
    if (only && !g.producers.some((p) => only.has(p))) return 0;
    const named = g.producers.map((p) => options.layers?.[p]).filter((r): r is number => r !== undefined);
    return named.length ? Math.max(...named) : undefined;
  };
  const countsAt = (s: number) => keptCounts(groups, s, { sparsityOf, minChannels: options.minChannels ?? 1, roundTo });
  const uniform = options.sparsity ?? sparsityForMacsRatio(graph, options.macsRatio as number, countsAt, FN).sparsity;
  const counts = countsAt(uniform);
  const warnings: string[] = [];
  const kept = new Map<number, number[]>();
  const groupReports: ChannelGroupReport[] = groups.map((g) => {
    const base = { producers: g.producers, tied: g.tied, consumers: g.consumers, channelsBefore: g.channels };
    if (g.frozen)
      return { ...base, channelsAfter: g.channels, kept: [...Array(g.channels).keys()], reason: g.reason ?? 'frozen' };
    const sparsity = sparsityOf(g) ?? uniform;
    const keep = counts.get(g.id) as number;
    const { scores, fallback } = groupImportance(model, g, importance, options.seed ?? 0);
    if (fallback) warnings.push(fallback);
    const k = keepTop(scores, keep);
    kept.set(g.id, k);
    return { ...base, channelsAfter: k.length, kept: k, sparsity };
  });
  const keptOf = (name: string) => graph.keptIndices(graph.spaces.get(name) as Space, kept);
  const untouched = (node: GraphNode) => skip.has(node.name) || !node.entry || node.entry.role === 'opaque';
  let out: tf.LayersModel;

  // New widths follow the kept channels (Dense units, Conv filters, a Reshape's last axis).
  const patch: Record<string, Record<string, unknown>> = {};
  for (const node of graph.nodes) {
    if (untouched(node)) continue;
    const width = keptOf(node.name).length;
    const config = node.layer.getConfig();
    if (node.entry?.role === 'producer') {
      const key = ['filters', 'units'].find((k) => k in config);
      if (!key)
        throw new UnsupportedLayerError(
          `${FN}: a producer with a filters or units setting, got layer "${node.name}" of class ${node.className}. Add "${node.name}" to skip.`,
          node.name,
          node.className,
        );
      patch[node.name] = { [key]: width };
    }
    const target = config.targetShape;
    if (Array.isArray(target) && target[target.length - 1] !== -1)
      patch[node.name] = { target_shape: [...target.slice(0, -1), width] };
  }
  // Sliced weights. Fresh buffers: tfjs-wasm's gather output shares its data with an internal 4-D
  // reshape, and a variable assigned from it is later read with that 4-D shape by fused kernels.
  const weights: Record<string, tf.Tensor[]> = {};
  try {
    for (const node of graph.nodes) {
      if (node.layer.weights.length === 0 || untouched(node)) continue;
      weights[node.name] = tf.tidy(() =>
        node.layer.getWeights().map((w, i) => {
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
    }
    out = await rebuildModel(model, { patch, weights, keepSequential: true }, FN);
  } finally {
    Object.values(weights).forEach((ws) => tf.dispose(ws));
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
      sparsity: uniform,
      ...(options.macsRatio !== undefined ? { requestedMacsRatio: options.macsRatio } : {}),
      importance,
      ...(target ? { target } : {}),
      roundTo,
      macsRatio: pb.totals.macs > 0 ? pa.totals.macs / pb.totals.macs : 1,
      paramsRatio: pb.totals.params > 0 ? pa.totals.params / pb.totals.params : 1,
      groups: groupReports,
      layers,
      params: { before: pb.totals.params, after: pa.totals.params },
      macs: { before: pb.totals.macs, after: pa.totals.macs },
      warnings,
    },
  };
}
