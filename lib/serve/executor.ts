// Where batches are computed. An Executor has a number of slots, each running one batch at a time
// and holding every loaded model version: WorkerPool (worker threads, the server's default) or
// InlineExecutor (the main thread: the design before the pool, kept to measure what the pool
// gains; while it computes, the event loop answers nothing, not even /healthz).
import * as tf from '@tensorflow/tfjs';
import { ServingContract } from './contract';
import { ModelRunner, RunnerOptions, loadRunner } from './model-runner';
import type { VersionSource } from './registry';
import { ExecutorStats, RunResult } from './worker-protocol';
import { PredictInput, decodePredict } from './validate';

/** Computes batches on loaded model versions. */
export interface Executor {
  /** Batches that can run at once. */
  readonly slots: number;
  /** Slots free now. */
  freeSlots(): number;
  /** Slots alive (a worker that died and could not be replaced is gone). */
  liveSlots(): number;
  /** Called whenever a slot becomes free (the batcher dispatches then). */
  onFree?: () => void;
  /** Loads a version into every slot under `key`; on any failure none keeps it. */
  load(key: string, source: VersionSource, options: RunnerOptions): Promise<ServingContract>;
  /** Runs one batch on a free slot (call only when freeSlots() > 0). */
  run(key: string, values: Float32Array, count: number): Promise<RunResult>;
  /** Frees a version in every slot. */
  unload(key: string): Promise<void>;
  /** Parses and validates a predict body (RequestError 400 when malformed). */
  decode(body: Uint8Array, shape: readonly number[], maxBatch: number): Promise<PredictInput>;
  /** What each slot holds. */
  stats(): Promise<ExecutorStats[]>;
  close(): Promise<void>;
}

/** One slot on the main thread, on the process's tfjs backend. */
export class InlineExecutor implements Executor {
  readonly slots = 1;
  onFree?: () => void;
  private busy = false;
  private readonly runners = new Map<string, ModelRunner>();

  freeSlots(): number {
    return this.busy ? 0 : 1;
  }

  liveSlots(): number {
    return 1;
  }

  async load(key: string, source: VersionSource, options: RunnerOptions): Promise<ServingContract> {
    await this.unload(key);
    const runner = await loadRunner(source, options);
    this.runners.set(key, runner);
    return runner.contract;
  }

  async run(key: string, values: Float32Array, count: number): Promise<RunResult> {
    const runner = this.runners.get(key);
    if (!runner) throw new Error(`InlineExecutor: model '${key}' loaded, got none`);
    this.busy = true;
    const t0 = performance.now();
    try {
      return { output: await runner.run(values, count), computeMs: performance.now() - t0 };
    } finally {
      this.busy = false;
      this.onFree?.();
    }
  }

  async unload(key: string): Promise<void> {
    const runner = this.runners.get(key);
    this.runners.delete(key);
    await runner?.dispose();
  }

  async decode(body: Uint8Array, shape: readonly number[], maxBatch: number): Promise<PredictInput> {
    return decodePredict(body, shape, { maxBatch });
  }

  async stats(): Promise<ExecutorStats[]> {
    const m = tf.memory();
    return [{ numTensors: m.numTensors, numBytes: m.numBytes, models: [...this.runners.keys()], heapUsedBytes: process.memoryUsage().heapUsed }];
  }

  async close(): Promise<void> {
    for (const key of [...this.runners.keys()]) await this.unload(key);
  }
}
