// The inference server: Node's http, a JSON predict API over a versioned model registry, atomic
// hot-swap and rollback, health and readiness, Prometheus metrics, request validation, optional
// monitoring (drift, feedback, latency) and graceful shutdown. Binds 127.0.0.1 unless told.
import * as http from 'http';
import { AddressInfo } from 'net';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { Monitor } from '../monitor/monitor';
import { createMetrics, ServerMetrics } from './metrics';
import { ModelSlot } from './model-slot';
import { latestVersion, listVersions, loadVersion, checkRegistryName } from './registry';
import { RequestError } from './validate';
import { handleFeedback, handlePredict, PredictionLog } from './handlers';
import { parseJson, readBody, sendJson } from './http-util';

/** Options for {@link startServer}. */
export interface ServerOptions {
  readonly registryDir: string;
  /** Model name in the registry. */
  readonly model: string;
  /** Version to serve first. Default: the latest. */
  readonly version?: string;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Default '127.0.0.1'. */
  readonly host?: string;
  /** Largest request body (bytes). Default 1 MiB (a 256 x 784 batch of JSON floats fits). */
  readonly maxBodyBytes?: number;
  /** Largest batch per request. Default 256. */
  readonly maxBatch?: number;
  /** Monitor fed with every prediction (drift, latency) and every feedback. */
  readonly monitor?: Monitor;
  /** How long close() waits for in-flight requests (ms). Default 10,000. */
  readonly shutdownTimeoutMs?: number;
}

/** A running server. */
export interface InferenceServer {
  readonly url: string;
  readonly port: number;
  readonly metrics: ServerMetrics;
  readonly monitor?: Monitor;
  /** The version being served. */
  active(): { model: string; version: string };
  /** Versions served so far, oldest first (the rollback stack). */
  history(): string[];
  /** Loads `version`, warms it up, and swaps it in atomically; in-flight requests finish on the old one. */
  swap(version: string): Promise<{ previous: string; active: string }>;
  /** Swaps back to the version served before the current one. */
  rollback(): Promise<{ previous: string; active: string }>;
  /** Stops accepting, lets in-flight requests finish, frees the models. */
  close(): Promise<void>;
}

const ROUTES = new Set(['/v1/predict', '/v1/feedback', '/v1/models', '/v1/monitor', '/v1/admin/swap', '/v1/admin/rollback', '/healthz', '/readyz', '/metrics']);

async function loadSlot(registryDir: string, name: string, version: string): Promise<ModelSlot> {
  const model = await loadVersion(registryDir, name, version);
  const slot = new ModelSlot(model, name, version);
  tf.tidy(() => { (model.predict(tf.zeros([1, ...slot.inputShape])) as tf.Tensor).dataSync(); }); // warm-up
  return slot;
}

/**
 * Starts the server. Endpoints: POST /v1/predict {input} | {inputs}; POST /v1/feedback {id, label};
 * GET /v1/models; GET /v1/monitor; POST /v1/admin/swap {version}; POST /v1/admin/rollback;
 * GET /healthz; GET /readyz; GET /metrics.
 * @example const s = await startServer({registryDir, model: 'simplenet', port: 0}); ...; await s.close();
 */
