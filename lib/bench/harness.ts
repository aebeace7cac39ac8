// The benchmark harness: every runtime at every batch size, measured in interleaved
// (round-robin) rounds so that a shared machine's noise hits all runtimes alike. In each round
// every runtime is activated, warmed up and timed in turn; a row's p50 is the median over rounds
// of each round's median, and its other percentiles pool all timed runs. Rows are plain data and
// carry the machine they ran on.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { Rng } from '../core/rng';
import { machineInfo, MachineInfo } from '../core/machine';
import { LatencyStats, latencyStats, median, timeRuns } from '../core/latency';
import { BenchRuntime } from './runtimes';

/** One measured cell: a model (or variant) on a runtime at a batch size, with its latency statistics. */
export interface BenchRow extends LatencyStats {
  /** The model or variant label. */
  readonly model: string;
  readonly runtime: string;
  readonly threads: number;
  readonly batchSize: number;
  /** Each round's median (ms), in round order; p50Ms is their median. */
  readonly roundP50Ms: number[];
  /** Examples per second at p50Ms. */
  readonly throughput: number;
  /** Process memory after the runtime's last round (resident set, V8 heap, array buffers incl. wasm memory). */
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly arrayBuffersBytes: number;
  readonly machine: MachineInfo;
}

/** Options for {@link benchmark}. */
export interface BenchmarkOptions {
  /** Label of the rows whose runtime names no model. Default 'model'. */
  readonly model?: string;
  /** Default [1, 32, 256]. */
  readonly batchSizes?: readonly number[];
  /** Rounds of the round robin. Default 5. */
  readonly rounds?: number;
  /** Untimed runs of a runtime at the start of each round. Default 3. */
  readonly warmupRuns?: number;
  /** Timed runs of a runtime per round, at least. Default 10. */
  readonly runs?: number;
  /** ...and at least this much measured time per round (ms). Default 100. */
  readonly minTimeMs?: number;
  /** Timed runs per round at most. Default 2000. */
  readonly maxRuns?: number;
  /** Input values (one example or more), repeated to fill each batch; default seeded uniform [0, 1). */
  readonly input?: Float32Array;
  /** Seed of the random inputs. Default 0. */
  readonly seed?: number;
  /** Called after each row (progress in notebooks). */
  readonly onRow?: (row: BenchRow) => void;
  /** Called after each runtime's round: `done` of `total` (runtimes x batch sizes x rounds), for progress bars. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Seeded uniform [0, 1) inputs of `batch` examples of `inputSize` values. */
export function randomInputs(batch: number, inputSize: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(batch * inputSize);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  return x;
}

function validate(
  runtimes: readonly BenchRuntime[],
  batchSizes: readonly number[],
  rounds: number,
  input: Float32Array | undefined,
): void {
  if (runtimes.length === 0)
    throw new ConfigError(`bench.benchmark: at least one runtime, got none. Pass e.g. [tfjsRuntime(model, 'wasm')].`);
  for (const b of batchSizes) {
    if (!(Number.isInteger(b) && b > 0 && b <= 4096))
      throw new ConfigError(
        `bench.benchmark: batch sizes integers in [1, 4096], got ${describe(b)}. Use e.g. [1, 32, 256].`,
      );
  }
  if (!(Number.isInteger(rounds) && rounds >= 1))
    throw new ConfigError(`bench.benchmark: rounds a positive integer, got ${describe(rounds)}. Use 5.`);
  if (input !== undefined && !(input instanceof Float32Array && input.length > 0)) {
    throw new ConfigError(
      `bench.benchmark: input a non-empty Float32Array, got ${describe(input)}. Pass example values, or omit it for random inputs.`,
    );
  }
}

/** Options of {@link interleavedRounds}. */
export interface RoundsOptions {
  /** Rounds; each measures every subject once. */
  readonly rounds: number;
  /** Reverse the order on every other round, so no subject always runs first (paired comparisons). Default false. */
  readonly alternate?: boolean;
}

/**
 * The one fair-comparison loop (bench, NAS and the course use it): each round measures every
 * subject once, back to back, so load that slows one round slows every subject of it. Returns,
 * per subject, its measurements in round order; compare subjects round by round
 * ({@link medianRatio}), not by totals.
 * @example const [a, b] = await interleavedRounds([m1, m2], (m) => timeOf(m), {rounds: 9}); medianRatio(a, b)
 */
export async function interleavedRounds<S, T>(
  subjects: readonly S[],
  measure: (subject: S, index: number, round: number) => Promise<T> | T,
  options: RoundsOptions,
): Promise<T[][]> {
  if (!(Number.isInteger(options.rounds) && options.rounds >= 1))
    throw new ConfigError(
      `bench.interleavedRounds: rounds a positive integer, got ${describe(options.rounds)}. Use 5.`,
    );
  const out = subjects.map(() => [] as T[]);
  const order = [...subjects.keys()];
  for (let r = 0; r < options.rounds; r++) {
    for (const i of options.alternate && r % 2 === 1 ? [...order].reverse() : order)
      out[i]?.push(await measure(subjects[i] as S, i, r));
  }
  return out;
}

/** The median over rounds of `a[r] / b[r]` (two subjects' measurements from the same rounds). @example medianRatio([2, 4, 9], [1, 2, 3]) // 2 */
export function medianRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, r) => x / (b[r] as number)));
}

