// The inference server: Node's http, a JSON predict API over a versioned model registry
// (TensorFlow.js and ONNX versions), inference in worker threads behind a dynamic batcher with a
// bounded queue and per-request deadlines, safe hot-swap and rollback behind an authenticated
// admin API, health and readiness, Prometheus metrics, optional monitoring (drift, feedback,
// latency) and graceful shutdown. Binds 127.0.0.1 unless told. The event loop moves bytes: it
// reads bodies, parses the small ones (large ones go to a worker as the socket's chunks), and
// writes the answers the workers encoded; it never computes, and the workers run at a lower
// priority (nice 10 on Linux), so /healthz and /metrics answer while the workers are busy.
//
// Statuses: 400 malformed, 401 no or wrong admin token, 403 admin off / from a web page / foreign
// Host, 404, 405 (with Allow), 409 a swap the serving contract refuses, 413 body too large, 415
// admin body not JSON, 422 a swap to a broken model (corrupt, oversized, NaN outputs), 503 queue
// full or shutting down (with Retry-After: come back later), 504 no answer within timeoutMs (the
// request was accepted but the compute behind the server did not answer in time: a gateway
// timeout, gRPC's DEADLINE_EXCEEDED; it is not 503 because retrying the same request at once is
// not what helps). A client that goes away is counted as 'client_abort', never as a 5xx.
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import { ConfigError, describe } from '../errors';
import { Monitor } from '../monitor/monitor';
import { AdminGuard, AdminOptions } from './admin-auth';
import { Batcher } from './batcher';
import { ServingContract, exampleSize } from './contract';
import { Executor, InlineExecutor } from './executor';
import { createMetrics, ServerMetrics } from './metrics';
import { ModelManager, SwapResult } from './model-manager';
import { latestVersion, checkRegistryName } from './registry';
import { RequestError } from './request-error';
import { ExecutorStats } from './worker-protocol';
import { WorkerPool } from './worker-pool';
import { PredictionLog } from './handlers';
import { decodePredict } from './validate';
import { Route, createRouter, errorKind } from './routes';
import { sendError } from './http-util';

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
  /**
   * Largest request body (bytes), parsed in memory: keep it to tens of MiB. Default: room for
   * maxBatchSize examples at 16 characters a number, at most 64 MiB.
   */
  readonly maxBodyBytes?: number;
  /** Most examples in one request and in one computed batch. Default 256. */
  readonly maxBatchSize?: number;
  /** Longest a request waits for others to fill its batch while a worker is free (ms). Default 0: a free worker takes what is queued at once; batches still form while the workers are busy. */
  readonly maxDelayMs?: number;
  /** Gather requests into batches. Default true; false computes each request alone. */
  readonly batching?: boolean;
  /** Most examples waiting for a worker; beyond, 503 + Retry-After. Default 4 full batches per worker. */
  readonly maxQueueExamples?: number;
  /** Per-request deadline, arrival to answer (ms); past it, 504. Default 10,000. */
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
  /** Monitor fed with every prediction (drift, latency) and every feedback. */
  readonly monitor?: Monitor;
  /** How long close() waits for in-flight requests (ms). Default 10,000. */
  readonly shutdownTimeoutMs?: number;
  /** A client must send its headers within this (ms). Default 10,000. */
  readonly headersTimeoutMs?: number;
  /** A client must send its whole request within this (ms). Default 30,000. */
  readonly requestTimeoutMs?: number;
}

/** A running server. */
export interface InferenceServer {
  readonly url: string;
  readonly port: number;
  readonly metrics: ServerMetrics;
  readonly monitor?: Monitor;
  /** What clients send and get (fixed for the server's life). */
  readonly contract: ServingContract;
  /** The version being served. */
  active(): { model: string; version: string };
  /** Versions served so far, oldest first (the rollback stack). */
  history(): string[];
  /** Loads, checks and warms up `version`, then swaps it in; in-flight batches finish on the old one. */
  swap(version: string): Promise<SwapResult>;
  /** Swaps back to the version served before the current one. */
  rollback(): Promise<SwapResult>;
  /** What each worker (or the main thread) holds: tensors, bytes, loaded versions. */
  executorStats(): Promise<ExecutorStats[]>;
  /** Stops accepting, lets in-flight requests finish, frees the models and the workers. */
  close(): Promise<void>;
}

function positive(name: string, v: number, integer = true): number {
  if (!(Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v)))) {
    throw new ConfigError(
      `startServer: ${name} a positive ${integer ? 'integer' : 'number'}, got ${describe(v)}. Leave it out for the default.`,
    );
  }
  return v;
}

/**
 * Starts the server. Endpoints: POST /v1/predict {input} | {inputs}; POST /v1/feedback {id, label};
 * GET /v1/models; GET /v1/monitor; POST /v1/admin/swap {version}; POST /v1/admin/rollback;
 * GET|HEAD /healthz, /readyz, /metrics.
 * @example const s = await startServer({registryDir, model: 'simplenet', admin: {token}}); ...; await s.close();
 */
