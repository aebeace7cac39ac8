// Channel (structured) pruning: remove whole neurons / filters so the network is physically
// smaller and faster on any dense runtime. Groups come from the dependency graph; each group
// keeps its highest-importance channels; a new model is built with the reduced widths and the
// kept weights copied (kernels sliced on their input and output axes, BatchNorm and depthwise
// weights on their channel axis). Li et al. 2017 (arXiv:1608.08710); Liu et al. 2017.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { requireLayersModel } from '../core/graph';
import { profileModel } from '../profile/profile-model';
import { DependencyGraph, PruningGroup } from './graph';
import { ImportanceCriterion, groupImportance, keepTop } from './importance';
import { checkSparsity } from './masks';

/** Options for {@link channels}. */
export interface ChannelOptions {
  /** Fraction of each group's channels removed, in [0, 1). */
  readonly ratio: number;
  /** Per-group ratio by the name of one of the group's producers (Dense/Conv layer). */
  readonly layers?: Readonly<Record<string, number>>;
  /** Producers whose group is left whole, and unsupported layers to treat as black boxes. */
  readonly skip?: readonly string[];
  /** Default 'l1'. */
  readonly importance?: ImportanceCriterion;
  /** Seed of 'random' importance (default 0). */
  readonly seed?: number;
  /** Channels every group keeps at least (default 1). */
  readonly minChannels?: number;
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
  /** Why the group was left whole, if it was. */
  readonly reason?: string;
}

/** What {@link channels} did. */
export interface ChannelReport {
  readonly importance: ImportanceCriterion;
  readonly groups: ChannelGroupReport[];
  readonly layers: { name: string; className: string; channelsBefore: number; channelsAfter: number }[];
  readonly params: { before: number; after: number };
  /** Per example. */
  readonly macs: { before: number; after: number };
  readonly warnings: string[];
}

function materialize(t: tf.Tensor): tf.Tensor {
  return tf.tensor(t.dataSync(), t.shape, t.dtype);
}

type LayerJson = { class_name: string; config: Record<string, unknown> };

function validate(model: tf.LayersModel, options: ChannelOptions, groups: PruningGroup[]): void {
  checkSparsity('channels', options?.ratio, 'ratio');
  const names = new Set(model.layers.map((l) => l.name));
  const producers = new Set(groups.flatMap((g) => g.producers));
  for (const n of options.skip ?? []) {
    if (!names.has(n)) throw new ConfigError(`channels: skip to name layers of the model, got unknown layer "${n}". Layers are: ${[...names].join(', ')}.`);
  }
  for (const [n, r] of Object.entries(options.layers ?? {})) {
    if (!producers.has(n) || groups.some((g) => g.frozen && g.producers.includes(n))) {
      throw new ConfigError(`channels: layers to name Dense/Conv layers whose channels can be pruned, got ${names.has(n) ? `"${n}", whose channels cannot be pruned (not Dense/Conv, or they reach a model output)` : `unknown layer "${n}"`}. ` +
        `Prunable producers are: ${groups.filter((g) => !g.frozen).flatMap((g) => g.producers).join(', ')}.`);
    }
    checkSparsity('channels', r, `layers.${n}`);
  }
  const min = options.minChannels ?? 1;
  if (!(Number.isInteger(min) && min >= 1)) throw new ConfigError(`channels: minChannels a positive integer, got ${describe(min)}. Use 1.`);
}

/**
 * Removes channels from a copy of `model` (the input is not modified; the caller owns the result).
 * @example const {model: small, report} = await channels(cnnModel, {ratio: 0.5, importance: 'l1'})
 */
