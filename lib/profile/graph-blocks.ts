// A large layer graph cut into blocks a reader can take in, whatever the architecture:
//   1. cuts: a point in the layer order where exactly one tensor flows on (every earlier output
//      that a later layer reads is that one tensor). Between two cuts lies a residual block, an
//      inception module, a squeeze-and-excitation gate, or a single layer of a chain;
//   2. single layers next to a branched block that share its name family join it (Keras names the
//      layers of a block alike: `block2a_expand_conv`, `block2a_se_squeeze`, ...): the expand and
//      project convolutions around an MBConv's gate, ResNet's activation after its addition;
//   3. the chains left between branched blocks are cut where a name family of two or more layers
//      starts (`block_3_expand`, `block_3_expand_BN`, ...), then into pieces of at most `maxChain`.
// Blocks are contiguous and in order; together they hold every layer exactly once.
import { LayerProfile } from './report';

/** A run of consecutive layers (in the profile's order) drawn as one box. */
export interface LayerBlock {
  /** Index of its first layer and one past its last. */
  readonly start: number;
  readonly end: number;
  /** The layers' shared name family, or "first … last". */
  readonly label: string;
  /** True when it holds a branch (residual, parallel paths); false for a chain. */
  readonly branched: boolean;
}

/** Options of {@link layerBlocks}. */
export interface LayerBlockOptions {
  /** Longest chain piece. Default 16. */
  readonly maxChain?: number;
  /** Largest block a chain is merged into. Default 48. */
  readonly maxMerged?: number;
}

/**
 * The name family: the name up to its first part that holds a digit (`block_3_expand_BN` ->
 * `block_3`, `block2a_se_squeeze` -> `block2a`), or undefined when no part has one.
 */
export function nameFamily(name: string): string | undefined {
  const parts = name.split(/[_/.:-]/);
  const k = parts.findIndex((p) => /\d/.test(p));
  return k < 0 ? undefined : parts.slice(0, k + 1).join('_');
}

/** Cut after position i when at most one produced tensor is still to be read after it. */
export function cutsOf(layers: readonly LayerProfile[]): boolean[] {
  const index = new Map(layers.map((l, i) => [l.name, i]));
  const n = layers.length;
  const lastUse = new Map<string, number>();
  layers.forEach((l, i) => l.inputs.forEach((name) => lastUse.set(name, Math.max(i, lastUse.get(name) ?? -1))));
  // live[i] = tensors produced at or before i and read after i (model inputs count from -1).
  const delta = new Array<number>(n + 1).fill(0);
  for (const [name, last] of lastUse) {
    const from = Math.max(0, index.get(name) ?? 0);
    if (last > from) {
      delta[from]! += 1;
      delta[last]! -= 1;
    }
  }
  // A reader listed before its input (not topological): no cut between them.
  layers.forEach((l, i) =>
    l.inputs.forEach((name) => {
      const p = index.get(name);
      if (p !== undefined && p > i) {
        delta[i]! += 2;
        delta[p]! -= 2;
      }
    }),
  );
  const cuts: boolean[] = [];
  let live = 0;
  for (let i = 0; i < n; i++) {
    live += delta[i] as number;
    cuts.push(live <= 1);
  }
  return cuts;
}

interface Group {
  start: number;
  end: number;
  branched: boolean;
}

/** Pieces of a chain: split where a family of two or more layers starts, at most `max` layers, tiny pieces rejoined. */
function chainPieces(layers: readonly LayerProfile[], start: number, end: number, max: number): Group[] {
  const fam = (i: number) => (i >= start && i < end ? nameFamily((layers[i] as LayerProfile).name) : undefined);
  const starts = [start];
  for (let i = start + 1; i < end; i++) {
    const f = fam(i);
    if (f !== undefined && f !== fam(i - 1) && f === fam(i + 1)) starts.push(i);
  }
  const joined: Group[] = [];
  starts.forEach((s, k) => {
    const e = starts[k + 1] ?? end;
    const prev = joined[joined.length - 1];
    // A stem's pooling after its convolution: tiny pieces rejoin their neighbour while they fit.
    if (prev && Math.min(prev.end - prev.start, e - s) < 4 && e - prev.start <= max) prev.end = e;
    else joined.push({ start: s, end: e, branched: false });
  });
  return joined.flatMap((g) => {
    const pieces = Math.ceil((g.end - g.start) / max);
    const size = Math.ceil((g.end - g.start) / pieces);
    return Array.from({ length: pieces }, (_, k) => ({
      start: g.start + k * size,
      end: Math.min(g.end, g.start + (k + 1) * size),
      branched: false,
    }));
  });
}

