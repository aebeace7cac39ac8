// The distributed executor: jobs go to a BullMQ queue on Redis, and worker processes on any
// number of machines pull them (bullmq-worker.ts). Retries, backoff and the recovery of jobs
// whose worker died follow BullMQ's semantics: a job that throws is retried `attempts` times
// with exponential backoff (the library's typed errors, which are about the input, are not);
// a job whose worker stopped renewing its lock is put back and runs elsewhere. Typed arrays in
// the arguments are stored once in Redis by content hash. This process may also work on the
// queue itself (`localWorkers`), so one machine alone still gets through a run.
//
// A submitter never waits forever: every map() has a deadline (JobTimeoutError), and unfinished
// jobs are looked up in Redis every few seconds, so a job that the queue no longer holds (Redis
// restarted empty, or someone removed it) fails with JobLostError. The lookup also picks up a
// result whose event was missed while the connection was down.
import type { EventEmitter } from 'events';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { CompressionError, ConfigError, describe } from '../errors';
import { encodeBlobs } from './blobs';
import { BullMqWorkerHandle, createBullMqWorker, StallOptions } from './bullmq-worker';
import { Executor } from './executor';
import { fromFailure, JobLostError, JobTimeoutError, parseFailure } from './failure';
import { callName, JobCall, JobDefinition } from './job';
import { checkJobValue, checkReceivedResult, JobPayload } from './payload';
import { blobKey, queueKeys, redactUrl, redisConnection, RedisErrorLog, RedisOptions } from './redis';

/** Options of {@link BullMqExecutor}. */
export interface BullMqExecutorOptions extends RedisOptions, StallOptions {
  /** Tries per job (BullMQ `attempts`); default 3. */
  readonly attempts?: number;
  /** First retry delay (ms), doubled each retry; default 1000. */
  readonly backoffMs?: number;
  /** Worker threads this process contributes to the queue; default 0 (only remote workers). */
  readonly localWorkers?: number;
  /** Jobs the local workers run besides the library's; default every job defined in this process so far. */
  readonly jobs?: readonly JobDefinition<never, unknown>[];
  /** Seconds blobs stay in Redis; default 1 day. */
  readonly blobTtlSeconds?: number;
  /** How long a map() may take, from submission to its last result, in ms; default 6 hours. */
  readonly deadlineMs?: number;
  /** How often unfinished jobs are looked up in Redis (a vanished job fails at once), in ms; default 5000. */
  readonly checkIntervalMs?: number;
}

/** Default deadline of a map(): 6 hours (training jobs are long; a lost job is detected much sooner). */
export const DEFAULT_DEADLINE_MS = 6 * 3600 * 1000;

type Settled = { ok: true; value: unknown } | { ok: false; error: Error };

function positive(value: unknown, fallback: number, what: string, fn: string, min = 1): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= 2 ** 31 - 1))
    throw new ConfigError(
      `${fn}: ${what} an integer in [${min}, 2^31-1], got ${describe(value)}. Omit it for ${fallback}.`,
    );
  return value;
}

/** Runs jobs through a BullMQ queue. Call `close()` when done. */
export class BullMqExecutor implements Executor {
  readonly kind = 'bullmq';
  readonly queueName: string;
  readonly prefix: string;
  private readonly queue: Queue;
  private events: QueueEvents | undefined;
  private readonly redis: Redis;
  private readonly log: RedisErrorLog;
  private readonly ready: Promise<unknown>;
  private readonly deadlineMs: number;
  private readonly checkIntervalMs: number;
  private readonly local: BullMqWorkerHandle | undefined;
  private closed = false;

