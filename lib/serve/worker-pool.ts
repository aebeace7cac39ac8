// The server's inference workers: one worker thread per core by default, each with its own tfjs
// wasm backend and its own ONNX Runtime sessions, each running one batch at a time, so the event
// loop never computes. Every worker holds every loaded version; a worker that dies (an uncaught
// error in a runtime, say) fails only its own batch and is replaced, with the loaded versions
// loaded again. (A worker's heap limit is no safety net: V8 may abort the whole process when a
// worker's allocation fails, so sizes are capped before anything is parsed or loaded.)
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { ConfigError, DataError, describe } from '../errors';
import type { AnswerRequest } from './answer';
import type { ServingContract } from './contract';
import { Executor, decodeJob, pixelsJob } from './executor';
import type { RunnerOptions } from './model-runner';
import type { VersionSource } from './registry';
import {
  DecodeJob,
  ExecutorStats,
  PixelsJob,
  RunResult,
  WorkerCommand,
  WorkerReply,
  reviveError,
} from './worker-protocol';
import { PredictInput } from './validate';

/** Options of {@link WorkerPool.start}. */
export interface WorkerPoolOptions {
  /** Worker threads. Default: one per core (os.availableParallelism()). */
  readonly workers?: number;
  /** How long a worker may take to start (ms). Default 60,000. */
  readonly startTimeoutMs?: number;
  /** Nice value of the worker threads, 0 to 19 (Linux; ignored elsewhere): above 0 the event loop gets the CPU first. Default {@link DEFAULT_WORKER_NICE}. */
  readonly workerNice?: number;
}

/**
 * Default nice value of the inference workers (Linux). A nice-10 thread weighs about a tenth of a
 * nice-0 one in the scheduler, so when the workers keep every core busy, the event loop still
 * runs as soon as a request arrives: /healthz answers and requests are read and answered while
 * batches compute. Workers use whatever CPU the event loop leaves, so throughput stays. The cost:
 * on a machine where other nice-0 work runs in the same scheduling group (the same session or
 * cgroup), inference yields to it; pass workerNice 0 to compete equally.
 */
export const DEFAULT_WORKER_NICE = 10;

/** The worker computing a batch died (its batch failed, the worker is replaced): retry the request. */
export class WorkerLostError extends DataError {}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
interface Slot {
  worker: Worker;
  /** Computing a batch. */
  busy: boolean;
  /** Loading a version: no batch is dispatched to it meanwhile (the others keep serving). */
  loading: boolean;
  alive: boolean;
  pending: Map<number, Pending>;
  /** Version keys loaded in this worker. */
  keys: Set<string>;
}

