// Latency measurement: warm-up, repeated timed runs, percentiles. Timings on a shared machine
// are noisy, so report medians (p50) and compare figures measured in the same run.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { machineInfo, MachineInfo } from '../core/machine';

/** Options for {@link measureLatency}. */
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

/** The q-quantile (0..1) of sorted values, linear interpolation. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** Summary statistics of timings (ms). */
export function latencyStats(timesMs: readonly number[]): LatencyStats {
  const s = [...timesMs].sort((a, b) => a - b);
  return {
    p50Ms: quantile(s, 0.5), p90Ms: quantile(s, 0.9), p99Ms: quantile(s, 0.99),
    meanMs: s.reduce((a, b) => a + b, 0) / Math.max(s.length, 1), minMs: s[0] ?? NaN, runs: s.length,
  };
}

/**
 * Times `fn` (sync or async; it must finish its work, e.g. read its output, before returning).
 * @example await measureLatency(() => model.predict(x, {batchSize: 256}).dataSync(), {runs: 50})
 */
export async function measureLatency(fn: () => unknown | Promise<unknown>, options: LatencyOptions = {}): Promise<LatencyStats> {
  const warmup = options.warmupRuns ?? 5;
  const runs = options.runs ?? 30;
  const minTime = options.minTimeMs ?? 0;
  const maxRuns = options.maxRuns ?? 10000;
  if (!(Number.isInteger(runs) && runs > 0) || !(Number.isInteger(warmup) && warmup >= 0)) {
    throw new ConfigError(`measureLatency: runs a positive integer and warmupRuns >= 0, got runs ${describe(runs)}, warmupRuns ${describe(warmup)}. Use e.g. runs 30.`);
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
  return latencyStats(times);
}

/** One latency measurement of a model: batch size, backend, stats, throughput, machine. */
export interface ModelLatency extends LatencyStats {
  readonly batchSize: number;
  readonly backend: string;
  /** Examples per second at the median. */
  readonly throughput: number;
  readonly machine: MachineInfo;
}

/** Options for {@link modelLatency}. */
export interface ModelLatencyOptions extends LatencyOptions {
  readonly batchSizes?: readonly number[];
  /** Backends to measure on (switched with tf.setBackend, restored after). Default: the current one. */
  readonly backends?: readonly string[];
}

/**
 * Forward-pass latency of a layers model (input of random values, output read back) per batch
 * size and backend.
 * @example await modelLatency(model, {batchSizes: [1, 256]}) // [{batchSize: 1, p50Ms: ...}, ...]
 */
export async function modelLatency(model: tf.LayersModel, options: ModelLatencyOptions = {}): Promise<ModelLatency[]> {
  const batchSizes = options.batchSizes ?? [1, 32, 256];
  const initial = tf.getBackend();
  const backends = options.backends ?? [initial];
  const inputShape = (model.inputs[0]?.shape ?? []).slice(1) as number[];
  const out: ModelLatency[] = [];
  try {
    for (const backend of backends) {
      if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) {
        throw new ConfigError(`modelLatency: backend '${backend}' to be available, got a failure from tf.setBackend. Call initBackend or drop it from backends.`);
      }
      for (const bs of batchSizes) {
        if (!(Number.isInteger(bs) && bs > 0)) throw new ConfigError(`modelLatency: positive integer batch sizes, got ${describe(bs)}. Use e.g. [1, 256].`);
        const x = tf.randomUniform([bs, ...inputShape], 0, 1, 'float32', 1);
        try {
          const stats = await measureLatency(() => tf.tidy(() => (model.predict(x, { batchSize: bs }) as tf.Tensor).dataSync()), options);
          out.push({ ...stats, batchSize: bs, backend, throughput: (bs * 1000) / stats.p50Ms, machine: machineInfo() });
        } finally {
          x.dispose();
        }
      }
    }
  } finally {
    if (tf.getBackend() !== initial) await tf.setBackend(initial);
  }
  return out;
}
