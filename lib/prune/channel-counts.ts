// How many channels each pruning group keeps. A group at sparsity s keeps C - round(s * C)
// channels, at least `minChannels`, rounded to the nearest multiple of `roundTo` (the runtime's
// tile, see tiles.ts): never below one tile nor above C, and a group left whole stays whole, so a
// count is a multiple of `roundTo` unless it is C itself or C is below one tile. Every member of a
// group (a residual Add's producers, its BatchNormalizations, the consumers) follows the one count,
// and a Concatenate of rounded groups is rounded too.
//
// A requested fraction of the MACs (`macsRatio`) is met by one uniform sparsity: the smallest s
// whose rounded counts keep at most that fraction of the model's MACs, found by bisection (kept
// MACs only fall as s grows, since counts do). MACs are counted from the counts with the layer
// registry's MAC rules, without building a model; rounding makes the kept fraction a step function
// of s, so the achieved fraction sits at or just below the one asked for (the report gives it).
import { ConfigError, describe } from '../errors';
import { DependencyGraph, PruningGroup, Space } from './graph';

/**
 * `keep` rounded to the nearest multiple of `roundTo` (ties keep more), never below one tile nor
 * `min`, and never above `channels`; `keep` >= `channels` keeps them all.
 * @example roundKept(20, 32, 16) // 16
 * @example roundKept(20, 24, 16) // 24 (as near as 16; ties keep more)
 * @example roundKept(5, 6, 8) // 6 (below one tile: the group's own size)
 */
export function roundKept(keep: number, channels: number, roundTo: number, min = 1): number {
  if (keep >= channels) return channels;
  if (roundTo <= 1) return Math.max(keep, Math.min(min, channels));
  const down = Math.floor(keep / roundTo) * roundTo;
  const up = Math.min(channels, down + roundTo);
  const nearest = down === 0 || up - keep <= keep - down ? up : down;
  return nearest >= min ? nearest : up >= min ? up : channels;
}

/** Channels each open group keeps at uniform sparsity `sparsity` (per-group overrides from `sparsityOf`), by group id. */
export function keptCounts(
  groups: readonly PruningGroup[],
  sparsity: number,
  options: {
    readonly sparsityOf?: (g: PruningGroup) => number | undefined;
    readonly minChannels: number;
    readonly roundTo: number;
  },
): Map<number, number> {
  const out = new Map<number, number>();
  for (const g of groups) {
    if (g.frozen) continue;
    const s = options.sparsityOf?.(g) ?? sparsity;
    const min = Math.min(options.minChannels, g.channels);
    const keep = Math.max(min, g.channels - Math.round(s * g.channels));
    out.set(g.id, roundKept(keep, g.channels, options.roundTo, min));
  }
  return out;
}

/** Width of `space` when each group keeps `counts.get(root)` channels (absent: all). */
function widthOf(graph: DependencyGraph, space: Space, counts: ReadonlyMap<number, number>): number {
  if (space.kind === 'leaf') return counts.get(graph.find(space.id)) ?? space.size;
  if (space.kind === 'concat') return space.parts.reduce((a, p) => a + widthOf(graph, p, counts), 0);
  return space.spatial * widthOf(graph, space.base, counts);
}

/**
 * MACs of one example of the graph's model with the groups at `counts` (the registry's rules on
 * every layer's shapes with the channel axis resized). With no counts, the model's own MACs.
 */
export function macsWithCounts(graph: DependencyGraph, counts: ReadonlyMap<number, number>): number {
  let total = 0;
  for (const node of graph.nodes) {
    if (!node.entry) continue;
    const resize = (shape: readonly number[], space: Space | undefined) =>
      space && shape.length ? [...shape.slice(0, -1), widthOf(graph, space, counts)] : shape;
    const ins = graph.inputs.get(node.name) ?? [];
    total += node.entry.macs({
      config: node.config,
      inputShapes: node.inputShapes.map((s, i) => resize(s, ins[i])),
      outputShape: resize(node.outputShape, graph.spaces.get(node.name)),
    });
  }
  return total;
}

const HIGHEST = 1 - 1e-9;

/**
 * The smallest uniform sparsity whose counts (`countsAt`) keep at most `macsRatio` of the MACs, and
 * the fraction they keep. A ratio below what the model can reach (every open group at its
 * minimum) is a ConfigError naming the reachable one. `fn` names the caller in errors.
 */
export function sparsityForMacsRatio(
  graph: DependencyGraph,
  macsRatio: number,
  countsAt: (sparsity: number) => Map<number, number>,
  fn: string,
): { sparsity: number; macsRatio: number } {
  const before = macsWithCounts(graph, new Map());
  const ratioAt = (s: number) => (before > 0 ? macsWithCounts(graph, countsAt(s)) / before : 1);
  if (ratioAt(0) <= macsRatio) return { sparsity: 0, macsRatio: ratioAt(0) };
  const floor = ratioAt(HIGHEST);
  if (floor > macsRatio) {
    throw new ConfigError(
      `${fn}: a macsRatio the model can reach (at least ${floor.toFixed(4)} with every prunable group at its minimum), got ${describe(macsRatio)}. ` +
        `Ask for ${Math.ceil(floor * 1000) / 1000} or more, skip fewer layers, or lower minChannels or roundTo.`,
    );
  }
  let lo = 0; // keeps more than asked
  let hi = HIGHEST; // keeps at most what was asked
  for (let i = 0; i < 50 && hi - lo > 1e-9; i++) {
    const mid = (lo + hi) / 2;
    if (ratioAt(mid) <= macsRatio) hi = mid;
    else lo = mid;
  }
  return { sparsity: hi, macsRatio: ratioAt(hi) };
}