export async function channels(model: tf.LayersModel, options: ChannelOptions): Promise<{ model: tf.LayersModel; report: ChannelReport }> {
  requireLayersModel(model, 'prune.channels');
  if (!options || typeof options !== 'object') throw new ConfigError(`channels: an options object such as {ratio: 0.5}, got ${describe(options)}. Pass the fraction of channels to remove.`);
  const skip = options.skip ?? [];
  const graph = new DependencyGraph(model, skip.filter((n) => { try { return !['Dense', 'Conv2D', 'Conv1D'].includes(model.getLayer(n).getClassName()); } catch { return false; } }));
  const groups = graph.groups();
  validate(model, options, groups);
  const importance = options.importance ?? 'l1';
  const minChannels = options.minChannels ?? 1;
  const warnings: string[] = [];
  const kept = new Map<number, number[]>();
  const groupReports: ChannelGroupReport[] = groups.map((g) => {
    const base = { producers: g.producers, tied: g.tied, consumers: g.consumers, channelsBefore: g.channels };
    const whole = (reason: string) => ({ ...base, channelsAfter: g.channels, kept: [...Array(g.channels).keys()], reason });
    if (g.frozen) return whole('reaches a model input or output, or a skipped layer');
    const skipped = g.producers.find((p) => skip.includes(p));
    if (skipped) return whole(`producer ${skipped} is in skip`);
    const named = g.producers.map((p) => options.layers?.[p]).filter((r): r is number => r !== undefined);
    const ratio = named.length ? Math.max(...named) : options.ratio;
    const keep = Math.max(Math.min(minChannels, g.channels), g.channels - Math.round(ratio * g.channels));
    const { scores, fallback } = groupImportance(model, g, importance, options.seed ?? 0);
    if (fallback) warnings.push(fallback);
    const k = keepTop(scores, keep);
    kept.set(g.id, k);
    return { ...base, channelsAfter: k.length, kept: k };
  });

  // New topology: Dense units and Conv filters follow their output space; the rest is inferred.
  const topology = model.toJSON(null, false) as unknown as { config: { layers: LayerJson[] } };
  const widths = new Map<string, number>();
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'Dense' || cls === 'Conv2D' || cls === 'Conv1D') widths.set(layer.name, graph.keptIndices(graph.spaces.get(layer.name)!, kept).length);
  }
  for (const l of topology.config.layers) {
    if (l.class_name === 'Reshape') {
      // The target shape's last axis is the (possibly flattened) channel axis: it follows the kept channels.
      const target = l.config.target_shape as number[]; // Keras JSON (snake_case)
      if (target[target.length - 1] !== -1) target[target.length - 1] = graph.keptIndices(graph.spaces.get(l.config.name as string)!, kept).length;
    }
    const w = widths.get(l.config.name as string);
    if (w === undefined) continue;
    if (l.class_name === 'Dense') l.config.units = w;
    else l.config.filters = w;
  }
  const out = await tf.models.modelFromJSON({ modelTopology: topology } as never);
  try {
    for (const layer of model.layers) {
      if (layer.weights.length === 0) continue;
      const cls = layer.getClassName();
      const inSpace = graph.inputs.get(layer.name)?.[0];
      const outSpace = graph.spaces.get(layer.name)!;
      // Fresh buffers: tfjs-wasm's gather output shares its data with an internal 4-D reshape,
      // and a variable assigned from it is later read with that 4-D shape by fused kernels.
      const weights = tf.tidy(() => layer.getWeights().map((w, i) => materialize((() => {
        if (cls === 'Dense' || cls === 'Conv2D' || cls === 'Conv1D') {
          if (i === 0) {
            const inIdx = graph.keptIndices(inSpace!, kept);
            const sliced = tf.gather(w, inIdx, w.rank - 2);
            return tf.gather(sliced, graph.keptIndices(outSpace, kept), w.rank - 1);
          }
          return tf.gather(w, graph.keptIndices(outSpace, kept), 0);
        }
        if (cls === 'BatchNormalization') return tf.gather(w, graph.keptIndices(outSpace, kept), 0);
        if (cls === 'DepthwiseConv2D') return i === 0 ? tf.gather(w, graph.keptIndices(outSpace, kept), 2) : tf.gather(w, graph.keptIndices(outSpace, kept), 0);
        return w; // skipped (opaque) layers: channels around them are frozen
      })())));
      out.getLayer(layer.name).setWeights(weights);
      tf.dispose(weights);
    }
  } catch (e) {
    out.dispose();
    throw e;
  }
  const [pb, pa] = await Promise.all([profileModel(model), profileModel(out)]);
  const layers = model.layers.filter((l) => widths.has(l.name) || l.getClassName() === 'BatchNormalization' || l.getClassName() === 'DepthwiseConv2D').map((l) => ({
    name: l.name, className: l.getClassName(),
    channelsBefore: graph.size(graph.spaces.get(l.name)!), channelsAfter: graph.keptIndices(graph.spaces.get(l.name)!, kept).length,
  }));
  warnings.push(...pa.warnings);
  return {
    model: out,
    report: {
      importance, groups: groupReports, layers,
      params: { before: pb.totals.params, after: pa.totals.params },
      macs: { before: pb.totals.macs, after: pa.totals.macs },
      warnings,
    },
  };
}
