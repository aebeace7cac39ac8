// The options of the inference server, and their checks (a ConfigError for each bad value, named).
import { ConfigError, describe } from '../errors';
import { Monitor } from '../monitor/monitor';
import type { AccessOptions } from './access';
import type { AdminOptions } from './admin-auth';
import type { ImageLimits } from './image-decode';

/** PEM certificate chain and private key: the server speaks HTTPS. */
export interface TlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** Options for {@link startServer}. */
export interface ServerOptions {
  readonly registryDir: string;
  /** Model name in the registry. */
  readonly model: string;
  /** Version to serve first. Default: the latest. */
  readonly version?: string;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Address to bind. Default '127.0.0.1' (loopback only); an empty string is refused. */
  readonly host?: string;
  /** HTTPS with this certificate and key (default: plain HTTP). */
  readonly tls?: TlsOptions;
  /**
   * Largest JSON request body (bytes), parsed in memory: keep it to tens of MiB. Default: room for
   * maxBatchSize examples at 16 characters a number, at most 64 MiB.
   */
  readonly maxBodyBytes?: number;
  /** Largest uploaded image file (bytes): a PNG/JPEG body, or one file of a form. Default 8 MiB. */
  readonly maxImageBytes?: number;
  /**
   * Bytes of request bodies held at once, all requests together; a body that does not fit gets
   * 503 before it is read. Default 64 MiB (or maxBodyBytes, if larger).
   */
  readonly maxBodiesBytes?: number;
  /** Uploaded images: pixel budget (from the header, default 16 million), decode time budget (default 5,000 ms), decodes at once (default 2). */
  readonly images?: ImageLimits;
  /** Most examples in one request and in one computed batch. Default 256. */
  readonly maxBatchSize?: number;
  /** Longest a request waits for others to fill its batch while a worker is free (ms). Default 0: a free worker takes what is queued at once; batches still form while the workers are busy. */
  readonly maxDelayMs?: number;
  /** Gather requests into batches. Default true; false computes each request alone. */
  readonly batching?: boolean;
  /** Most examples waiting for a worker (requests whose body is being read count one each); beyond, 503 + Retry-After at once. Default 4 full batches per worker. */
  readonly maxQueueExamples?: number;
  /** Per-request deadline, arrival to answer (ms); past it, 504, and a request still queued is never computed. Default 10,000. */
  readonly timeoutMs?: number;
  /** Inference worker threads. Default one per core; 0 computes on the main thread (the design before workers, for comparison). */
  readonly workers?: number;
  /** Nice value of the worker threads (0-19, Linux; ignored elsewhere): above 0 the event loop gets the CPU before inference. Default 10 (DEFAULT_WORKER_NICE in worker-pool.ts says why). */
  readonly workerNice?: number;
  /** ONNX Runtime intra-op threads per worker. Default 1. */
  readonly ortThreads?: number;
  /** Largest model files read at load, in bytes. Default 512 MiB. */
  readonly maxModelBytes?: number;
  /** Bodies of at least this many bytes, arriving while other requests are in flight, are parsed and validated in a worker, not on the event loop. Default 64 KiB. */
  readonly parseOffloadBytes?: number;
  /** Examples of the warm-up batch every version must answer with finite outputs. Default 8. */
  readonly warmUpBatchSize?: number;
  /** The admin API (swap, rollback). Off without a token unless `insecure` on loopback. */
  readonly admin?: AdminOptions;
  /** Who may call the inference API: allowed web origins (CORS), an inference token, extra Host names. */
  readonly access?: AccessOptions;
  /** Monitor fed with every prediction (drift, latency) and every feedback. */
  readonly monitor?: Monitor;
  /** How long close() waits for in-flight requests (ms). Default 10,000. */
  readonly shutdownTimeoutMs?: number;
  /** A client must send its headers within this (ms). Default 10,000. */
  readonly headersTimeoutMs?: number;
  /** A client must send its whole request within this (ms). Default 30,000. */
  readonly requestTimeoutMs?: number;
}

/** `v` when it is a positive integer (or number); a ConfigError naming the option otherwise. */
export function positive(name: string, v: number, integer = true): number {
  if (!(Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v)))) {
    throw new ConfigError(
      `startServer: ${name} a positive ${integer ? 'integer' : 'number'}, got ${describe(v)}. Leave it out for the default.`,
    );
  }
  return v;
}

/** The address to bind: a non-empty string (an empty one would bind every interface). */
export function checkHost(host: unknown): string {
  if (typeof host !== 'string' || host.trim() === '') {
    throw new ConfigError(
      `startServer: a host to bind (e.g. '127.0.0.1'), got ${describe(host)}. An empty host would bind every interface; say '0.0.0.0' if that is meant.`,
    );
  }
  return host;
}

/** A port in [0, 65535]. */
export function checkPort(port: unknown): number {
  if (!(typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new ConfigError(`startServer: port an integer in [0, 65535], got ${describe(port)}. Use 0 for a free port.`);
  return port;
}

/** A port or address the server cannot listen on (in use, privileged, not this machine's). */
export class ListenError extends ConfigError {}

/** The error of a port already taken, or of an address that cannot be bound, with what to do. */
export function listenError(e: unknown, host: string, port: number): Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE')
    return new ListenError(
      `startServer: a free port to listen on, got port ${port} on ${host} in use by another program (EADDRINUSE). Stop the other server, or pick another port (--port 0 picks a free one).`,
    );
  if (code === 'EACCES')
    return new ListenError(
      `startServer: a port this user may bind, got port ${port} on ${host} refused (EACCES; ports below 1024 need privileges). Use a port of 1024 or more.`,
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new ListenError(
      `startServer: an address of this machine to bind, got ${describe(host)} (${code}). Use 127.0.0.1, 0.0.0.0 or one of this machine's addresses.`,
    );
  return e as Error;
}