export async function startServer(options: ServerOptions): Promise<InferenceServer> {
  const name = checkRegistryName('startServer', 'model name', options.model);
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.trim() === '') {
    throw new ConfigError(
      `startServer: a host to bind (e.g. '127.0.0.1'), got ${describe(host)}. An empty host would bind every interface; say '0.0.0.0' if that is meant.`,
    );
  }
  const maxBatchSize = positive('maxBatchSize', options.maxBatchSize ?? 256);
  const port = options.port ?? 0;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new ConfigError(`startServer: port an integer in [0, 65535], got ${describe(port)}. Use 0 for a free port.`);
  const workers = options.workers ?? os.availableParallelism();
  if (!(Number.isInteger(workers) && workers >= 0 && workers <= 64))
    throw new ConfigError(`startServer: workers an integer in [0, 64], got ${describe(workers)}. Use one per core.`);
  const runner = {
    ortThreads: positive('ortThreads', options.ortThreads ?? 1),
    maxModelBytes: positive('maxModelBytes', options.maxModelBytes ?? 512 * 1024 * 1024),
    warmUpBatchSize: Math.min(positive('warmUpBatchSize', options.warmUpBatchSize ?? 8), maxBatchSize),
  };
  const admin = new AdminGuard(options.admin, host);
  const firstVersion = options.version ?? latestVersion(options.registryDir, name);
  const executor: Executor =
    workers === 0 ? new InlineExecutor() : await WorkerPool.start({ workers, workerNice: options.workerNice });
  let manager: ModelManager;
  try {
    manager = await ModelManager.open(executor, { registryDir: options.registryDir, name, runner }, firstVersion);
  } catch (e) {
    await executor.close();
    throw e;
  }
  const contract = manager.contract;
  const metrics = createMetrics();
  const batcher = new Batcher(
    executor,
    manager,
    {
      model: name,
      maxBatchSize,
      maxDelayMs: options.maxDelayMs ?? 0,
      batching: options.batching ?? true,
      maxQueueExamples: options.maxQueueExamples ?? maxBatchSize * 4 * executor.slots,
      timeoutMs: options.timeoutMs ?? 10000,
    },
    (b) => metrics.batchExamples.observe(b.examples),
  );
  const log = new PredictionLog(10000);
  const parseOffloadBytes = options.parseOffloadBytes ?? 64 * 1024;
  metrics.modelVersion.set({ model: name, version: manager.version }, 1);
  let closing = false;
  let inflight = 0;

  const swapped =
    (kind: 'swap' | 'rollback') =>
    (r: SwapResult): SwapResult => {
      metrics.modelVersion.set({ model: name, version: r.previous }, 0);
      metrics.modelVersion.set({ model: name, version: r.active }, 1);
      metrics.swaps.inc({ model: name, kind });
      options.monitor?.drift.reset();
      return r;
    };
  const swap = (version: string) => manager.swap(version).then(swapped('swap'));
  const rollback = () => manager.rollback().then(swapped('rollback'));

  const route: Route = createRouter({
    name,
    registryDir: options.registryDir,
    contract,
    metrics,
    monitor: options.monitor,
    log,
    batcher,
    manager,
    // A large body is joined, parsed and validated in a worker when other requests are in flight
    // (they would wait behind the parse); alone, it is parsed here and saves two thread hops.
    decode: (chunks) =>
      chunks.reduce((n, c) => n + c.length, 0) >= parseOffloadBytes && inflight > 1
        ? executor.decode(chunks, contract.input.shape, maxBatchSize)
        : Promise.resolve(decodePredict(chunks, contract.input.shape, { maxBatch: maxBatchSize })),
    maxBodyBytes: positive(
      'maxBodyBytes',
      options.maxBodyBytes ?? Math.min(maxBatchSize * exampleSize(contract.input) * 16 + 65536, 64 * 1024 * 1024),
    ),
    swap,
    rollback,
    admin,
    ready: () => !closing,
    gauges: () => {
      metrics.queueExamples.set(batcher.queuedExamples);
      metrics.workers.set(executor.liveSlots());
    },
  });

  const server = http.createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? 10000,
      requestTimeout: options.requestTimeoutMs ?? 30000,
      connectionsCheckingInterval: 500,
    },
    (req, res) => {
      inflight++;
      metrics.inflight.inc();
      const t0 = performance.now();
      let closedEarly = false;
      res.on('close', () => {
        if (!res.writableEnded) closedEarly = true;
      });
      if (closing) res.setHeader('connection', 'close');
      route(req, res, t0)
        .catch((e: unknown) => {
          const status = e instanceof RequestError ? e.status : 500;
          if (!res.headersSent && !closedEarly) {
            sendError(
              res,
              status,
              e instanceof Error ? e.message : String(e),
              e instanceof RequestError ? e.headers : {},
              req.method === 'HEAD',
            );
          } else res.end();
          return status;
        })
        .then((code) => {
          const label = (req.url ?? '/').split('?')[0] as string;
          const status = closedEarly ? 499 : code;
          const r = route.label(label);
          if (status >= 400) metrics.errors.inc({ route: r, kind: errorKind(status) });
          metrics.requests.inc({ route: r, code: String(status) });
          metrics.latency.observe({ route: r, code: String(status) }, (performance.now() - t0) / 1000);
        })
        .finally(() => {
          inflight--;
          metrics.inflight.dec();
        });
    },
  );
  server.keepAliveTimeout = 5000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    metrics.errors.inc({ route: 'other', kind: 'framing' });
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    admin.listening((server.address() as AddressInfo).port);
  } catch (e) {
    server.close();
    await manager.close();
    await executor.close();
    throw e;
  }
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${shown}:${addr.port}`,
    port: addr.port,
    metrics,
    monitor: options.monitor,
    contract,
    active: () => ({ model: name, version: manager.version }),
    history: () => manager.history(),
    swap,
    rollback,
    executorStats: () => executor.stats(),
    close: () =>
      (closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const deadline = Date.now() + (options.shutdownTimeoutMs ?? 10000);
        while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        batcher.close();
        server.closeAllConnections();
        await stopped;
        await manager.close();
        await executor.close();
      })()),
  };
}