  constructor(private readonly options: BullMqExecutorOptions) {
    const fn = 'exec.BullMqExecutor';
    const connection = redisConnection(options.url, options.tls, fn);
    const { queue, prefix } = queueKeys(options, fn);
    positive(options.attempts, 3, 'attempts', fn);
    positive(options.backoffMs, 1000, 'backoffMs', fn, 0);
    positive(options.blobTtlSeconds, 24 * 3600, 'blobTtlSeconds', fn);
    const local = positive(options.localWorkers, 0, 'localWorkers', fn, 0);
    this.deadlineMs = positive(options.deadlineMs, DEFAULT_DEADLINE_MS, 'deadlineMs', fn);
    this.checkIntervalMs = positive(options.checkIntervalMs, 5000, 'checkIntervalMs', fn, 10);
    this.queueName = queue;
    this.prefix = prefix;
    this.log = new RedisErrorLog(fn, options.url, options.onRedisError);
    this.queue = new Queue(queue, { connection, prefix });
    this.redis = new Redis({ ...connection, maxRetriesPerRequest: null });
    this.log.watch(this.queue);
    this.log.watchClient(this.redis);
    this.local =
      local > 0 ? createBullMqWorker({ ...options, queue, prefix, threads: local }, fn, this.log) : undefined;
    // The event stream starts once Redis answers: BullMQ cannot close one that never connected.
    const events = this.queue.waitUntilReady().then(() => {
      if (this.closed) return;
      this.events = new QueueEvents(queue, { connection, prefix });
      this.log.watch(this.events);
      return this.events.waitUntilReady();
    });
    this.ready = Promise.all([events, this.local?.ready]);
    this.ready.catch(() => undefined); // reported by map(), which awaits it
  }

  /** Local worker threads (0: all work is done by workers elsewhere). */
  get concurrency(): number {
    return this.options.localWorkers ?? 0;
  }

  run<A, R>(job: JobDefinition<A, R>, args: A): Promise<R> {
    return this.map<R>([{ job: job as JobDefinition<unknown, unknown>, args }]).then((r) => r[0] as R);
  }