/**
 * Times each runtime at each batch size in interleaved rounds. Runtimes are activated before each
 * of their rounds and disposed at the end; the tfjs backend in use before is restored (the
 * caller still owns the models runtimes borrow). Rows come runtime by runtime, batch sizes in order
 * (`onRow` sees them as each batch size completes).
 * @example await benchmark([tfjsRuntime(model, 'wasm'), ortRuntime(toOnnx(model))], {model: 'simplenet', batchSizes: [1, 256]})
 */
export async function benchmark(
  runtimes: readonly BenchRuntime[],
  options: BenchmarkOptions = {},
): Promise<BenchRow[]> {
  const batchSizes = options.batchSizes ?? [1, 32, 256];
  const rounds = options.rounds ?? 5;
  validate(runtimes, batchSizes, rounds, options.input);
  const timing = {
    warmupRuns: options.warmupRuns ?? 3,
    runs: options.runs ?? 10,
    minTimeMs: options.minTimeMs ?? 100,
    maxRuns: options.maxRuns ?? 2000,
  };
  const inputs = new Map<string, Float32Array>();
  const inputFor = (size: number, batch: number): Float32Array => {
    const key = `${size}x${batch}`;
    let x = inputs.get(key);
    if (!x) {
      const given = options.input;
      x = given
        ? Float32Array.from({ length: size * batch }, (_, i) => given[i % given.length] as number)
        : randomInputs(batch, size, (options.seed ?? 0) + batch);
      inputs.set(key, x);
    }
    return x;
  };
  const machine = machineInfo();
  const rows = runtimes.map(() => [] as BenchRow[]); // per runtime, batch sizes in order
  const initialBackend = tf.getBackend();
  const total = batchSizes.length * rounds * runtimes.length;
  let done = 0;
  try {
    for (const b of batchSizes) {
      const memory = runtimes.map(() => process.memoryUsage());
      // Per runtime, each round's timings.
      const times = await interleavedRounds(
        runtimes,
        async (rt, i) => {
          await rt.activate?.();
          const x = inputFor(
            rt.inputShape.reduce((a, d) => a * d, 1),
            b,
          );
          const t = await timeRuns(() => rt.run(x, b), timing, 'bench.benchmark');
          memory[i] = process.memoryUsage();
          options.onProgress?.(++done, total);
          return t;
        },
        { rounds },
      );
      for (const [i, rt] of runtimes.entries()) {
        const perRound = times[i] as number[][];
        const roundP50Ms = perRound.map((t) => latencyStats(t).p50Ms);
        const p50Ms = median(roundP50Ms);
        const mem = memory[i] as NodeJS.MemoryUsage;
        const row: BenchRow = {
          model: rt.model ?? options.model ?? 'model',
          runtime: rt.name,
          threads: rt.threads,
          batchSize: b,
          ...latencyStats(perRound.flat()),
          p50Ms,
          roundP50Ms,
          throughput: (b * 1000) / p50Ms,
          rssBytes: mem.rss,
          heapUsedBytes: mem.heapUsed,
          arrayBuffersBytes: mem.arrayBuffers,
          machine,
        };
        rows[i]?.push(row);
        options.onRow?.(row);
      }
    }
  } finally {
    for (const rt of runtimes) await rt.dispose?.();
    if (tf.getBackend() !== initialBackend) await tf.setBackend(initialBackend);
  }
  return rows.flat();
}

/** The speed-up of each row over the row of `baselineRuntime` at the same model and batch size (p50 ratio). */
export function speedups(rows: readonly BenchRow[], baselineRuntime: string): (BenchRow & { speedup: number })[] {
  return rows.map((r) => {
    const base = rows.find((b) => b.runtime === baselineRuntime && b.batchSize === r.batchSize && b.model === r.model);
    return { ...r, speedup: base ? base.p50Ms / r.p50Ms : NaN };
  });
}
