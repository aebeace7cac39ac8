// The timing primitive every measurement uses: warm-up, repeated timed runs, percentiles.
// Timings on a shared machine are noisy, so report medians (p50) and compare figures measured in
// the same run (bench's harness interleaves runtimes in rounds for that).
import { ConfigError, describe } from '../errors';

/** Options for {@link measureLatency} and {@link timeRuns}. */
export interface LatencyOptions {
  /** Untimed runs first (JIT, wasm memory growth, caches). Default 5. */
  readonly warmupRuns?: number;
  /** Timed runs, at least. Default 30. */
  readonly runs?: number;
  /** Keep running until this much time has been measured (ms). Default 0. */
  readonly minTimeMs?: number;
  /** Stop after this many runs whatever minTimeMs says. Default 10,000. */
  readonly maxRuns?: number;
}

/** Percentiles of repeated timings, in milliseconds. */
export interface LatencyStats {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly minMs: number;
  readonly runs: number;
}

/** The median of `xs` (any order; the mean of the middle two for an even count). @example median([3, 1, 2]) // 2 */
export function median(xs: readonly number[]): number {
  return quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
}

/**
 * The q-quantile (0..1) of sorted values, linear interpolation.
 * @example quantile([1, 2, 3, 4], 0.5) // 2.5
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/**
 * Summary statistics of timings (ms).
 * @example latencyStats([5, 1, 3, 2, 4]).p50Ms // 3
 */
export function latencyStats(timesMs: readonly number[]): LatencyStats {
  const s = [...timesMs].sort((a, b) => a - b);
  return {
    p50Ms: quantile(s, 0.5),
    p90Ms: quantile(s, 0.9),
    p99Ms: quantile(s, 0.99),
    meanMs: s.reduce((a, b) => a + b, 0) / Math.max(s.length, 1),
    minMs: s[0] ?? NaN,
    runs: s.length,
  };
}

/**
 * The timings (ms) of `fn`'s timed runs, after its warm-up runs. `fn` may be sync or async; it
 * must finish its work (e.g. read its output back) before returning.
 */
export async function timeRuns(
  fn: () => unknown | Promise<unknown>,
  options: LatencyOptions = {},
  caller = 'timeRuns',
): Promise<number[]> {
  const warmup = options.warmupRuns ?? 5;
  const runs = options.runs ?? 30;
  const minTime = options.minTimeMs ?? 0;
  const maxRuns = options.maxRuns ?? 10000;
  if (!(Number.isInteger(runs) && runs > 0) || !(Number.isInteger(warmup) && warmup >= 0)) {
    throw new ConfigError(
      `${caller}: runs a positive integer and warmupRuns >= 0, got runs ${describe(runs)}, warmupRuns ${describe(warmup)}. Use e.g. runs 30.`,
    );
  }
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  let total = 0;
  while ((times.length < runs || total < minTime) && times.length < maxRuns) {
    const t0 = performance.now();
    await fn();
    const dt = performance.now() - t0;
    times.push(dt);
    total += dt;
  }
  return times;
}

/**
 * Times `fn` (see {@link timeRuns}) and summarizes the timings.
 * @example await measureLatency(() => model.predict(x, {batchSize: 256}).dataSync(), {runs: 50})
 */
export async function measureLatency(
  fn: () => unknown | Promise<unknown>,
  options: LatencyOptions = {},
): Promise<LatencyStats> {
  return latencyStats(await timeRuns(fn, options, 'measureLatency'));
}
