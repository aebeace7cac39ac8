// The inference server: Node's http, a JSON predict API over a versioned model registry
// (TensorFlow.js and ONNX versions), inference in worker threads behind a dynamic batcher with a
// bounded queue and per-request deadlines, safe hot-swap and rollback behind an authenticated
// admin API, health and readiness, Prometheus metrics, optional monitoring (drift, feedback,
// latency) and graceful shutdown. Binds 127.0.0.1 unless told. The event loop moves bytes: it
// reads bodies, parses the small ones (large ones go to a worker as the socket's chunks), and
// writes the answers the workers encoded; it never computes, and the workers run at a lower
// priority (nice 10 on Linux), so /healthz and /metrics answer while the workers are busy.
//
// Requests: JSON, PNG/JPEG bodies and multipart image uploads (predict-input.ts), on this
// server's /v1 API and on the Open Inference Protocol's /v2 (kserve.ts); HTTP or HTTPS (tls).
// Budgets: each body is capped alone and all bodies in flight together (request-scope.ts); a
// refused body is never read (the connection closes after the answer); a request is admitted
// before its body is read (503 at once when the queue is full) and has a deadline from its
// arrival (504 on time, and a request still queued then is never computed).
//
// Statuses: 400 malformed, 401 no or wrong token (admin or inference), 403 admin off / a web page
// whose origin is not allowed / foreign Host, 404, 405 (with Allow), 409 a swap the serving
// contract refuses (or a rollback that lost a race), 413 body or image too large, 415 an unsupported
// content type (or admin body not JSON), 422 a swap to a broken model (corrupt, oversized, NaN
// outputs), 503 queue full, bodies over budget, or shutting down (with Retry-After: come back
// later), 504 no answer within timeoutMs (a gateway timeout, gRPC's DEADLINE_EXCEEDED; not 503
// because retrying the same request at once is not what helps). A client that goes away is
// counted as 'client_abort', never as a 5xx.
import * as http from 'http';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as os from 'os';
import { Monitor } from '../monitor/monitor';
import { AccessGuard } from './access';
import { AdminGuard } from './admin-auth';
import { Batcher } from './batcher';
import { ServingContract, exampleSize } from './contract';
import { Executor, InlineExecutor, decodeJob, pixelsJob } from './executor';
import { ImageDecoder } from './image-decode';
import { createMetrics, ServerMetrics } from './metrics';
import { ModelManager, SwapResult } from './model-manager';
import { DEFAULT_PREPROCESSING } from './pixels';
import { latestVersion, checkRegistryName } from './registry';
import { RequestError } from './request-error';
import { BodyBudget, RequestScope } from './request-scope';
import { ServerOptions, checkHost, checkPort, listenError, positive } from './server-options';
import { ExecutorStats } from './worker-protocol';
import { WorkerPool } from './worker-pool';
import { PredictionLog } from './handlers';
import { Route, createRouter, errorKind } from './routes';
import { lingerClose, mustClose, sendError } from './http-util';
import { ConfigError, describe } from '../errors';

export type { ServerOptions, TlsOptions } from './server-options';

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

/**
 * Starts the server. Endpoints: POST /v1/predict {input} | {inputs} | a PNG/JPEG body | a
 * multipart form of images (?top=k); POST /v1/feedback {id, label}; GET /v1/models;
 * GET /v1/monitor; POST /v1/admin/swap {version}; POST /v1/admin/rollback; GET|HEAD /healthz,
 * /readyz, /metrics; and the Open Inference Protocol: GET /v2, /v2/health/live|ready,
 * /v2/models/{name}[/ready]; POST /v2/models/{name}/infer.
 * @example const s = await startServer({registryDir, model: 'simplenet', admin: {token}}); ...; await s.close();
 */