/** The worker's script: compiled JavaScript beside this file, or the TypeScript source under tsx. */
function spawn(nice: number): Worker {
  const opts = { workerData: { nice } };
  if (__filename.endsWith('.ts')) {
    const file = path.join(__dirname, 'inference-worker.ts');
    return new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`, {
      eval: true,
      ...opts,
    });
  }
  return new Worker(path.join(__dirname, 'inference-worker.js'), opts);
}

/** A pool of inference worker threads. */
export class WorkerPool implements Executor {
  onFree?: () => void;
  /** Workers replaced after dying. */
  respawns = 0;
  private readonly pool: Slot[] = [];
  private readonly loaded = new Map<string, { source: VersionSource; options: RunnerOptions }>();
  private nextId = 1;
  private closed = false;

  private constructor(
    readonly slots: number,
    private readonly startTimeoutMs: number,
    private readonly nice: number,
  ) {}

  /**
   * Starts the workers and waits until each has its backend ready.
   * @example const pool = await WorkerPool.start({workers: 2}); ...; await pool.close();
   */
  static async start(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const n = options.workers ?? os.availableParallelism();
    if (!(Number.isInteger(n) && n >= 1 && n <= 64))
      throw new ConfigError(`WorkerPool.start: workers an integer in [1, 64], got ${describe(n)}. Use one per core.`);
    const nice = options.workerNice ?? DEFAULT_WORKER_NICE;
    if (!(Number.isInteger(nice) && nice >= 0 && nice <= 19))
      throw new ConfigError(
        `WorkerPool.start: workerNice an integer in [0, 19], got ${describe(nice)}. Use 0, or 10 to favour the event loop.`,
      );
    const pool = new WorkerPool(n, options.startTimeoutMs ?? 60000, nice);
    try {
      await Promise.all(Array.from({ length: n }, () => pool.addSlot()));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private addSlot(): Promise<Slot> {
    const slot: Slot = {
      worker: spawn(this.nice),
      busy: true,
      loading: false,
      alive: true,
      pending: new Map(),
      keys: new Set(),
    };
    this.pool.push(slot);
    return new Promise<Slot>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new DataError(
            `WorkerPool: a worker ready within ${this.startTimeoutMs} ms, got none. The machine is overloaded or the backend failed to start.`,
          ),
        );
        void slot.worker.terminate();
      }, this.startTimeoutMs);
      slot.worker.on('message', (m: WorkerReply) => {
        if (m.id === -1) {
          clearTimeout(timer);
          slot.busy = false;
          resolve(slot);
          return;
        }
        const p = slot.pending.get(m.id);
        slot.pending.delete(m.id);
        if (m.ok) p?.resolve(m.value);
        else p?.reject(reviveError(m.error));
      });
      const died = (why: string): void => {
        clearTimeout(timer);
        if (!slot.alive) return;
        slot.alive = false;
        const err = new WorkerLostError(
          `WorkerPool: a running inference worker, got one that ${why}. Its batch failed; the worker is replaced.`,
        );
        reject(err);
        for (const p of slot.pending.values()) p.reject(err);
        slot.pending.clear();
        this.pool.splice(this.pool.indexOf(slot), 1);
        if (!this.closed) void this.replace();
      };
      slot.worker.on('error', (e: Error) => died(`failed (${e.message.slice(0, 200)})`));
      slot.worker.on('exit', (code) => died(`exited with code ${code}`));
    });
  }

  /** A new worker for a dead one, with every loaded version loaded again. */
  private async replace(): Promise<void> {
    this.respawns++;
    let slot: Slot | undefined;
    try {
      slot = await this.addSlot();
      slot.busy = true;
      for (const [key, { source, options }] of this.loaded) {
        await this.send(slot, { op: 'load', key, source, options });
        slot.keys.add(key);
      }
      slot.busy = false;
      this.onFree?.();
    } catch {
      // The pool serves on with the workers it has (freeSlots() shows it).
      if (slot?.alive) {
        slot.alive = false;
        this.pool.splice(this.pool.indexOf(slot), 1);
        void slot.worker.terminate();
      }
    }
  }

  private send<T>(slot: Slot, msg: WorkerCommand, transfer: ArrayBuffer[] = []): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!slot.alive) {
        reject(new WorkerLostError(`WorkerPool: a running inference worker, got a dead one. Retry the request.`));
        return;
      }
      slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  freeSlots(): number {
    return this.pool.filter((s) => s.alive && !s.busy && !s.loading).length;
  }

  liveSlots(): number {
    return this.pool.filter((s) => s.alive).length;
  }

  /**
   * Loads a version into the workers one at a time: the loading worker takes no batch (its
   * running batch, if any, finishes first), the others keep serving, so a large model's load
   * and warm-up never hold a request past its deadline. On any failure no worker keeps it.
   */
  async load(key: string, source: VersionSource, options: RunnerOptions): Promise<ServingContract> {
    let contract: ServingContract | undefined;
    let failure: unknown;
    // Until every live worker has it (a worker that replaced a dead one meanwhile included).
    for (let slot = this.missing(key); slot && failure === undefined; slot = this.missing(key)) {
      slot.loading = true;
      try {
        contract = await this.send<ServingContract>(slot, { op: 'load', key, source, options });
        slot.keys.add(key);
      } catch (e) {
        failure = e;
      } finally {
        slot.loading = false;
        this.onFree?.();
      }
    }
    if (failure !== undefined || contract === undefined) {
      await this.unload(key);
      throw failure ?? new DataError(`WorkerPool.load: at least one live worker, got none. Restart the server.`);
    }
    this.loaded.set(key, { source, options });
    return contract;
  }

  async run(key: string, values: Float32Array, count: number, answer?: AnswerRequest): Promise<RunResult> {
    const slot = this.pool.find((s) => s.alive && !s.busy && !s.loading);
    if (!slot) throw new Error('WorkerPool.run: a free worker, got none (the batcher dispatches only to free slots)');
    slot.busy = true;
    try {
      return await this.send<RunResult>(slot, { op: 'run', key, values, count, answer }, [
        values.buffer as ArrayBuffer,
      ]);
    } finally {
      slot.busy = false;
      this.onFree?.();
    }
  }

  /**
   * Decodes on the live worker with the fewest messages waiting (a busy one queues it after its
   * batch). The chunks go as they are (joined in the worker): each one that is alone on its
   * ArrayBuffer is transferred, the others copied.
   */
  async decode(job: DecodeJob): Promise<PredictInput> {
    const slot = this.leastBusy();
    if (!slot) return decodeJob(job);
    const own = job.chunks.map((c) => (c.byteOffset === 0 && c.byteLength === c.buffer.byteLength ? c : c.slice()));
    return this.send<PredictInput>(
      slot,
      { op: 'decode', ...job, chunks: own },
      own.map((c) => c.buffer as ArrayBuffer),
    );
  }

  async pixels(job: PixelsJob): Promise<Float32Array> {
    const slot = this.leastBusy();
    if (!slot) return pixelsJob(job);
    const { pixels } = job;
    const own = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength ? pixels : pixels.slice();
    return this.send<Float32Array>(slot, { op: 'pixels', ...job, pixels: own }, [own.buffer as ArrayBuffer]);
  }

  /** A live worker that has not loaded `key` (and is not loading a version). */
  private missing(key: string): Slot | undefined {
    return this.pool.find((s) => s.alive && !s.loading && !s.keys.has(key));
  }

  /** The live worker with the fewest messages waiting, preferring one that is neither computing nor loading. */
  private leastBusy(): Slot | undefined {
    const rank = (s: Slot): number => s.pending.size + (s.busy || s.loading ? 1000 : 0);
    return this.pool.filter((s) => s.alive).sort((a, b) => rank(a) - rank(b))[0];
  }

  async unload(key: string): Promise<void> {
    this.loaded.delete(key);
    await Promise.allSettled(
      this.pool
        .filter((s) => s.alive)
        .map((s) => {
          s.keys.delete(key);
          return this.send(s, { op: 'unload', key });
        }),
    );
  }

  async stats(): Promise<ExecutorStats[]> {
    return Promise.all(this.pool.filter((s) => s.alive).map((s) => this.send<ExecutorStats>(s, { op: 'stats' })));
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.pool.splice(0);
    await Promise.allSettled(
      slots.map(async (s) => {
        s.alive = false;
        for (const p of s.pending.values())
          p.reject(new DataError(`WorkerPool: an open pool, got one closing. Retry on a running server.`));
        s.pending.clear();
        await s.worker.terminate();
      }),
    );
  }
}
