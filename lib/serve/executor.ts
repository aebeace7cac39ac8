// Where batches are computed. An Executor has a number of slots, each running one batch at a time
// and holding every loaded model version: WorkerPool (worker threads, the server's default) or
// InlineExecutor (the main thread: the design before the pool, kept to measure what the pool
// gains; while it computes, the event loop answers nothing, not even /healthz).
import * as tf from '@tensorflow/tfjs';
import { AnswerRequest, encodeAnswers } from './answer';
import { ServingContract, exampleSize } from './contract';
import { ModelRunner, RunnerOptions, loadRunner } from './model-runner';
import type { VersionSource } from './registry';
import { DecodeJob, ExecutorStats, PixelsJob, RunResult, threadNice } from './worker-protocol';
import { decodeRequest } from './decode';
import { pixelsToInput } from './pixels';
import { PredictInput } from './validate';

/** Does a decode job on this thread (the main thread, or the worker it was sent to). */
export const decodeJob = (j: DecodeJob): PredictInput =>
  decodeRequest(j.kind, j.chunks, j.shape, { maxBatch: j.maxBatch });

/** Does a pixels job on this thread. */
export const pixelsJob = (j: PixelsJob): Float32Array => pixelsToInput(j.pixels, j.count, j.layout, j.preprocessing);

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
  /**
   * Runs one batch on a free slot (call only when freeSlots() > 0), and encodes its answers when
   * `answer` says how. The executor may take `values`' buffer (transfer it to another thread).
   */
  run(key: string, values: Float32Array, count: number, answer?: AnswerRequest): Promise<RunResult>;
  /** Frees a version in every slot. */
  unload(key: string): Promise<void>;
  /** Parses and validates a JSON body, given as the chunks it came in (RequestError 400 when malformed); may take the chunks' buffers. */
  decode(job: DecodeJob): Promise<PredictInput>;
  /** Preprocesses decoded images (uint8 NHWC pixels) into model inputs; may take the pixels' buffer. */
  pixels(job: PixelsJob): Promise<Float32Array>;
  /** What each slot holds. */
  stats(): Promise<ExecutorStats[]>;
  close(): Promise<void>;
}

/** Runs a batch on a loaded runner and, when asked, encodes its answers (in the thread that computed it). */
export async function runBatch(
  runner: ModelRunner,
  values: Float32Array,
  count: number,
  answer?: AnswerRequest,
): Promise<RunResult> {
  const t0 = performance.now();
  const output = await runner.run(values, count);
  const t1 = performance.now();
  if (!answer) return { output, computeMs: t1 - t0 };
  const { output: shape, classNames } = runner.contract;
  const answers = encodeAnswers(output, exampleSize(shape), answer, {
    outputShape: shape.shape,
    ...(classNames ? { classNames } : {}),
  });
  return { output, answers, computeMs: t1 - t0, encodeMs: performance.now() - t1 };
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

  async run(key: string, values: Float32Array, count: number, answer?: AnswerRequest): Promise<RunResult> {
    const runner = this.runners.get(key);
    if (!runner) throw new Error(`InlineExecutor: model '${key}' loaded, got none`);
    this.busy = true;
    try {
      return await runBatch(runner, values, count, answer);
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

  async decode(job: DecodeJob): Promise<PredictInput> {
    return decodeJob(job);
  }

  async pixels(job: PixelsJob): Promise<Float32Array> {
    return pixelsJob(job);
  }

  async stats(): Promise<ExecutorStats[]> {
    const m = tf.memory();
    return [
      {
        numTensors: m.numTensors,
        numBytes: m.numBytes,
        models: [...this.runners.keys()],
        heapUsedBytes: process.memoryUsage().heapUsed,
        nice: threadNice(),
      },
    ];
  }

  async close(): Promise<void> {
    for (const key of [...this.runners.keys()]) await this.unload(key);
  }
}
