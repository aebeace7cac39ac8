// Data-parallel training on one machine: fit's step split across replicas of the model, one in
// this thread and one in each peer worker thread (each with its own tfjs backend: wasm in Node
// runs one thread per backend, so two cores need two replicas). Every step, each replica
// computes the gradients of its share of the batch; the shares' gradients are averaged, weighted
// by their example counts, so the average equals the whole batch's mean gradient up to float
// rounding; and every replica applies the same averaged gradients with the same optimizer, so
// the replicas stay identical without weights being sent back and forth (Goyal et al. 2017,
// "Accurate, Large Minibatch SGD", and PyTorch's DistributedDataParallel do the same across
// machines). Batches, gradients and control words travel through SharedArrayBuffers, with
// Atomics to wait; nothing is serialized per step. Every replica averages all replicas'
// gradients itself, in the same order (replica 0 first), so the averages are bitwise equal and
// no replica waits for another to average.
// BatchNormalization statistics are per replica (as in DDP without SyncBatchNorm): each replica
// normalizes its share with its share's statistics, and the model returned keeps this thread's
// moving averages.
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { CompressionError, ConfigError, describe } from '../errors';
import { SourceBatch } from '../data/source';
import { threadEntry } from '../exec/thread-entry';
import { modelLoss } from './model-output';
import { valuesOf } from '../core/values';

/**
 * The shared control words (Int32Array indices; P replicas, replica 0 this thread):
 * step, stop, then per replica its example count, the step whose gradients it has written
 * ("done"), and the step whose gradients it has read ("read").
 */
export const ctrlIndex = {
  step: 0,
  stop: 1,
  count: (r: number) => 2 + r,
  done: (r: number, P: number) => 2 + P + r,
  read: (r: number, P: number) => 2 + 2 * P + r,
};
const ctrlWords = (P: number) => 2 + 3 * P;

/** Shared memory of a data-parallel run. */
export interface SharedState {
  readonly replicas: number;
  /** Parameters of all trainable variables together. */
  readonly total: number;
  readonly ctrl: SharedArrayBuffer;
  /** Float32: [learning rate, then each replica's loss]. */
  readonly scalars: SharedArrayBuffer;
  /** Float32: each replica's gradients, one after the other (replicas x total). */
  readonly grads: SharedArrayBuffer;
}

/** What a peer thread is given at start. */
export interface PeerInit {
  readonly replica: number;
  readonly shared: SharedState;
  readonly topology: unknown;
  readonly weights: { readonly shape: number[]; readonly values: Float32Array }[];
  readonly loss: string | undefined;
  readonly optimizer: 'adam' | 'sgd';
  readonly learningRate: number;
  readonly backend: string;
  readonly inputShape: number[];
  readonly targetShape: number[];
  /** Float32: this replica's share of each batch. */
  readonly xs: SharedArrayBuffer;
  readonly ys: SharedArrayBuffer;
  readonly errors: MessagePort;
}

/** Blocks until `check()` holds, waiting on ctrl[word]; `failed()` is polled between waits. */
export function waitWord(
  ctrl: Int32Array,
  word: number,
  value: number,
  failed: () => void,
  timeoutMs = Infinity,
): void {
  const t0 = Date.now();
  for (;;) {
    const now = Atomics.load(ctrl, word);
    if (now >= value) return;
    failed();
    if (Date.now() - t0 > timeoutMs)
      throw new CompressionError(
        `fit: a data-parallel peer did not answer within ${timeoutMs / 1000} s. Train with workers: 1.`,
      );
    Atomics.wait(ctrl, word, now, 50);
  }
}

/**
 * Averages the replicas' gradients (weighted by their example counts, replica 0 first) into
 * `out`: the same float operations in every replica, so the same bits.
 */
export function averageGradients(
  grads: Float32Array,
  total: number,
  counts: readonly number[],
  out: Float32Array,
): void {
  const n = counts.reduce((a, b) => a + b, 0);
  const view = (r: number) => grads.subarray(r * total, (r + 1) * total);
  const g0 = view(0);
  const k0 = counts[0] as number;
  if (counts.length === 2) {
    const g1 = view(1);
    const k1 = counts[1] as number;
    for (let e = 0; e < total; e++) out[e] = ((g0[e] as number) * k0 + (g1[e] as number) * k1) / n;
    return;
  }
  for (let e = 0; e < total; e++) out[e] = (g0[e] as number) * k0;
  for (let r = 1; r < counts.length; r++) {
    const g = view(r);
    const k = counts[r] as number;
    for (let e = 0; e < total; e++) out[e] = (out[e] as number) + (g[e] as number) * k;
  }
  for (let e = 0; e < total; e++) out[e] = (out[e] as number) / n;
}

/** Writes each variable's gradient into `dest` from `offset`, in variable order. */
export function writeGradients(
  grads: tf.NamedTensorMap,
  variables: readonly tf.Variable[],
  dest: Float32Array,
  offset: number,
): void {
  for (const v of variables) {
    dest.set(grads[v.name]?.dataSync() as Float32Array, offset);
    offset += v.size;
  }
}

