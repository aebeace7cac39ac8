// Dynamic batching, as Triton's dynamic batcher and TF Serving's batching layer do it: requests
// wait in one bounded FIFO queue; whenever an executor slot is free, the queued requests are
// gathered into one batch of at most `maxBatchSize` examples, once the batch is full or its
// oldest request has waited `maxDelayMs`. A full queue refuses at once (503 + Retry-After:
// back off), and a request not answered within `timeoutMs` of its arrival gets 504 (the
// compute behind the server did not answer in time; see RequestError statuses in server.ts).
// The executor also encodes each request's answer (answer.ts), so the event loop gets bytes to send.
import { ConfigError, describe } from '../errors';
import type { AnswerPart } from './answer';
import { Executor } from './executor';
import { RequestError } from './request-error';
import { WorkerLostError } from './worker-pool';

/** Options of {@link Batcher}. */
export interface BatcherOptions {
  /** Most examples in one batch (and in one request). */
  readonly maxBatchSize: number;
  /** Longest a request waits for others to join its batch (ms); 0 dispatches as soon as a slot is free. */
  readonly maxDelayMs: number;
  /** Most examples waiting in the queue; more is refused with 503. */
  readonly maxQueueExamples: number;
  /** Per-request deadline from arrival to answer (ms); past it the answer is 504. */
  readonly timeoutMs: number;
  /** False: one request per batch (no gathering). */
  readonly batching: boolean;
  /** Model name written in every answer. */
  readonly model: string;
}

/** How one request is queued. */
export interface SubmitOptions {
  /** True when the request sent a batch (`inputs`): its answer lists predictions. */
  readonly batch: boolean;
  /** The caller gives up `values` (it does not read them later): a batch of this request alone may hand their buffer to a worker instead of a copy. Default false. */
  readonly transfer?: boolean;
  /**
   * The request's deadline (the server starts it when the request arrives): when it aborts, with
   * its 504 as the reason, a queued request leaves the queue and is never computed. Without it,
   * the deadline is `timeoutMs` from the call.
   */
  readonly signal?: AbortSignal;
  /** When that deadline passes (performance.now() time): a request past it is never dispatched, even if its timer is late. */
  readonly deadline?: number;
  /** How the answer is written (top-k classes, or the Open Inference Protocol's form). */
  readonly answer?: Pick<AnswerPart, 'top' | 'v2'>;
}

/** A request admitted before its body is read: it holds a place in the queue until it is submitted or fails. */
export interface Admission {
  release(): void;
}

/** The model version a batch runs on, leased for the batch's duration. */
export interface ModelLease {
  acquire(): { key: string; version: string };
  release(key: string): void;
}

/** One request's answer and where its time went. */
export interface BatchAnswer {
  /** Probabilities, `count` rows. */
  readonly output: Float32Array;
  /** The answer's JSON body (UTF-8), encoded by the executor. */
  readonly body: Uint8Array;
  /** Predicted class of each row. */
  readonly labels: Int32Array;
  /** Prediction number of the first row: the ids in `body` are `${version}-${firstId + n}`. */
  readonly firstId: number;
  readonly version: string;
  readonly queueMs: number;
  /** The worker's compute time of the whole batch this request was part of. */
  readonly computeMs: number;
  /** The executor's time encoding the answers of the whole batch. */
  readonly encodeMs: number;
  /** Dispatch to answer minus compute and encoding: messaging between threads. */
  readonly transferMs: number;
  readonly batchExamples: number;
}

/** What the batcher reports after each batch (for metrics). */
export type BatchObserver = (b: { examples: number; requests: number; computeMs: number }) => void;

interface Job {
  readonly values: Float32Array;
  readonly count: number;
  readonly batch: boolean;
  /** The executor may take `values`' buffer. */
  readonly owned: boolean;
  readonly arrived: number;
  /** performance.now() time past which it is not computed. */
  readonly deadline: number;
  readonly answer?: Pick<AnswerPart, 'top' | 'v2'>;
  readonly resolve: (a: BatchAnswer) => void;
  readonly reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
  state: 'queued' | 'running' | 'done';
}

