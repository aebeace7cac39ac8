// Choosing the executor: a BullMQ queue when a Redis URL is given (option or the
// TFJS_COMPRESS_REDIS_URL environment variable), else the worker-thread pool on this machine's
// cores. The same job code runs under both; only where it runs changes.
import { ConfigError, describe } from '../errors';
import { BackendName } from '../core/backend';
import { BullMqExecutor } from './bullmq-executor';
import { Executor } from './executor';
import { availableCores, ThreadExecutor } from './thread-executor';

/** The environment variable naming the Redis server of a distributed run. */
export const REDIS_URL_ENV = 'TFJS_COMPRESS_REDIS_URL';
/** The environment variable naming the queue (default 'tfjs-compress'). */
export const QUEUE_ENV = 'TFJS_COMPRESS_QUEUE';
/** The environment variable naming the Redis key prefix (default 'bull'). */
export const PREFIX_ENV = 'TFJS_COMPRESS_REDIS_PREFIX';

/** Options of {@link createExecutor}. */
export interface CreateExecutorOptions {
  /** Threads on this machine; default the cores (TFJS_COMPRESS_LOCAL_WORKERS with a Redis URL). */
  readonly workers?: number;
  /** Redis URL; default $TFJS_COMPRESS_REDIS_URL. Without one, jobs run on local threads. */
  readonly redisUrl?: string;
  /** BullMQ queue name; default $TFJS_COMPRESS_QUEUE or 'tfjs-compress'. */
  readonly queue?: string;
  /** Redis key prefix; default $TFJS_COMPRESS_REDIS_PREFIX or 'bull'. */
  readonly prefix?: string;
  /** With Redis: how long a map() may take, in ms; default 6 hours. */
  readonly deadlineMs?: number;
  readonly backend?: BackendName;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 0))
    throw new ConfigError(`exec.createExecutor: ${name} an integer >= 0, got ${describe(v)}. Unset it or set e.g. 2.`);
  return n;
}

/**
 * A worker-thread pool, or with a Redis URL a BullMQ executor to which this process also
 * contributes `workers` threads (0 with TFJS_COMPRESS_LOCAL_WORKERS=0: remote workers only).
 * @example const ex = createExecutor(); try { await ex.map(calls); } finally { await ex.close(); }
 */
export function createExecutor(options: CreateExecutorOptions = {}): Executor {
  const url = options.redisUrl ?? process.env[REDIS_URL_ENV];
  if (url) {
    const queue = options.queue ?? process.env[QUEUE_ENV];
    const prefix = options.prefix ?? process.env[PREFIX_ENV];
    return new BullMqExecutor({
      url,
      ...(queue ? { queue } : {}),
      ...(prefix ? { prefix } : {}),
      ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
      localWorkers: options.workers ?? envInt('TFJS_COMPRESS_LOCAL_WORKERS') ?? availableCores(),
    });
  }
  return new ThreadExecutor({
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.backend ? { backend: options.backend } : {}),
  });
}

/** Runs `fn` with an executor from {@link createExecutor} and closes it afterwards, also on error. */
export async function withExecutor<T>(
  options: CreateExecutorOptions,
  fn: (executor: Executor) => Promise<T>,
): Promise<T> {
  const executor = createExecutor(options);
  try {
    return await fn(executor);
  } finally {
    await executor.close();
  }
}
