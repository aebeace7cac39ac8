// A BullMQ worker: pulls jobs from a Redis queue and runs each on a local worker-thread pool
// (the same thread code as ThreadExecutor), so this process's event loop stays free to renew
// the job locks while the threads train. If this process dies (even by SIGKILL), its locks
// expire and BullMQ's stalled-job check on any other worker puts the jobs back in the queue.
//
// Anyone who can write to the Redis server can write a job, so a job is data, checked against the
// one payload schema before anything happens: {name, args}, nothing else. The name must be in
// this worker's table of jobs (the library's, and those its own process defined before starting);
// no module, path or file name is ever read from the queue. A malformed job fails typed (a
// DataError or ConfigError, not retried) and the worker carries on.
// Start one per machine with `node dist/lib/exec/cli.js --redis redis://host:6379` (see cli.ts), or
// from your own script after defining your jobs: `await exec.startBullMqWorker({url, jobs: [myJob]})`.
import { Job, JobJson, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BackendName } from '../core/backend';
import { DataError } from '../errors';
import { blobByteLength, BlobRef, blobRefs, checkBlobBytes, decodeBlobs } from './blobs';
import { isRetryable, JobFailure, toFailure } from './failure';
import { JobDefinition, knownJob } from './job';
import { parseJobPayload } from './payload';
import { blobKey, queueKeys, redisConnection, RedisErrorLog, RedisOptions, whenReady } from './redis';
import { availableCores, ThreadExecutor } from './thread-executor';

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
export interface BullMqWorkerOptions extends RedisOptions, StallOptions {
  /** Worker threads (jobs at once); default the cores. */
  readonly threads?: number;
  readonly backend?: BackendName;
  /** Jobs this worker runs besides the library's; default every job defined in this process before it starts. */
  readonly jobs?: readonly JobDefinition<never, unknown>[];
}

/** A running worker. */
export interface BullMqWorkerHandle {
  /** The queue it pulls from. */
  readonly queue: string;
  readonly threads: ThreadExecutor;
  /** Resolves once the worker is connected to Redis and pulling jobs. */
  readonly ready: Promise<void>;
  /** Waits for running jobs, then closes the queue connection and the threads. */
  close(): Promise<void>;
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

/** Blob bytes fetched from Redis (checked: length and sha256), kept while they fit in `maxBytes`. */
class BlobCache {
  private readonly bytes = new Map<string, Uint8Array>();
  private total = 0;
  constructor(
    private readonly redis: Redis,
    private readonly key: (hash: string) => string,
    private readonly maxBytes = 2 ** 30,
  ) {}

  async get(refs: readonly BlobRef[], fn: string): Promise<Map<string, Uint8Array>> {
    const wanted = new Set(refs.map((r) => r.$blob));
    for (const ref of refs) {
      if (this.bytes.has(ref.$blob)) continue;
      const key = this.key(ref.$blob);
      // The size first: never fetch more than the reference declares.
      const size = await this.redis.strlen(key);
      if (size === 0) continue; // decodeBlobs reports the missing blob
      if (size !== blobByteLength(ref))
        throw new DataError(
          `${fn}: blob ${ref.$blob.slice(0, 12)} of ${blobByteLength(ref)} bytes, got ${size} bytes in the queue. Submit the job again.`,
        );
      const b = await this.redis.getBuffer(key);
      if (!b) continue;
      const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      checkBlobBytes(ref, bytes, fn);
      this.bytes.set(ref.$blob, bytes);
      this.total += bytes.byteLength;
      for (const [k, v] of this.bytes) {
        if (this.total <= this.maxBytes) break;
        if (wanted.has(k)) continue;
        this.bytes.delete(k);
        this.total -= v.byteLength;
      }
    }
    return this.bytes;
  }
}

// Jobs whose stored data is not JSON: BullMQ would throw while reading them, before any processor
// runs, and leave them stuck; here they reach the processor, which fails them typed.
const unreadable = new WeakMap<Job, string>();

class CheckedWorker extends Worker {
  protected override createJob(data: JobJson, jobId: string): Job {
    try {
      return super.createJob(data, jobId);
    } catch (e) {
      const job = super.createJob({ ...data, data: '{}' }, jobId);
      unreadable.set(job, (e as Error).message);
      return job;
    }
  }
}

/**
 * Starts pulling jobs from the queue at `url` once connected; resolves when it is. Each job runs
 * on one of `threads` worker threads.
 * @example const w = await startBullMqWorker({url: 'redis://127.0.0.1:6379', jobs: [myJob]}); ... await w.close();
 */
export async function startBullMqWorker(options: BullMqWorkerOptions): Promise<BullMqWorkerHandle> {
  const handle = createBullMqWorker(options, 'exec.startBullMqWorker');
  try {
    await handle.ready;
  } catch (e) {
    await handle.close();
    throw e;
  }
  return handle;
}

/** A worker that connects in the background (`ready`), closeable at once. */
export function createBullMqWorker(
  options: BullMqWorkerOptions,
  fn: string,
  log = new RedisErrorLog(`tfjs-compress worker ${process.pid}`, options.url, options.onRedisError),
): BullMqWorkerHandle {
  const connection = redisConnection(options.url, options.tls, fn);
  const { queue, prefix } = queueKeys(options, fn);
  const threads = new ThreadExecutor({
    workers: options.threads ?? availableCores(),
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.jobs ? { jobs: options.jobs } : {}),
  });
  const redis = new Redis({ ...connection, maxRetriesPerRequest: null });
  log.watchClient(redis);
  const blobs = new BlobCache(redis, (hash) => blobKey(prefix, queue, hash));
  const where = `tfjs-compress worker (queue ${queue})`;
  const processJob = async (job: Job): Promise<unknown> => {
    let failure: JobFailure;
    try {
      const notJson = unreadable.get(job);
      if (notJson !== undefined)
        throw new DataError(
          `${where}: a job payload in JSON, got data that does not parse (${notJson}). Remove the job.`,
        );
      const { name, args } = parseJobPayload(job.data as unknown, 'queued', where);
      knownJob(name, threads.jobs, where);
      const refs = blobRefs(args, where);
      const decoded = refs.length ? decodeBlobs(args, await blobs.get(refs, where), where) : args;
      const reply = await threads.runTask({ name, args: decoded });
      if (reply.ok) return reply.result;
      failure = reply.failure;
    } catch (e) {
      failure = toFailure(e);
    }
    // The message carries the error's class, so the submitter rethrows the library's typed error.
    const text = JSON.stringify(failure);
    throw isRetryable(failure) ? new Error(text) : new UnrecoverableError(text);
  };
  let worker: Worker | undefined;
  let closed = false;
  // The BullMQ worker starts once Redis answers: one that never connected cannot be closed.
  const ready = whenReady(redis).then(async () => {
    if (closed) return;
    worker = new CheckedWorker(queue, processJob, {
      connection: { ...connection, maxRetriesPerRequest: null },
      prefix,
      concurrency: threads.concurrency,
      ...stallSettings(options),
    });
    log.watch(worker);
    await worker.waitUntilReady();
  });
  ready.catch(() => undefined); // the caller awaits it
  let closing: Promise<void> | undefined;
  return {
    queue,
    threads,
    ready,
    close() {
      closed = true;
      closing ??= (async () => {
        await worker?.close().catch(() => undefined);
        await threads.close();
        redis.disconnect();
      })();
      return closing;
    },
  };
}
