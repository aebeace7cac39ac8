// The distributed executor: jobs go to a BullMQ queue on Redis, and worker processes on any
// number of machines pull them (bullmq-worker.ts). Retries, backoff and the recovery of jobs
// whose worker died follow BullMQ's semantics: a job that throws is retried `attempts` times
// with exponential backoff (the library's typed errors, which are about the input, are not);
// a job whose worker stopped renewing its lock is put back and runs elsewhere. Typed arrays in
// the arguments are stored once in Redis by content hash. This process may also work on the
// queue itself (`localWorkers`), so one machine alone still gets through a run.
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { ConfigError, describe } from '../errors';
import { encodeBlobs } from './blobs';
import {
  blobKey,
  BullMqWorkerHandle,
  checkRedisUrl,
  DEFAULT_QUEUE,
  QueuedJob,
  StallOptions,
  startBullMqWorker,
} from './bullmq-worker';
import { callTarget, Executor } from './executor';
import { checkJobValue, fromFailure, JobCall, JobDefinition, JobFailure } from './job';

/** Options of {@link BullMqExecutor}. */
export interface BullMqExecutorOptions extends StallOptions {
  /** Redis URL, e.g. redis://127.0.0.1:6379. */
  readonly url: string;
  /** Queue name (workers must use the same); default 'tfjs-compress'. */
  readonly queue?: string;
  /** Tries per job (BullMQ `attempts`); default 3. */
  readonly attempts?: number;
  /** First retry delay (ms), doubled each retry; default 1000. */
  readonly backoffMs?: number;
  /** Worker threads this process contributes to the queue; default 0 (only remote workers). */
  readonly localWorkers?: number;
  /** Seconds blobs stay in Redis; default 1 day. */
  readonly blobTtlSeconds?: number;
}

function parseFailure(reason: string): JobFailure {
  try {
    const f = JSON.parse(reason) as Partial<JobFailure>;
    if (typeof f.name === 'string' && typeof f.message === 'string') return { name: f.name, message: f.message };
  } catch {
    // not one of ours: BullMQ's own reason (e.g. "job stalled more than allowable limit")
  }
  return { name: 'QueueError', message: reason };
}

/** Runs jobs through a BullMQ queue. Call `close()` when done. */
export class BullMqExecutor implements Executor {
  readonly kind = 'bullmq';
  readonly queueName: string;
  private readonly queue: Queue<QueuedJob>;
  private readonly events: QueueEvents;
  private readonly redis: Redis;
  private readonly ready: Promise<unknown>;
  private local: BullMqWorkerHandle | undefined;
  private closed = false;

  constructor(private readonly options: BullMqExecutorOptions) {
    const fn = 'exec.BullMqExecutor';
    checkRedisUrl(options.url, fn);
    const attempts = options.attempts ?? 3;
    const local = options.localWorkers ?? 0;
    if (!(Number.isInteger(attempts) && attempts >= 1))
      throw new ConfigError(`${fn}: attempts an integer >= 1, got ${describe(attempts)}. Use e.g. 3.`);
    if (!(Number.isInteger(local) && local >= 0))
      throw new ConfigError(
        `${fn}: localWorkers an integer >= 0, got ${describe(local)}. Use 0 to leave the work to remote workers.`,
      );
    this.queueName = options.queue ?? DEFAULT_QUEUE;
    const connection = { url: options.url };
    this.queue = new Queue<QueuedJob>(this.queueName, { connection });
    this.events = new QueueEvents(this.queueName, { connection });
    this.redis = new Redis(options.url, { maxRetriesPerRequest: null });
    this.ready = Promise.all([
      this.queue.waitUntilReady(),
      this.events.waitUntilReady(),
      local > 0
        ? startBullMqWorker({ ...options, queue: this.queueName, threads: local }).then((w) => {
            this.local = w;
          })
        : undefined,
    ]);
  }

  /** Local worker threads (0: all work is done by workers elsewhere). */
  get concurrency(): number {
    return this.options.localWorkers ?? 0;
  }

  run<A, R>(job: JobDefinition<A, R>, args: A): Promise<R> {
    return this.map<R>([{ job: job as JobDefinition<unknown, unknown>, args }]).then((r) => r[0] as R);
  }

  async map<R = unknown>(calls: readonly JobCall[]): Promise<R[]> {
    if (this.closed)
      throw new ConfigError('exec.BullMqExecutor: an open executor, got one already closed. Create a new executor.');
    const encoded = calls.map((call) => {
      const { name, module } = callTarget(call, 'exec.BullMqExecutor');
      checkJobValue(call.args, `exec: job '${name}'`);
      const { value, blobs } = encodeBlobs(call.args);
      return { data: { name, ...(module ? { module } : {}), args: value } as QueuedJob, blobs };
    });
    await this.ready;
    await this.storeBlobs(encoded.flatMap((e) => [...e.blobs]));
    const opts = {
      attempts: this.options.attempts ?? 3,
      backoff: { type: 'exponential', delay: this.options.backoffMs ?? 1000 },
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 24 * 3600 },
    };
    const jobs = await this.queue.addBulk(encoded.map((e) => ({ name: e.data.name, data: e.data, opts })));
    const settled = await Promise.allSettled(jobs.map((j: Job<QueuedJob>) => j.waitUntilFinished(this.events)));
    return settled.map((s, i) => {
      if (s.status === 'fulfilled') return s.value as R;
      const reason = (s.reason as Error)?.message ?? String(s.reason);
      throw fromFailure(parseFailure(reason), encoded[i]?.data.name ?? '?');
    });
  }

  private async storeBlobs(blobs: [string, Uint8Array][]): Promise<void> {
    const ttl = this.options.blobTtlSeconds ?? 24 * 3600;
    const seen = new Set<string>();
    for (const [hash, bytes] of blobs) {
      if (seen.has(hash)) continue;
      seen.add(hash);
      const key = blobKey(this.queueName, hash);
      // Refresh the expiry of bytes already there; upload only what is missing.
      if ((await this.redis.expire(key, ttl)) === 1) continue;
      await this.redis.set(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', ttl);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    await this.local?.close();
    await this.events.close();
    await this.queue.close();
    this.redis.disconnect();
  }
}
