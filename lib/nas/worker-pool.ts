// An Evaluator backed by worker_threads, one worker per core by default. Each worker loads the
// library (compiled from dist/, or the TypeScript source through tsx when the library itself runs
// from source), initializes its own wasm backend, and scores one candidate at a time. Equal
// genotypes in one call are scored once. `close()` asks every worker to exit and waits for it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { CompressionError, ConfigError, describe } from '../errors';
import { Evaluator } from './evaluator';
import { CandidateResult, checkRecipe, DEFAULT_PROXY, ProxyRecipe } from './proxy';
import { Genotype, genotypeKey } from './space';
import type { WorkerReply, WorkerRequest } from './worker';

/** Options of {@link WorkerPoolEvaluator}. */
export interface WorkerPoolOptions {
  /** Number of workers; default the number of cores. */
  readonly workers?: number;
  readonly recipe?: ProxyRecipe;
  /** Backend of the workers; default 'wasm'. */
  readonly backend?: 'wasm' | 'cpu';
}

interface Slot {
  readonly worker: Worker;
  busy: boolean;
  exitCode?: number;
  readonly exited: Promise<number>;
}

interface Job {
  readonly genotype: Genotype;
  readonly resolve: (r: CandidateResult) => void;
  readonly reject: (e: Error) => void;
}

// The compiled worker when the library runs from dist/; else the TypeScript source, loaded
// through tsx's CommonJS hook (a path to a .ts file would go to Node's ESM loader, which refuses it).
function spawnWorker(workerData: unknown): Worker {
  const js = path.join(__dirname, 'worker.js');
  if (fs.existsSync(js)) return new Worker(js, { workerData });
  const ts = path.join(__dirname, 'worker.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(ts)});`, { eval: true, workerData });
}

/** Scores candidates in parallel worker threads. Call `close()` when done. */
export class WorkerPoolEvaluator implements Evaluator {
  readonly concurrency: number;
  readonly recipe: ProxyRecipe;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly pending = new Map<number, { job: Job; slot: Slot }>();
  private nextId = 1;
  private closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    const n = options.workers ?? os.cpus().length;
    if (!(Number.isInteger(n) && n > 0)) throw new ConfigError(`nas.WorkerPoolEvaluator: workers a positive integer, got ${describe(n)}. Use e.g. os.cpus().length.`);
    this.recipe = options.recipe ?? DEFAULT_PROXY;
    checkRecipe(this.recipe);
    this.concurrency = n;
    for (let i = 0; i < n; i++) {
      const worker = spawnWorker({ backend: options.backend ?? 'wasm' });
      const slot: Slot = {
        worker, busy: false,
        exited: new Promise<number>((resolve) => worker.once('exit', (code) => { slot.exitCode = code; resolve(code); })),
      };
      worker.on('message', (msg: WorkerReply) => this.onMessage(slot, msg));
      worker.on('error', (e) => this.failSlot(slot, e));
      worker.once('exit', (code) => { if (!this.closed) this.failSlot(slot, new Error(`worker exited with code ${code}`)); });
      this.slots.push(slot);
    }
  }

  /** Exit codes of the workers that have exited (all of them after close). */
  get exitCodes(): (number | undefined)[] {
    return this.slots.map((s) => s.exitCode);
  }

  evaluate(genotypes: readonly Genotype[]): Promise<CandidateResult[]> {
    if (this.closed) return Promise.reject(new ConfigError('nas.WorkerPoolEvaluator: an open evaluator, got one already closed. Create a new pool.'));
    const byKey = new Map<string, Promise<CandidateResult>>();
    return Promise.all(genotypes.map((g) => {
      const key = genotypeKey(g);
      let p = byKey.get(key);
      if (!p) {
        p = new Promise<CandidateResult>((resolve, reject) => this.queue.push({ genotype: g, resolve, reject }));
        byKey.set(key, p);
      }
      this.pump();
      return p;
    }));
  }

  async close(): Promise<void> {
    if (this.closed) {
      await Promise.all(this.slots.map((s) => s.exited));
      return;
    }
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new ConfigError('nas.WorkerPoolEvaluator: an open evaluator, got close() while candidates were queued. Await evaluate before closing.'));
    for (const s of this.slots) if (s.exitCode === undefined) s.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    // A worker busy training finishes its candidate first; terminate it if it does not exit soon.
    const timer = setTimeout(() => this.slots.forEach((s) => void s.worker.terminate()), 60000);
    await Promise.all(this.slots.map((s) => s.exited));
    clearTimeout(timer);
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy || slot.exitCode !== undefined) continue;
      const job = this.queue.shift();
      if (!job) return;
      const id = this.nextId++;
      slot.busy = true;
      this.pending.set(id, { job, slot });
      slot.worker.postMessage({ type: 'evaluate', id, genotype: job.genotype, recipe: this.recipe } satisfies WorkerRequest);
    }
  }

  private onMessage(slot: Slot, msg: WorkerReply): void {
    if (msg.type === 'ready') return;
    const entry = this.pending.get(msg.id);
    if (!entry) return;
    this.pending.delete(msg.id);
    slot.busy = false;
    if (msg.type === 'result') entry.job.resolve(msg.result as CandidateResult);
    else entry.job.reject(new CompressionError(`nas.WorkerPoolEvaluator: a scored candidate, got an error in a worker: ${msg.message}`));
    this.pump();
  }

  private failSlot(slot: Slot, e: Error): void {
    for (const [id, { job, slot: s }] of this.pending) {
      if (s !== slot) continue;
      this.pending.delete(id);
      job.reject(new CompressionError(`nas.WorkerPoolEvaluator: a scored candidate, got a worker failure: ${e.message}`));
    }
    slot.busy = false;
    if (this.slots.every((s) => s.exitCode !== undefined)) {
      for (const job of this.queue.splice(0)) job.reject(new CompressionError('nas.WorkerPoolEvaluator: a live worker, got none (all exited). Create a new pool.'));
    } else {
      this.pump();
    }
  }
}
