// The benchmark harness: every runtime at every batch size, timed with measureLatency
// (warm-up, then repeated runs), as plain result rows that carry the machine they ran on.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { Rng } from '../core/rng';
import { machineInfo, MachineInfo } from '../core/machine';
import { LatencyOptions, LatencyStats, measureLatency } from '../profile/latency';
import { BenchRuntime } from './runtimes';

/** One measured cell: a model on a runtime at a batch size, with its latency statistics. */
export interface BenchRow extends LatencyStats {
  readonly model: string;
  readonly runtime: string;
  readonly threads: number;
  readonly batchSize: number;
  /** Examples per second at the median latency. */
  readonly throughput: number;
  /** Process memory after the cell (resident set, V8 heap, array buffers incl. wasm memory). */
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly arrayBuffersBytes: number;
  readonly machine: MachineInfo;
}

/** Options for {@link benchmarkRuntimes}. */
export interface BenchmarkOptions extends LatencyOptions {
  /** Label of the model in the rows. */
  readonly model: string;
  /** Values per example (784 for flat MNIST). */
  readonly inputSize: number;
  /** Default [1, 8, 32, 128, 256]. */
  readonly batchSizes?: readonly number[];
  /** Seed of the random inputs. Default 0. */
  readonly seed?: number;
  /** Called after each row (progress in notebooks). */
  readonly onRow?: (row: BenchRow) => void;
}

/** Seeded uniform [0, 1) inputs of `batch` examples. */
export function randomInputs(batch: number, inputSize: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(batch * inputSize);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  return x;
}

/**
 * Times each runtime at each batch size. Runtimes are activated in turn and disposed at the end
 * (the caller still owns models they borrow).
 * @example await benchmarkRuntimes([tfjsRuntime(model, 'wasm')], {model: 'simplenet', inputSize: 784, batchSizes: [1, 256]})
 */
export async function benchmarkRuntimes(runtimes: readonly BenchRuntime[], options: BenchmarkOptions): Promise<BenchRow[]> {
  const batchSizes = options.batchSizes ?? [1, 8, 32, 128, 256];
  for (const b of batchSizes) {
    if (!(Number.isInteger(b) && b > 0 && b <= 4096)) throw new ConfigError(`benchmarkRuntimes: batch sizes integers in [1, 4096], got ${describe(b)}. Use e.g. [1, 32, 256].`);
  }
  if (!(Number.isInteger(options.inputSize) && options.inputSize > 0)) {
    throw new ConfigError(`benchmarkRuntimes: inputSize a positive integer, got ${describe(options.inputSize)}. Use 784 for flat MNIST.`);
  }
  if (runtimes.length === 0) throw new ConfigError(`benchmarkRuntimes: at least one runtime, got none. Pass e.g. [tfjsRuntime(model, 'wasm')].`);
  const inputs = new Map(batchSizes.map((b) => [b, randomInputs(b, options.inputSize, (options.seed ?? 0) + b)]));
  const rows: BenchRow[] = [];
  const initialBackend = tf.getBackend();
  try {
    for (const rt of runtimes) {
      await rt.activate?.();
      for (const b of batchSizes) {
        const x = inputs.get(b) as Float32Array;
        const stats = await measureLatency(() => rt.run(x, b), {
          warmupRuns: options.warmupRuns ?? 3, runs: options.runs ?? 20, minTimeMs: options.minTimeMs ?? 200, maxRuns: options.maxRuns ?? 2000,
        });
        const mem = process.memoryUsage();
        const row: BenchRow = {
          model: options.model, runtime: rt.name, threads: rt.threads, batchSize: b, ...stats,
          throughput: (b * 1000) / stats.p50Ms, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, arrayBuffersBytes: mem.arrayBuffers, machine: machineInfo(),
        };
        rows.push(row);
        options.onRow?.(row);
      }
    }
  } finally {
    for (const rt of runtimes) await rt.dispose?.();
    if (tf.getBackend() !== initialBackend) await tf.setBackend(initialBackend);
  }
  return rows;
}

/** The speed-up of each row over the row of `baselineRuntime` at the same model and batch size (p50 ratio). */
export function speedups(rows: readonly BenchRow[], baselineRuntime: string): (BenchRow & { speedup: number })[] {
  return rows.map((r) => {
    const base = rows.find((b) => b.runtime === baselineRuntime && b.batchSize === r.batchSize && b.model === r.model);
    return { ...r, speedup: base ? base.p50Ms / r.p50Ms : NaN };
  });
}