export async function startServer(options: ServerOptions): Promise<InferenceServer> {
  const name = checkRegistryName('startServer', 'model name', options.model);
  const host = checkHost(options.host ?? '127.0.0.1');
  const maxBatchSize = positive('maxBatchSize', options.maxBatchSize ?? 256);
  const port = checkPort(options.port ?? 0);
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 10000, false);
  const maxImageBytes = positive('maxImageBytes', options.maxImageBytes ?? 8 * 1024 * 1024);
  const images = new ImageDecoder(options.images);
  positive('images.maxPixels', images.maxPixels);
  positive('images.timeoutMs', images.timeoutMs, false);
  const workers = options.workers ?? os.availableParallelism();
  if (!(Number.isInteger(workers) && workers >= 0 && workers <= 64))
    throw new ConfigError(`startServer: workers an integer in [0, 64], got ${describe(workers)}. Use one per core.`);
  const runner = {
    ortThreads: positive('ortThreads', options.ortThreads ?? 1),
    maxModelBytes: positive('maxModelBytes', options.maxModelBytes ?? 512 * 1024 * 1024),
    warmUpBatchSize: Math.min(positive('warmUpBatchSize', options.warmUpBatchSize ?? 8), maxBatchSize),
  };
  const admin = new AdminGuard(options.admin, host);
  const access = new AccessGuard(options.access, host);
  if (options.tls && !(options.tls.cert && options.tls.key))
    throw new ConfigError(
      `startServer: tls {cert, key} as PEM text, got ${describe(Object.keys(options.tls))}. Pass both the certificate and its key.`,
    );
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
      timeoutMs,
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

  const maxBodyBytes = positive(
    'maxBodyBytes',
    options.maxBodyBytes ?? Math.min(maxBatchSize * exampleSize(contract.input) * 16 + 65536, 64 * 1024 * 1024),
  );
  const budget = new BodyBudget(
    positive('maxBodiesBytes', options.maxBodiesBytes ?? Math.max(64 * 1024 * 1024, maxBodyBytes, maxImageBytes)),
  );
  const preprocessing = contract.preprocessing ?? DEFAULT_PREPROCESSING;
  const route: Route = createRouter({
    name,
    registryDir: options.registryDir,
    contract,
    metrics,
    monitor: options.monitor,
    log,
    batcher,
    manager,
    maxBatchSize,
    maxBodyBytes,
    maxImageBytes,
    images,
    timeoutMs,
    // A large body is joined, parsed and validated in a worker when other requests are in flight
    // (they would wait behind the parse); alone, it is parsed here and saves two thread hops.
    // Uploaded images are preprocessed the same way.
    decode: (kind, chunks) => {
      const job = { kind, chunks, shape: contract.input.shape, maxBatch: maxBatchSize };
      const large = chunks.reduce((n, c) => n + c.length, 0) >= parseOffloadBytes;
      return large && inflight > 1 ? executor.decode(job) : Promise.resolve(decodeJob(job));
    },
    pixels: (pixels, count, layout) => {
      const job = { pixels, count, layout, preprocessing };
      return inflight > 1 ? executor.pixels(job) : Promise.resolve(pixelsJob(job));
    },
    swap,
    rollback,
    admin,
    access,
    ready: () => !closing,
    gauges: () => {
      metrics.queueExamples.set(batcher.queuedExamples);
      metrics.workers.set(executor.liveSlots());
    },
  });

  const serverOptions: http.ServerOptions = {
    headersTimeout: options.headersTimeoutMs ?? 10000,
    requestTimeout: options.requestTimeoutMs ?? 30000,
    connectionsCheckingInterval: 500,
  };
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    inflight++;
    metrics.inflight.inc();
    const t0 = performance.now();
    let closedEarly = false;
    res.on('close', () => {
      if (!res.writableEnded) closedEarly = true;
    });
    if (closing) res.setHeader('connection', 'close');
    const scope = new RequestScope(budget, res);
    route(req, res, t0, scope)
      .catch((e: unknown) => {
        const status = e instanceof RequestError ? e.status : 500;
        if (!res.headersSent && !closedEarly) {
          const headers: Record<string, string> = { ...(e instanceof RequestError ? e.headers : {}) };
          // A large body the server did not read is never read: the connection closes after the answer.
          if (mustClose(req)) {
            headers.connection = 'close';
            lingerClose(req);
          }
          sendError(
            res,
            status,
            e instanceof Error ? e.message : String(e),
            headers,
            req.method === 'HEAD',
            (req.url ?? '').startsWith('/v2'),
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
  };
  const server = options.tls
    ? https.createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, handle)
    : http.createServer(serverOptions, handle);
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
      server.once('error', (e) => reject(listenError(e, host, port)));
      server.listen(port, host, () => resolve());
    });
    admin.listening((server.address() as AddressInfo).port);
    access.listening((server.address() as AddressInfo).port);
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
    url: `${options.tls ? 'https' : 'http'}://${shown}:${addr.port}`,
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