/** Runs of layers of one family (undefined included) within a chain. */
function familyRuns(layers: readonly LayerProfile[], start: number, end: number): Group[] {
  const runs: Group[] = [];
  for (let i = start; i < end; i++) {
    const prev = runs[runs.length - 1];
    if (prev && nameFamily((layers[i] as LayerProfile).name) === nameFamily((layers[i - 1] as LayerProfile).name))
      prev.end = i + 1;
    else runs.push({ start: i, end: i + 1, branched: false });
  }
  return runs;
}

/** Merges each chain run into the branched neighbour of its family: first the one before it, then the one after. */
function mergeIntoBranches(layers: readonly LayerProfile[], groups: Group[], maxMerged: number): Group[] {
  const family = (i: number) => nameFamily((layers[i] as LayerProfile).name);
  const fits = (a: Group, b: Group, f: string | undefined) =>
    a.branched !== b.branched && f !== undefined && b.end - a.start <= maxMerged;
  const forward: Group[] = [];
  for (const g of groups) {
    const prev = forward[forward.length - 1];
    if (prev?.branched && fits(prev, g, family(g.start)) && family(g.start) === family(prev.end - 1)) prev.end = g.end;
    else forward.push({ ...g });
  }
  const backward: Group[] = [];
  for (const g of forward.reverse()) {
    const next = backward[backward.length - 1];
    if (next?.branched && fits(g, next, family(g.end - 1)) && family(g.end - 1) === family(next.start))
      next.start = g.start;
    else backward.push({ ...g });
  }
  return backward.reverse();
}

function label(layers: readonly LayerProfile[], g: Group): string {
  const names = layers.slice(g.start, g.end).map((l) => l.name);
  if (names.length === 1) return names[0] as string;
  // The longest common prefix of whole name parts, when it names a numbered block.
  const split = names.map((n) => n.split(/([_/.:-])/));
  const first = split[0] as string[];
  let k = 0;
  while (k < first.length && split.every((p) => p[k] === first[k])) k++;
  const prefix = first
    .slice(0, k)
    .join('')
    .replace(/[_/.:-]+$/, '');
  return /\d/.test(prefix) ? prefix : `${names[0]} … ${names[names.length - 1]}`;
}

/** `groups` with each maximal run of unbranched groups replaced by `split` of the layers it spans. */
function splitChains(groups: readonly Group[], split: (start: number, end: number) => Group[]): Group[] {
  const out: Group[] = [];
  for (let k = 0; k < groups.length;) {
    let e = k;
    while (e < groups.length && !(groups[e] as Group).branched) e++;
    if (e === k) out.push(groups[k++] as Group);
    else {
      out.push(...split((groups[k] as Group).start, (groups[e - 1] as Group).end));
      k = e;
    }
  }
  return out;
}

/**
 * The blocks of a layer graph (see the file header).
 * @example layerBlocks(profile.layers).map((b) => b.label) // MobileNetV2: [..., 'block_2', 'block_3', 'block_4', ...]
 */
export function layerBlocks(layers: readonly LayerProfile[], options: LayerBlockOptions = {}): LayerBlock[] {
  const maxChain = options.maxChain ?? 16;
  const maxMerged = options.maxMerged ?? 48;
  const cuts = cutsOf(layers);
  const segments: Group[] = [];
  let start = 0;
  cuts.forEach((cut, i) => {
    if (!cut && i < layers.length - 1) return;
    segments.push({ start, end: i + 1, branched: i + 1 - start > 1 });
    start = i + 1;
  });
  // Chains between branched segments become runs of one name family each.
  const runs = splitChains(segments, (start, end) => familyRuns(layers, start, end));
  const merged = mergeIntoBranches(layers, runs, maxMerged);
  // What stays a chain between branched blocks is cut into readable pieces.
  const groups = splitChains(merged, (start, end) => chainPieces(layers, start, end, maxChain));
  return groups.map((g) => ({ start: g.start, end: g.end, label: label(layers, g), branched: g.branched }));
}