/** The averaged gradients as tensors keyed by this replica's variable names (owned). */
export function gradientTensors(avg: Float32Array, variables: readonly tf.Variable[]): tf.NamedTensorMap {
  const named: tf.NamedTensorMap = {};
  let offset = 0;
  for (const v of variables) {
    named[v.name] = tf.tensor(avg.subarray(offset, offset + v.size), v.shape, 'float32');
    offset += v.size;
  }
  return named;
}

interface Peer {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly xs: Float32Array;
  readonly ys: Float32Array;
  readonly errors: MessagePort;
}

/** How long a step waits for a peer before declaring it gone. */
const PEER_TIMEOUT_MS = 120_000;

/** The options of fit that a data-parallel step cannot honour (they are functions or objects of this thread). */
export const SINGLE_PROCESS_OPTIONS = [
  'loss',
  'forward',
  'regularizer',
  'afterStep',
  'beforeStep',
  'variables',
] as const;

/** Replicas of a model in peer threads, stepping with this thread's replica. */
export class DataParallel {
  private stepIndex = 0;
  private closed = false;
  private readonly ctrl: Int32Array;
  private readonly scalars: Float32Array;
  private readonly grads: Float32Array;
  private readonly avg: Float32Array;
  private readonly P: number;

  private constructor(
    private readonly shared: SharedState,
    private readonly peers: Peer[],
    private readonly variables: tf.Variable[],
    private readonly optimizer: tf.Optimizer,
    private readonly model: tf.LayersModel,
  ) {
    this.ctrl = new Int32Array(shared.ctrl);
    this.scalars = new Float32Array(shared.scalars);
    this.grads = new Float32Array(shared.grads);
    this.avg = new Float32Array(shared.total);
    this.P = shared.replicas;
  }

