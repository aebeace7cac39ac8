// A BullMQ worker: pulls jobs from a Redis queue and runs each on a local worker-thread pool
// (the same thread code as ThreadExecutor), so this process's event loop stays free to renew
// the job locks while the threads train. If this process dies (even by SIGKILL), its locks
// expire and BullMQ's stalled-job check on any other worker puts the jobs back in the queue.
// Start one per machine with `node dist/exec/cli.js --redis redis://host:6379` (see cli.ts).
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BackendName } from '../core/backend';
import { ConfigError, describe } from '../errors';
import { blobHashes, decodeBlobs } from './blobs';
import { isRetryable } from './job';
import { availableCores, ThreadExecutor } from './thread-executor';

/** What a queued job holds (plain JSON; typed arrays as blob references). */
export interface QueuedJob {
  readonly name: string;
  readonly module?: string;
  readonly args: unknown;
}

/** Lock and stall settings (BullMQ's; defaults lock 30 s, stalled check every 30 s, 1 recovery). */
export interface StallOptions {
  /** How long a job's lock lasts unless renewed (renewed every half of it while the job runs). */
  readonly lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired (their worker died) and requeue them. */
  readonly stalledIntervalMs?: number;
  /** How many times a job may stall before it fails. */
  readonly maxStalledCount?: number;
}

/** Options of {@link startBullMqWorker}. */
export interface BullMqWorkerOptions extends StallOptions {
  /** Redis URL, e.g. redis://127.0.0.1:6379. */
  readonly url: string;
  readonly queue?: string;
  /** Worker threads (jobs at once); default the cores. */
  readonly threads?: number;
  readonly backend?: BackendName;
}

/** A running worker. */
export interface BullMqWorkerHandle {
  readonly worker: Worker;
  readonly threads: ThreadExecutor;
  /** Waits for running jobs, then closes the queue connection and the threads. */
  close(): Promise<void>;
}

/** Redis key of a blob's bytes. */
export const blobKey = (queue: string, hash: string): string => `tfc:${queue}:blob:${hash}`;
/** Default queue name. */
export const DEFAULT_QUEUE = 'tfjs-compress';

/** Throws ConfigError unless `url` is a redis:// or rediss:// URL. */
export function checkRedisUrl(url: unknown, fn: string): asserts url is string {
  if (typeof url !== 'string' || !/^rediss?:\/\/[^\s]+$/.test(url)) {
    throw new ConfigError(
      `${fn}: a Redis URL such as redis://127.0.0.1:6379, got ${describe(url)}. Set TFJS_COMPRESS_REDIS_URL or pass url.`,
    );
  }
}

/** BullMQ's worker options from ours. */
export function stallSettings(o: StallOptions): {
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
} {
  return {
    ...(o.lockDurationMs !== undefined ? { lockDuration: o.lockDurationMs } : {}),
    ...(o.stalledIntervalMs !== undefined ? { stalledInterval: o.stalledIntervalMs } : {}),
    ...(o.maxStalledCount !== undefined ? { maxStalledCount: o.maxStalledCount } : {}),
  };
}

/** Blob bytes fetched from Redis, kept while they fit in `maxBytes` (oldest dropped first). */
class BlobCache {
  private readonly bytes = new Map<string, Uint8Array>();
  private total = 0;
  constructor(
    private readonly redis: Redis,
    private readonly queue: string,
    private readonly maxBytes = 2 ** 30,
  ) {}

  async get(hashes: readonly string[]): Promise<Map<string, Uint8Array>> {
    for (const h of hashes) {
      if (this.bytes.has(h)) continue;
      const b = await this.redis.getBuffer(blobKey(this.queue, h));
      if (!b) continue; // decodeBlobs reports the missing blob
      this.bytes.set(h, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      this.total += b.byteLength;
      for (const [k, v] of this.bytes) {
        if (this.total <= this.maxBytes || hashes.includes(k)) break;
        this.bytes.delete(k);
        this.total -= v.byteLength;
      }
    }
    return this.bytes;
  }
}

/**
 * Starts pulling jobs from the queue at `url`. Each job runs on one of `threads` worker threads.
 * @example const w = await startBullMqWorker({url: 'redis://127.0.0.1:6379'}); ... await w.close();
 */
export async function startBullMqWorker(options: BullMqWorkerOptions): Promise<BullMqWorkerHandle> {
  checkRedisUrl(options.url, 'exec.startBullMqWorker');
  const queue = options.queue ?? DEFAULT_QUEUE;
  const threads = new ThreadExecutor({
    workers: options.threads ?? availableCores(),
    ...(options.backend ? { backend: options.backend } : {}),
  });
  const redis = new Redis(options.url, { maxRetriesPerRequest: null });
  const blobs = new BlobCache(redis, queue);
  const worker = new Worker<QueuedJob>(
    queue,
    async (job) => {
      const data = job.data;
      const args = decodeBlobs(data.args, await blobs.get(blobHashes(data.args)));
      const reply = await threads.runTask({
        name: data.name,
        ...(data.module ? { module: data.module } : {}),
        args,
        backend: threads.backend,
      });
      if (reply.ok) return reply.result;
      // The message carries the error's class, so the submitter rethrows the library's typed error.
      const text = JSON.stringify(reply.failure);
      throw isRetryable(reply.failure) ? new Error(text) : new UnrecoverableError(text);
    },
    { connection: { url: options.url }, concurrency: threads.concurrency, ...stallSettings(options) },
  );
  worker.on('error', () => undefined); // connection errors are retried by ioredis; do not crash the process
  await worker.waitUntilReady();
  return {
    worker,
    threads,
    async close() {
      await worker.close();
      await threads.close();
      redis.disconnect();
    },
  };
}
