// Tiles: the channel counts a deployment runtime runs fast, so that channel pruning removes time
// and not only MACs. Runtimes compute channels in blocks:
// - ONNX Runtime's CPU convolutions (MLAS) run in the blocked NCHWc layout only when a conv's
//   input and output channels are multiples of the block: 16 with AVX-512, 8 with AVX2
//   (MlasNchwcGetBlockSize; onnxruntime/core/optimizer/nchwc_transformer.cc). Other counts run in
//   plain NCHW with layout reorders around them: a MobileNetV2 pruned to such counts ran slower
//   than the unpruned one.
// - XNNPACK (tfjs-wasm; TFLite's delegate) packs output channels by its micro-kernels' width
//   (8 for its WebAssembly SIMD GEMMs), so 5 filters cost what 8 do.
// Which multiples pay is measured, not assumed: test/bench/channel-tiles.bench.ts times small
// conv/dense blocks at every channel count from 33 to 96 on each runtime, `detectTile` reads the
// curves, and the result is the committed table in tile-table.ts (with the machine and the date).
// Torch-Pruning's `round_to` is the same knob; here a `target` runtime chooses it by default.
import { ConfigError, describe } from '../errors';
import { MEASURED_TILES, TiledRuntime } from './tile-table';

/** Where the pruned model will run: a runtime of the tile table, or 'any' (every runtime in it). */
export type PruneTarget = 'any' | TiledRuntime;
export const PRUNE_TARGETS: readonly PruneTarget[] = ['any', 'ort', 'tfjs-wasm', 'tflite'];

/**
 * The default target: 'any', the least common multiple of every runtime's measured tile. The
 * prune verb does not know where its model will be deployed, and a multiple of every tile is fast
 * on each of them (16 is a multiple of 8 and of 4); naming one runtime can only make the rounding
 * finer.
 */
export const DEFAULT_PRUNE_TARGET: PruneTarget = 'any';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a * b) / gcd(a, b);

/**
 * The channel multiple `target` runs fast, from the measured table.
 * @example tileOf('any') // the least common multiple of tileOf('ort'), tileOf('tfjs-wasm'), tileOf('tflite')
 */
export function tileOf(target: PruneTarget): number {
  if (target === 'any') return Object.values(MEASURED_TILES.runtimes).reduce((a, r) => lcm(a, r.roundTo), 1);
  return MEASURED_TILES.runtimes[target].roundTo;
}

/** The rounding of kept channels that `options` asks for, and why. */
export interface ResolvedRounding {
  /** Kept channels are rounded to multiples of this (1: no rounding). */
  readonly roundTo: number;
  /** The runtime it was chosen for; absent when `roundTo` was given. */
  readonly target?: PruneTarget;
}

/**
 * Validates `target` and `roundTo` (at most one of them) and resolves them to a channel multiple:
 * `roundTo` as given, else the tile of `target` (default {@link DEFAULT_PRUNE_TARGET}). `fn` names
 * the caller in errors.
 * @example resolveRounding('prune.channels', {roundTo: 1}) // {roundTo: 1}
 */
export function resolveRounding(
  fn: string,
  options: { readonly target?: unknown; readonly roundTo?: unknown },
): ResolvedRounding {
  const { target, roundTo } = options;
  if (target !== undefined && !PRUNE_TARGETS.includes(target as PruneTarget)) {
    throw new ConfigError(
      `${fn}: target one of ${PRUNE_TARGETS.map((t) => `'${t}'`).join(', ')}, got ${describe(target)}. ` +
        `Name the runtime the pruned model will run on, or 'any'.`,
    );
  }
  if (roundTo !== undefined && !(typeof roundTo === 'number' && Number.isInteger(roundTo) && roundTo >= 1)) {
    throw new ConfigError(
      `${fn}: roundTo a positive integer, got ${describe(roundTo)}. Use 1 (no rounding) or the runtime's tile, e.g. 16.`,
    );
  }
  if (target !== undefined && roundTo !== undefined) {
    throw new ConfigError(
      `${fn}: target or roundTo, got both (target ${describe(target)}, roundTo ${describe(roundTo)}). ` +
        `Pass target to use the runtime's measured tile, or roundTo to choose the multiple yourself.`,
    );
  }
  if (roundTo !== undefined) return { roundTo: roundTo as number };
  const t = (target as PruneTarget | undefined) ?? DEFAULT_PRUNE_TARGET;
  return { roundTo: tileOf(t), target: t };
}

/** One step of {@link detectTile}: does rounding counts from multiples of tile/2 up to multiples of tile pay? */
export interface TileStep {
  readonly tile: number;
  /** Marginal time of one channel along the multiples of tile/2 (least-squares slope). */
  readonly slope: number;
  /** Counts tested (multiples of tile/2 that are not multiples of tile, whose next multiple was measured). */
  readonly points: number;
  /** How many of them rounded up for at most half their marginal cost. */
  readonly passed: number;
}

/** Least-squares slope of ys over xs (0 when xs do not vary). */
function slopeOf(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = ys.reduce((a, y) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    sxx += ((xs[i] as number) - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/**
 * The channel multiple a measured latency curve favours: `times[i]` is the latency (any unit, e.g.
 * relative to one count) of a block with `counts[i]` channels. Step t (2, 4, 8, ...) looks at the
 * counts that are multiples of t/2: b is the least-squares slope of time over those counts (the
 * marginal cost of a channel along that grid), and a count c that is not a multiple of t "rounds
 * up cheaply" when time(next multiple of t) - time(c) <= b * (next - c) / 2, i.e. its extra
 * channels cost at most half of what channels cost on average. A step passes when at least 4
 * counts were tested and 3 out of 4 rounded up cheaply. The tile is the largest t whose step
 * passes, and 1 when none does (time that grows smoothly with the channels, time that does not
 * grow at all, or a curve lost in noise). Looking along the grid of t/2 keeps a finer tile's jumps (e.g. multiples of 4) from
 * passing for a coarser one.
 * @example detectTile(counts33to160, counts33to160.map((c) => Math.ceil(c / 16))).tile // 16 (a staircase of 16)
 */
export function detectTile(counts: readonly number[], times: readonly number[]): { tile: number; steps: TileStep[] } {
  if (counts.length !== times.length || counts.length < 4 || !times.every((t) => Number.isFinite(t))) {
    throw new ConfigError(
      `detectTile: at least 4 counts with one finite time each, got ${counts.length} counts and ${describe(times)} as times. Measure more counts.`,
    );
  }
  const at = new Map(counts.map((c, i) => [c, times[i] as number]));
  const steps: TileStep[] = [];
  let tile = 1;
  const max = Math.max(...counts);
  for (let t = 2; t <= max; t *= 2) {
    const grid = counts.filter((c) => c % (t / 2) === 0);
    if (grid.length < 2) break;
    const slope = slopeOf(
      grid,
      grid.map((c) => at.get(c) as number),
    );
    let points = 0;
    let passed = 0;
    for (const c of grid) {
      if (c % t === 0) continue;
      const up = Math.ceil(c / t) * t;
      const tUp = at.get(up);
      if (tUp === undefined) continue;
      points++;
      if (tUp - (at.get(c) as number) <= (slope * (up - c)) / 2) passed++;
    }
    steps.push({ tile: t, slope, points, passed });
    // No marginal cost (a flat or falling curve): nothing to round for.
    if (slope > 0 && points >= 4 && passed * 4 >= points * 3) tile = t;
  }
  return { tile, steps };
}