  /**
   * Starts `workers - 1` peer threads holding copies of `model` (its topology and weights) and
   * an optimizer of the same kind as this thread's.
   */
  static async start(
    model: tf.LayersModel,
    options: {
      readonly workers: number;
      readonly optimizer: 'adam' | 'sgd';
      readonly learningRate: number;
      readonly batchSize: number;
      readonly inputShape: number[];
      readonly targetShape: number[];
      readonly own: tf.Optimizer;
      readonly variables: tf.Variable[];
    },
  ): Promise<DataParallel> {
    const fn = 'fit';
    const lossSpec = (model as unknown as { loss?: unknown }).loss;
    if (lossSpec !== undefined && typeof lossSpec !== 'string') {
      throw new ConfigError(
        `${fn}: workers > 1 needs a model compiled with a loss by name (or not compiled), got a loss ${describe(lossSpec)}. ` +
          `Compile with e.g. loss: 'categoricalCrossentropy', or train with workers: 1.`,
      );
    }
    const P = options.workers;
    const total = options.variables.reduce((a, v) => a + v.size, 0);
    const shared: SharedState = {
      replicas: P,
      total,
      ctrl: new SharedArrayBuffer(ctrlWords(P) * 4),
      scalars: new SharedArrayBuffer((1 + P) * 4),
      grads: new SharedArrayBuffer(P * total * 4),
    };
    const ctrl = new Int32Array(shared.ctrl);
    for (let r = 1; r < P; r++) ctrl[ctrlIndex.read(r, P)] = -1; // each peer stores 0 when its replica is built
    const inputSize = options.inputShape.reduce((a, b) => a * b, 1);
    const targetSize = options.targetShape.reduce((a, b) => a * b, 1);
    const share = Math.ceil(options.batchSize / P);
    const weights = model.getWeights().map((w) => ({ shape: w.shape, values: w.dataSync() as Float32Array }));
    const topology = model.toJSON(undefined, false);
    const { filename, execArgv } = threadEntry(__dirname, 'data-parallel-worker');
    const peers: Peer[] = [];
    try {
      for (let r = 1; r < P; r++) {
        const xs = new SharedArrayBuffer(share * inputSize * 4);
        const ys = new SharedArrayBuffer(share * targetSize * 4);
        const { port1, port2 } = new MessageChannel();
        const init: PeerInit = {
          replica: r,
          shared,
          topology,
          weights,
          loss: typeof lossSpec === 'string' ? lossSpec : undefined,
          optimizer: options.optimizer,
          learningRate: options.learningRate,
          backend: tf.getBackend(),
          inputShape: options.inputShape,
          targetShape: options.targetShape,
          xs,
          ys,
          errors: port2,
        };
        // A .ts entry (tests, through tsx) is loaded by a CommonJS bootstrap that registers tsx first.
        const worker = filename.endsWith('.ts')
          ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(filename)});`, {
              eval: true,
              workerData: init,
              transferList: [port2],
            })
          : new Worker(filename, { workerData: init, transferList: [port2], execArgv });
        const ready = new Promise<void>((resolve, reject) => {
          worker.on('message', (m) => {
            if (m === 'ready') resolve();
          });
          worker.on('error', (e) =>
            reject(
              new CompressionError(
                `fit: a data-parallel peer failed to start: ${e?.message ?? e}. Train with workers: 1.`,
              ),
            ),
          );
          worker.on('exit', (code) =>
            reject(
              new CompressionError(
                `fit: a data-parallel peer exited (code ${code}) before it was ready. Train with workers: 1.`,
              ),
            ),
          );
        });
        peers.push({ worker, xs: new Float32Array(xs), ys: new Float32Array(ys), errors: port1, ready });
      }
      await Promise.all(peers.map((p) => p.ready));
      peers.forEach((p) => p.worker.unref());
      return new DataParallel(shared, peers, options.variables, options.own, model);
    } catch (e) {
      await Promise.all(peers.map((p) => p.worker.terminate()));
      peers.forEach((p) => p.errors.close());
      throw e;
    }
  }

  /** Rethrows a peer's error as the library's error. */
  private checkPeers(): void {
    for (const p of this.peers) {
      const failure = receiveMessageOnPort(p.errors)?.message as { name?: string; message?: string } | undefined;
      if (failure) {
        const msg = `fit: a data-parallel peer failed: ${failure.message ?? 'unknown error'}`;
        throw failure.name === 'ConfigError' ? new ConfigError(msg) : new CompressionError(msg);
      }
    }
  }

  /**
   * One optimizer step on batch `b` with learning rate `lr`: this thread's share and the peers'
   * shares, every replica averaging the gradients and applying them. Returns the batch's mean loss (owned).
   */
  step(b: SourceBatch, lr: number): tf.Scalar {
    if (this.closed) throw new ConfigError('fit: a data-parallel step after close. Start a new fit.');
    if (!b.ys)
      throw new ConfigError(`fit: targets (ys) to train on, got a batch without them. Give the data {xs, ys}.`);
    const { ctrl, P } = this;
    const n = b.size;
    const counts = Array.from({ length: P }, (_, i) => Math.floor(n / P) + (i < n % P ? 1 : 0));
    const s = ++this.stepIndex;
    // Every replica has read the previous step's gradients before any is overwritten.
    for (let r = 1; r < P; r++) waitWord(ctrl, ctrlIndex.read(r, P), s - 1, () => this.checkPeers(), PEER_TIMEOUT_MS);
    const x = (b.xs.dtype === 'float32' ? b.xs.dataSync() : valuesOf(() => tf.cast(b.xs, 'float32'))) as Float32Array;
    const y = (
      b.ys.dtype === 'float32' ? b.ys.dataSync() : valuesOf(() => tf.cast(b.ys as tf.Tensor, 'float32'))
    ) as Float32Array;
    const xPer = x.length / n;
    const yPer = y.length / n;
    let row = counts[0] as number;
    this.peers.forEach((p, i) => {
      const k = counts[i + 1] as number;
      p.xs.set(x.subarray(row * xPer, (row + k) * xPer));
      p.ys.set(y.subarray(row * yPer, (row + k) * yPer));
      row += k;
    });
    counts.forEach((k, r) => Atomics.store(ctrl, ctrlIndex.count(r), k));
    this.scalars[0] = lr;
    Atomics.store(ctrl, ctrlIndex.step, s);
    Atomics.notify(ctrl, ctrlIndex.step);
    const k0 = counts[0] as number;
    const loss = modelLoss(this.model);
    const { value, grads } = this.optimizer.computeGradients(
      () =>
        tf.tidy(() => {
          const xs = tf.slice(b.xs, 0, k0);
          const ys = tf.slice(b.ys as tf.Tensor, 0, k0);
          return loss(ys, this.model.apply(xs, { training: true }) as tf.Tensor);
        }),
      this.variables,
    );
    try {
      writeGradients(grads, this.variables, this.grads, 0);
      this.scalars[1] = value.dataSync()[0] as number;
    } finally {
      value.dispose();
      tf.dispose(Object.values(grads));
    }
    Atomics.store(ctrl, ctrlIndex.done(0, P), s);
    Atomics.notify(ctrl, ctrlIndex.done(0, P));
    for (let r = 1; r < P; r++) waitWord(ctrl, ctrlIndex.done(r, P), s, () => this.checkPeers(), PEER_TIMEOUT_MS);
    averageGradients(this.grads, this.shared.total, counts, this.avg);
    let lossSum = 0;
    for (let r = 0; r < P; r++) lossSum += (this.scalars[1 + r] as number) * (counts[r] as number);
    const named = gradientTensors(this.avg, this.variables);
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
    this.optimizer.applyGradients(named);
    tf.dispose(Object.values(named));
    return tf.scalar(lossSum / n);
  }

  /** Stops the peers (their replicas and backends go with their threads). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, ctrlIndex.stop, 1);
    for (let w = 0; w < ctrlWords(this.P); w++) Atomics.notify(this.ctrl, w);
    await Promise.all(this.peers.map((p) => p.worker.terminate()));
    this.peers.forEach((p) => p.errors.close());
  }
}
