// The Redis side of the distributed executor, in one place: the URL form (redis:// or rediss://
// for TLS, an optional user and password, a database number), the key prefix under which every
// key of a queue and its blobs lives (BullMQ's `prefix`, so an ACL can confine a user to
// `<prefix>:*`), and the handling of client errors: each kind is reported once per outage through
// a callback or the library's output channel, never as an unhandled 'error' stack on every retry.
// Passwords never appear in messages.
import type { EventEmitter } from 'events';
import type { ConnectionOptions as TlsOptions } from 'tls';
import { writeOutput } from '../core/output';
import { ConfigError, describe } from '../errors';

/** Where the queue is and how to reach it (shared by submitters and workers). */
export interface RedisOptions {
  /** redis://[user[:password]@]host[:port][/db], or rediss://... for TLS. */
  readonly url: string;
  /** Queue name (workers must use the same); default 'tfjs-compress'. */
  readonly queue?: string;
  /** Key prefix: every key of the queue and its blobs starts with `<prefix>:`; default 'bull' (BullMQ's). */
  readonly prefix?: string;
  /** TLS options of a rediss:// connection (e.g. `{ca: fs.readFileSync('ca.pem')}`); the system CAs by default. */
  readonly tls?: TlsOptions;
  /** Receives each kind of Redis client error once per outage; default one line on the library's output channel. */
  readonly onRedisError?: (error: Error) => void;
}

/** How to reach a Redis server (what ioredis and BullMQ take). */
export interface RedisConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  readonly tls?: TlsOptions;
}

/** Default queue name. */
export const DEFAULT_QUEUE = 'tfjs-compress';
/** Default key prefix (BullMQ's). */
export const DEFAULT_PREFIX = 'bull';

const QUEUE_NAME = /^[\w.-]{1,100}$/;
const PREFIX = /^[\w.{}-][\w.{}:-]{0,99}$/;

/** The URL with its password replaced by `***` (for messages). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return describe(url.replace(/\/\/[^@/]*@/, '//***@'));
  }
}

function urlError(fn: string, url: unknown, why: string): ConfigError {
  const shown = typeof url === 'string' ? describe(redactUrl(url)) : describe(url);
  return new ConfigError(
    `${fn}: a Redis URL such as redis://127.0.0.1:6379, redis://user:password@host:6379/0 or rediss://host:6380 (TLS), got ${shown}${why}. ` +
      `Set TFJS_COMPRESS_REDIS_URL or pass url; percent-encode special characters of the password.`,
  );
}

/**
 * ioredis connection options from `url` (and `tls` for rediss://). Throws ConfigError for anything
 * but redis:// or rediss:// with a host, an optional port, user, password and database number;
 * query options are refused (pass options to the executor instead).
 * @example redisConnection('redis://u:p%40ss@10.0.0.5:6380/2', undefined, 'f') // {host: '10.0.0.5', port: 6380, username: 'u', password: 'p@ss', db: 2}
 */
export function redisConnection(url: unknown, tls: TlsOptions | undefined, fn: string): RedisConnectionOptions {
  if (typeof url !== 'string' || url.length > 2048) throw urlError(fn, url, '');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw urlError(fn, url, '');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw urlError(fn, url, ` (scheme ${u.protocol})`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw urlError(fn, url, ' (no host)');
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw urlError(fn, url, ` (port ${u.port})`);
  if (u.search || u.hash) throw urlError(fn, url, ' (query options: pass them as executor options)');
  let db: number | undefined;
  if (u.pathname && u.pathname !== '/') {
    const m = /^\/(\d{1,5})$/.exec(u.pathname);
    if (!m) throw urlError(fn, url, ` (path ${describe(u.pathname)}: only a database number)`);
    db = Number(m[1]);
  }
  let username: string | undefined;
  let password: string | undefined;
  try {
    if (u.username) username = decodeURIComponent(u.username);
    if (u.password) password = decodeURIComponent(u.password);
  } catch {
    throw urlError(fn, url, ' (a badly percent-encoded user or password)');
  }
  if (tls && u.protocol !== 'rediss:')
    throw new ConfigError(
      `${fn}: a rediss:// URL with TLS options, got ${describe(redactUrl(url))}. Use rediss://host:port to connect with TLS.`,
    );
  return {
    host,
    port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(db !== undefined ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { ...(tls ?? {}) } } : {}),
  };
}

/** The queue name and key prefix of `options`, checked (ConfigError). */
export function queueKeys(
  options: Pick<RedisOptions, 'queue' | 'prefix'>,
  fn: string,
): { queue: string; prefix: string } {
  const queue = options.queue ?? DEFAULT_QUEUE;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue))
    throw new ConfigError(
      `${fn}: a queue name of 1 to 100 letters, digits, '.', '-' or '_', got ${describe(queue)}. Use e.g. 'tfjs-compress'.`,
    );
  if (typeof prefix !== 'string' || !PREFIX.test(prefix))
    throw new ConfigError(
      `${fn}: a key prefix of 1 to 100 letters, digits, '.', '-', '_', ':', '{' or '}', got ${describe(prefix)}. Use e.g. 'myteam'.`,
    );
  return { queue, prefix };
}

/** Redis key of a blob's bytes: under the queue's prefix, beside BullMQ's own keys. */
export const blobKey = (prefix: string, queue: string, hash: string): string => `${prefix}:${queue}:blob:${hash}`;

/**
 * Reports Redis client errors once per outage: the first error of each kind goes to `onError`
 * (or the output channel); repeats are dropped until a connection is ready again.
 */
export class RedisErrorLog {
  private readonly seen = new Set<string>();
  constructor(
    private readonly where: string,
    private readonly url: string,
    private readonly onError?: (error: Error) => void,
  ) {}

  /** Handles the 'error' events of `emitter` (a BullMQ Queue, Worker, QueueEvents or an ioredis client). */
  watch(emitter: EventEmitter): void {
    emitter.on('error', (e: unknown) => this.error(e));
  }

  /** Like watch, and a 'ready' event of this client ends the outage. */
  watchClient(client: EventEmitter): void {
    this.watch(client);
    client.on('ready', () => this.ready());
  }

  error(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    const key = (err as { code?: unknown }).code ?? err.message;
    const k = String(key);
    if (this.seen.has(k)) return;
    this.seen.add(k);
    if (this.onError) {
      try {
        this.onError(err);
      } catch {
        // a failing callback must not become an unhandled error on the client
      }
    } else {
      writeOutput(`${this.where} (Redis at ${redactUrl(this.url)}): ${err.message}`);
    }
  }

  ready(): void {
    if (this.seen.size === 0) return;
    this.seen.clear();
    if (!this.onError) writeOutput(`${this.where}: Redis at ${redactUrl(this.url)} answers again.`);
  }
}

/** Resolves when `client` (an ioredis client) is connected and ready; rejects when it ends first. */
export function whenReady(client: EventEmitter & { readonly status: string }): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      client.off('end', onEnd);
      resolve();
    };
    const onEnd = (): void => {
      client.off('ready', onReady);
      reject(
        new ConfigError('exec: a Redis connection, got one closed before it was ready. Check the URL and the server.'),
      );
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}