export function checkBatcherOptions(o: BatcherOptions): BatcherOptions {
  const bad = (k: string, v: unknown, want: string): ConfigError =>
    new ConfigError(`Batcher: ${k} ${want}, got ${describe(v)}. Use the defaults of startServer.`);
  if (!(Number.isInteger(o.maxBatchSize) && o.maxBatchSize >= 1))
    throw bad('maxBatchSize', o.maxBatchSize, 'a positive integer');
  if (!(Number.isFinite(o.maxDelayMs) && o.maxDelayMs >= 0 && o.maxDelayMs <= 1000))
    throw bad('maxDelayMs', o.maxDelayMs, 'in [0, 1000]');
  if (!(Number.isInteger(o.maxQueueExamples) && o.maxQueueExamples >= o.maxBatchSize))
    throw bad('maxQueueExamples', o.maxQueueExamples, `an integer >= maxBatchSize (${o.maxBatchSize})`);
  if (!(Number.isFinite(o.timeoutMs) && o.timeoutMs > 0))
    throw bad('timeoutMs', o.timeoutMs, 'a positive number of milliseconds');
  return o;
}

/** The bounded queue and the dynamic batcher in front of an executor. */
export class Batcher {
  private queue: Job[] = [];
  private queued = 0;
  /** Requests admitted whose body is still being read or parsed (one place each). */
  private admitted = 0;
  private delayTimer?: NodeJS.Timeout;
  private closed = false;
  /** Examples per second, smoothed, for Retry-After. */
  private rate = 0;
  /** Prediction number of the next example dispatched (ids are unique for the batcher's life). */
  private nextId = 1;

  constructor(
    private readonly executor: Executor,
    private readonly lease: ModelLease,
    private readonly options: BatcherOptions,
    private readonly observe?: BatchObserver,
  ) {
    checkBatcherOptions(options);
    executor.onFree = () => this.pump();
  }

  /** Examples waiting (not yet dispatched). */
  get queuedExamples(): number {
    return this.queued;
  }

  /** Requests admitted and not yet submitted. */
  get admittedRequests(): number {
    return this.admitted;
  }

  /** The 503 for a full queue or a closing server, or undefined when `count` more examples fit. */
  private refusal(count: number): RequestError | undefined {
    if (this.closed)
      return new RequestError(`predict: a running server, got one shutting down. Retry on another instance.`, 503, {
        'retry-after': '1',
      });
    const waiting = this.queued + this.admitted;
    if (waiting + count <= this.options.maxQueueExamples) return undefined;
    const seconds = Math.min(60, Math.max(1, Math.ceil(this.rate > 0 ? (waiting + count) / this.rate : 1)));
    return new RequestError(
      `predict: room in the queue (${this.options.maxQueueExamples} examples at most), got ${waiting} waiting. ` +
        `Retry after ${seconds} s, or send fewer concurrent requests.`,
      503,
      { 'retry-after': String(seconds) },
    );
  }

  /**
   * Admits a request before its body is read (throws the 503 at once when the queue is full):
   * it holds one place until `release()`, which the caller makes just before `submit`.
   */
  admit(): Admission {
    const refused = this.refusal(1);
    if (refused) throw refused;
    this.admitted++;
    let held = true;
    return {
      release: () => {
        if (held) this.admitted--;
        held = false;
      },
    };
  }

  /**
   * Queues `count` examples (row-major `values`, not modified; given up when `options.transfer`)
   * and resolves with their probabilities and encoded answer. Rejects with a RequestError: 503
   * when the queue is full or the server closing, 504 past the deadline.
   */
  submit(values: Float32Array, count: number, options: SubmitOptions): Promise<BatchAnswer> {
    const refused = this.refusal(count);
    if (refused) return Promise.reject(refused);
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<BatchAnswer>((resolve, reject) => {
      const owned =
        options.transfer === true && values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
      const arrived = performance.now();
      const job: Job = {
        values,
        count,
        batch: options.batch,
        owned,
        arrived,
        deadline: options.deadline ?? arrived + this.options.timeoutMs,
        ...(options.answer ? { answer: options.answer } : {}),
        resolve,
        reject,
        state: 'queued',
      };
      if (signal) signal.addEventListener('abort', () => this.expire(job, signal.reason as Error), { once: true });
      else job.timer = setTimeout(() => this.expire(job), this.options.timeoutMs);
      this.queue.push(job);
      this.queued += count;
      this.pump();
    });
  }

  /** Refuses new requests (503); queued and running ones are still answered. */
  close(): void {
    this.closed = true;
  }