export async function startServer(options: ServerOptions): Promise<InferenceServer> {
  const name = checkRegistryName('startServer', 'model name', options.model);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxBatch = options.maxBatch ?? 256;
  if (!(Number.isInteger(maxBatch) && maxBatch > 0) || !(Number.isInteger(maxBodyBytes) && maxBodyBytes > 0)) {
    throw new ConfigError(`startServer: positive integer maxBatch and maxBodyBytes, got ${describe(maxBatch)} and ${describe(maxBodyBytes)}. Use e.g. 256 and 1048576.`);
  }
  const metrics = createMetrics();
  const monitor = options.monitor;
  const log = new PredictionLog(10000);
  let slot = await loadSlot(options.registryDir, name, options.version ?? latestVersion(options.registryDir, name));
  const served: string[] = [slot.version];
  metrics.modelVersion.set({ model: name, version: slot.version }, 1);
  let closing = false;
  let inflight = 0;
  let swapping: Promise<unknown> = Promise.resolve();

  const install = async (version: string, kind: 'swap' | 'rollback'): Promise<{ previous: string; active: string }> => {
    const next = await loadSlot(options.registryDir, name, version);
    const old = slot;
    slot = next; // the atomic step: later requests lease the new slot
    old.retire(); // disposed once its last in-flight request releases it
    metrics.modelVersion.set({ model: name, version: old.version }, 0);
    metrics.modelVersion.set({ model: name, version: next.version }, 1);
    metrics.swaps.inc({ model: name, kind });
    monitor?.drift.reset();
    return { previous: old.version, active: next.version };
  };
  const serialize = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = swapping.then(fn, fn);
    swapping = p.catch(() => undefined);
    return p;
  };
  const swap = (version: string) => serialize(async () => {
    checkRegistryName('swap', 'version', version);
    const r = await install(version, 'swap');
    served.push(version);
    return r;
  });
  const rollback = () => serialize(async () => {
    const prev = served[served.length - 2];
    if (prev === undefined) throw new ConfigError(`rollback: a version served before ${slot.version}, got none. Swap to another version first.`);
    const r = await install(prev, 'rollback');
    served.pop();
    return r;
  });
  const updateGauges = (): void => {
    if (!monitor) return;
    const d = monitor.drift.report();
    metrics.drift.set({ kind: 'input' }, d.inputPsi);
    metrics.drift.set({ kind: 'prediction' }, d.predictionPsi);
    const f = monitor.feedback.report();
    if (f.count > 0) metrics.feedbackAccuracy.set(f.accuracy);
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<number> => {
    const method = req.method ?? 'GET';
    const expect = (m: string): void => {
      if (method !== m) throw new RequestError(`${path}: method ${m}, got ${method}.`, 405);
    };
    const json = async (): Promise<unknown> => parseJson(await readBody(req, maxBodyBytes), path);
    switch (path) {
      case '/healthz': expect('GET'); sendJson(res, 200, { status: 'ok' }); return 200;
      case '/readyz': {
        expect('GET');
        const ready = !closing && !slot.isDisposed;
        sendJson(res, ready ? 200 : 503, { ready, model: name, version: slot.version });
        return ready ? 200 : 503;
      }
      case '/metrics': {
        expect('GET');
        updateGauges();
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
        return 200;
      }
      case '/v1/models': expect('GET'); sendJson(res, 200, { model: name, version: slot.version, versions: listVersions(options.registryDir, name), history: [...served] }); return 200;
      case '/v1/monitor': {
        expect('GET');
        if (!monitor) throw new RequestError(`/v1/monitor: a server started with a monitor, got none. Pass options.monitor to startServer.`, 404);
        updateGauges();
        sendJson(res, 200, monitor.report());
        return 200;
      }
      case '/v1/predict': {
        expect('POST');
        const body = await json();
        const leased = slot;
        leased.acquire();
        try {
          const t0 = performance.now();
          const out = await handlePredict(leased, body, maxBatch, log, monitor);
          monitor?.latency.record(performance.now() - t0);
          metrics.predictions.inc({ model: name, version: leased.version }, out.count);
          sendJson(res, 200, out.body);
        } finally {
          leased.release();
        }
        return 200;
      }
      case '/v1/feedback': expect('POST'); sendJson(res, 200, handleFeedback(await json(), log, monitor)); return 200;
      case '/v1/admin/swap': {
        expect('POST');
        const body = await json();
        const version = (body as { version?: unknown } | null)?.version;
        if (typeof version !== 'string' || !listVersions(options.registryDir, name).includes(version)) {
          throw new RequestError(`/v1/admin/swap: {"version": one of [${listVersions(options.registryDir, name).join(', ')}]}, got ${describe(version)}.`);
        }
        sendJson(res, 200, await swap(version));
        return 200;
      }
      case '/v1/admin/rollback': {
        expect('POST');
        if (served.length < 2) throw new RequestError(`/v1/admin/rollback: a version served before ${slot.version}, got none.`, 409);
        sendJson(res, 200, await rollback());
        return 200;
      }
      default: throw new RequestError(`${path}: one of ${[...ROUTES].join(', ')}, got an unknown path.`, 404);
    }
  };

  const server = http.createServer((req, res) => {
    inflight++;
    metrics.inflight.inc();
    const t0 = performance.now();
    const path = (req.url ?? '/').split('?')[0] as string;
    const label = ROUTES.has(path) ? path : 'other';
    if (closing) res.setHeader('connection', 'close');
    route(req, res, path).catch((e: unknown) => {
      const status = e instanceof RequestError ? e.status : 500;
      const kind = status === 413 ? 'too_large' : status === 404 ? 'not_found' : status === 405 ? 'method' : status < 500 ? 'validation' : 'internal';
      metrics.errors.inc({ route: label, kind });
      if (!res.headersSent) sendJson(res, status, { error: e instanceof Error ? e.message : String(e), status });
      else res.end();
      return status;
    }).then((code) => {
      metrics.requests.inc({ route: label, code: String(code) });
      metrics.latency.observe({ route: label, code: String(code) }, (performance.now() - t0) / 1000);
    }).finally(() => {
      inflight--;
      metrics.inflight.dec();
    });
  });
  server.keepAliveTimeout = 5000;
  server.requestTimeout = 30000; // a client that never finishes its body is cut off
  server.headersTimeout = 10000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    metrics,
    monitor,
    active: () => ({ model: name, version: slot.version }),
    history: () => [...served],
    swap,
    rollback,
    close: () => (closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + (options.shutdownTimeoutMs ?? 10000);
      while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      server.closeAllConnections();
      await stopped;
      await swapping;
      slot.retire();
    })()),
  };
}