  async map<R = unknown>(calls: readonly JobCall[]): Promise<R[]> {
    const fn = 'exec.BullMqExecutor';
    if (this.closed) throw new ConfigError(`${fn}: an open executor, got one already closed. Create a new executor.`);
    const deadline = Date.now() + this.deadlineMs;
    const encoded = calls.map((call) => {
      const name = callName(call, fn);
      checkJobValue(call.args, `exec: job '${name}'`);
      const { value, blobs } = encodeBlobs(call.args);
      return { data: { name, args: value } satisfies JobPayload, blobs };
    });
    const names = encoded.map((e) => e.data.name);
    const timeout = (what: string): JobTimeoutError =>
      new JobTimeoutError(
        `${fn}: jobs done within deadlineMs ${this.deadlineMs}, got ${what} at the deadline (Redis at ${redactUrl(this.options.url)}, queue '${this.queueName}'). ` +
          `Check that Redis answers and that workers run on queue '${this.queueName}', or raise deadlineMs.`,
        names.join(', '),
      );
    await this.beforeDeadline(this.ready, deadline, () => timeout('no connection to Redis'));
    await this.beforeDeadline(this.refused(this.storeBlobs(encoded.flatMap((e) => [...e.blobs]))), deadline, () =>
      timeout('blobs not stored'),
    );
    const opts = {
      attempts: this.options.attempts ?? 3,
      backoff: { type: 'exponential', delay: this.options.backoffMs ?? 1000 },
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 24 * 3600 },
    };
    const jobs = await this.beforeDeadline(
      this.refused(this.queue.addBulk(encoded.map((e) => ({ name: e.data.name, data: e.data, opts })))),
      deadline,
      () => timeout('jobs not added'),
    );
    const settled = await this.waitAll(jobs, names, deadline, timeout);
    return settled.map((s) => {
      if (s.ok) return s.value as R;
      throw s.error;
    });
  }

  /** `p`, with a command Redis refused (no permission, out of memory, read-only...) as a ConfigError. */
  private refused<T>(p: Promise<T>): Promise<T> {
    return p.catch((e: unknown) => {
      if (e instanceof CompressionError) throw e;
      throw new ConfigError(
        `exec.BullMqExecutor: Redis at ${redactUrl(this.options.url)} accepting the queue's commands, got ${JSON.stringify(String((e as Error)?.message ?? e).slice(0, 200))}. ` +
          `Check that the user may use every key under '${this.prefix}:' (ACL ~${this.prefix}:*), and that the server accepts writes.`,
      );
    });
  }

  private beforeDeadline<T>(p: Promise<T>, deadline: number, error: () => Error): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(error()), Math.max(0, deadline - Date.now()));
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  /** Waits for every job: its completion or failure event, a lookup that finds it done or gone, or the deadline. */
  private waitAll(
    jobs: readonly Job[],
    names: readonly string[],
    deadline: number,
    timeout: (what: string) => JobTimeoutError,
  ): Promise<Settled[]> {
    const fn = 'exec.BullMqExecutor';
    // Per-job events (`completed:<id>`) are emitted by QueueEvents but not in its typed event map.
    const events = this.events as unknown as EventEmitter; // set once ready
    return new Promise((resolve) => {
      const results: Settled[] = new Array(jobs.length);
      const pending = new Map<string, number>(jobs.map((j, i) => [String(j.id), i]));
      const listeners: [string, (...a: unknown[]) => void][] = [];
      let polling = false;
      const settle = (id: string, r: Settled): void => {
        const i = pending.get(id);
        if (i === undefined) return;
        pending.delete(id);
        results[i] = r;
        if (pending.size === 0) finish();
      };
      const completed = (id: string, name: string, value: unknown): void => {
        try {
          checkReceivedResult(value, fn, name);
          settle(id, { ok: true, value });
        } catch (e) {
          settle(id, { ok: false, error: e as Error });
        }
      };
      const failed = (id: string, name: string, reason: unknown): void =>
        settle(id, { ok: false, error: fromFailure(parseFailure(reason), name) });
      const poll = async (): Promise<void> => {
        if (polling || pending.size === 0) return;
        polling = true;
        try {
          for (const [id, i] of [...pending]) {
            const name = names[i] as string;
            const state = await this.queue.getJobState(id);
            if (state === 'unknown') {
              settle(id, {
                ok: false,
                error: new JobLostError(
                  `${fn}: job '${name}' (id ${id}) in queue '${this.queueName}' until it finished, got no such job in Redis at ${redactUrl(this.options.url)} ` +
                    `(the server restarted without its data, or the job was removed). Submit it again; run Redis with persistence (appendonly yes) to keep jobs across restarts.`,
                  name,
                ),
              });
            } else if (state === 'completed' || state === 'failed') {
              const job = await Job.fromId(this.queue, id);
              if (!job) continue; // removed between the two reads: the next lookup says so
              if (state === 'completed') completed(id, name, job.returnvalue);
              else failed(id, name, job.failedReason);
            }
          }
        } catch (e) {
          this.log.error(e);
        } finally {
          polling = false;
        }
      };
      const timer = setInterval(() => void poll(), this.checkIntervalMs);
      const late = setTimeout(
        () => {
          const left = [...pending.keys()];
          for (const id of left)
            settle(id, { ok: false, error: timeout(`${left.length} of ${jobs.length} unfinished`) });
          // Best effort: a job still waiting is removed (a running one finishes; its result is dropped).
          for (const job of jobs) if (left.includes(String(job.id))) job.remove().catch(() => undefined);
        },
        Math.max(0, deadline - Date.now()),
      );
      const finish = (): void => {
        clearInterval(timer);
        clearTimeout(late);
        for (const [event, f] of listeners) events.removeListener(event, f);
        resolve(results);
      };
      jobs.forEach((job, i) => {
        const id = String(job.id);
        const name = names[i] as string;
        const onCompleted = (a: unknown): void => completed(id, name, (a as { returnvalue?: unknown })?.returnvalue);
        const onFailed = (a: unknown): void => failed(id, name, (a as { failedReason?: unknown })?.failedReason);
        listeners.push([`completed:${id}`, onCompleted], [`failed:${id}`, onFailed]);
        events.on(`completed:${id}`, onCompleted);
        events.on(`failed:${id}`, onFailed);
      });
      if (jobs.length === 0) finish();
      else void poll(); // a job may have finished before the listeners were attached
    });
  }

  private async storeBlobs(blobs: [string, Uint8Array][]): Promise<void> {
    const ttl = this.options.blobTtlSeconds ?? 24 * 3600;
    const seen = new Set<string>();
    for (const [hash, bytes] of blobs) {
      if (seen.has(hash)) continue;
      seen.add(hash);
      const key = blobKey(this.prefix, this.queueName, hash);
      // Refresh the expiry of bytes already there; upload only what is missing.
      if ((await this.redis.expire(key, ttl)) === 1) continue;
      await this.redis.set(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', ttl);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.local?.close();
    await Promise.all([this.events?.close(), this.queue.close()]).catch(() => undefined);
    this.redis.disconnect();
  }
}