  /** Fails a job with its 504 (`error`, or the batcher's own); a queued job leaves the queue uncomputed. */
  private expire(job: Job, error?: Error): void {
    if (job.state === 'done') return;
    clearTimeout(job.timer);
    if (job.state === 'queued') {
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
      this.queued -= job.count;
    }
    const where = job.state === 'queued' ? 'while queued' : 'while computing';
    job.state = 'done';
    job.reject(
      error ??
        new RequestError(
          `predict: an answer within ${this.options.timeoutMs} ms, got none (${where}). The server is overloaded: retry later or send smaller batches.`,
          504,
        ),
    );
  }

  private pump(): void {
    clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    // Requests past their deadline (their timer not run yet: the loop was busy) are never computed.
    const now = performance.now();
    for (const job of this.queue.filter((j) => j.deadline <= now)) this.expire(job);
    while (this.queue.length > 0 && this.executor.freeSlots() > 0) {
      const waited = performance.now() - (this.queue[0] as Job).arrived;
      if (this.options.batching && this.queued < this.options.maxBatchSize && waited < this.options.maxDelayMs) {
        this.delayTimer = setTimeout(() => this.pump(), this.options.maxDelayMs - waited);
        return;
      }
      const jobs: Job[] = [];
      let examples = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0] as Job;
        if (jobs.length > 0 && (!this.options.batching || examples + next.count > this.options.maxBatchSize)) break;
        this.queue.shift();
        jobs.push(next);
        examples += next.count;
      }
      this.queued -= examples;
      void this.dispatch(jobs, examples);
    }
  }

  private async dispatch(jobs: Job[], examples: number): Promise<void> {
    const first = jobs[0] as Job;
    let batch: Float32Array;
    if (jobs.length === 1 && first.owned)
      batch = first.values; // the caller gave it up: no copy
    else {
      batch = new Float32Array(examples * (first.values.length / first.count)); // a copy: the executor may take its buffer to another thread
      let offset = 0;
      for (const j of jobs) {
        batch.set(j.values, offset);
        offset += j.values.length;
      }
    }
    const parts: AnswerPart[] = [];
    for (const j of jobs) {
      j.state = 'running';
      parts.push({ count: j.count, batch: j.batch, firstId: this.nextId, ...j.answer });
      this.nextId += j.count;
    }
    const started = performance.now();
    const { key, version } = this.lease.acquire();
    try {
      const r = await this.executor.run(key, batch, examples, { model: this.options.model, version, parts });
      const elapsed = performance.now() - started;
      const encodeMs = r.encodeMs ?? 0;
      this.rate = 0.8 * this.rate + 0.2 * (examples / Math.max(elapsed, 1e-3)) * 1000 * this.executor.slots;
      this.observe?.({ examples, requests: jobs.length, computeMs: r.computeMs });
      const answers = r.answers;
      if (!answers || answers.bodies.length !== jobs.length)
        throw new Error(`Batcher: ${jobs.length} encoded answers, got ${answers?.bodies.length ?? 'none'}`);
      const classes = r.output.length / examples;
      let row = 0;
      jobs.forEach((j, k) => {
        const rows = [row, row + j.count];
        row += j.count;
        if (j.state === 'done') return;
        j.state = 'done';
        clearTimeout(j.timer);
        j.resolve({
          output: r.output.subarray((rows[0] as number) * classes, (rows[1] as number) * classes),
          body: answers.bodies[k] as Uint8Array,
          labels: answers.labels.subarray(rows[0], rows[1]),
          firstId: (parts[k] as AnswerPart).firstId,
          version,
          queueMs: started - j.arrived,
          computeMs: r.computeMs,
          encodeMs,
          transferMs: elapsed - r.computeMs - encodeMs,
          batchExamples: examples,
        });
      });
    } catch (e) {
      // A worker that died failed this batch through no fault of the requests: 503, retry.
      const err =
        e instanceof WorkerLostError
          ? new RequestError(`predict: an answer, got a failed worker (${e.message}). Retry the request.`, 503, {
              'retry-after': '1',
            })
          : (e as Error);
      for (const j of jobs) {
        if (j.state === 'done') continue;
        j.state = 'done';
        clearTimeout(j.timer);
        j.reject(err);
      }
    } finally {
      this.lease.release(key);
    }
  }
}
