// The server's routes: which methods each path takes (HEAD wherever GET is), what each answers,
// and how a refused swap becomes 409 (the serving contract) or 422 (a broken model), never 500.
import * as http from 'http';
import { CompressionError, ConfigError } from '../errors';
import { Monitor } from '../monitor/monitor';
import { AdminGuard } from './admin-auth';
import { ContractError, ServingContract } from './contract';
import { PredictContext, handleFeedback, handlePredict } from './handlers';
import { ServerMetrics } from './metrics';
import { ModelManager, SwapResult } from './model-manager';
import { listVersions } from './registry';
import { RequestError } from './request-error';
import { readBody, readBodyChunks, sendJson, sendJsonBytes } from './http-util';
import { parseJson } from './validate';

/** What the routes need from the server. */
export interface RouterContext extends PredictContext {
  readonly registryDir: string;
  readonly contract: ServingContract;
  readonly metrics: ServerMetrics;
  readonly monitor?: Monitor;
  readonly manager: ModelManager;
  readonly maxBodyBytes: number;
  readonly admin: AdminGuard;
  swap(version: string): Promise<SwapResult>;
  rollback(): Promise<SwapResult>;
  ready(): boolean;
  /** Refreshes the gauges read by /metrics. */
  gauges(): void;
}

/** Handles one request and resolves with the status sent; `label` names a path for metrics. */
export type Route = ((req: http.IncomingMessage, res: http.ServerResponse, t0: number) => Promise<number>) & {
  label(path: string): string;
};

const KINDS: Record<number, string> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method',
  409: 'conflict',
  413: 'too_large',
  415: 'media_type',
  422: 'broken_model',
  499: 'client_abort',
  503: 'queue_full',
  504: 'timeout',
};

/** The metrics `kind` of an error status. */
export function errorKind(status: number): string {
  return KINDS[status] ?? (status < 500 ? 'validation' : 'internal');
}

/** A refused swap as an HTTP error: 409 for the contract, 400 for a bad name, 422 for a broken model. */
function swapRefusal(e: unknown): RequestError {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof ContractError) return new RequestError(message, 409);
  if (e instanceof ConfigError) return new RequestError(message, 400);
  return new RequestError(
    e instanceof CompressionError
      ? message
      : `swap: a model that loads and runs, got "${message}". Publish the version again.`,
    422,
  );
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, head: boolean, t0: number) => Promise<number>;

/** The routes of one server. */
export function createRouter(ctx: RouterContext): Route {
  const json = async (req: http.IncomingMessage, path: string): Promise<unknown> =>
    parseJson(await readBody(req, ctx.maxBodyBytes, path), path);
  const stage = (name: string, ms: number): void => ctx.metrics.stages.observe({ stage: name }, ms / 1000);
  const get =
    (body: () => unknown | Promise<unknown>): Handler =>
    async (_req, res, head) => {
      sendJson(res, 200, await body(), {}, head);
      return 200;
    };
  const adminAction =
    (path: string, act: (body: unknown) => Promise<SwapResult>): Handler =>
    async (req, res) => {
      ctx.admin.check(req, path);
      const body = await json(req, path);
      let r: SwapResult;
      try {
        r = await act(body);
      } catch (e) {
        throw e instanceof RequestError ? e : swapRefusal(e);
      }
      sendJson(res, 200, r);
      return 200;
    };

  const table: Record<string, { methods: readonly string[]; handle: Handler }> = {
    '/healthz': { methods: ['GET', 'HEAD'], handle: get(() => ({ status: 'ok' })) },
    '/readyz': {
      methods: ['GET', 'HEAD'],
      handle: async (_req, res, head) => {
        const ready = ctx.ready();
        sendJson(
          res,
          ready ? 200 : 503,
          { ready, model: ctx.name, version: ctx.manager.version },
          ready ? {} : { 'retry-after': '1' },
          head,
        );
        return ready ? 200 : 503;
      },
    },
    '/metrics': {
      methods: ['GET', 'HEAD'],
      handle: async (_req, res, head) => {
        ctx.gauges();
        if (ctx.monitor) {
          const d = ctx.monitor.drift.report();
          ctx.metrics.drift.set({ kind: 'input' }, d.inputPsi);
          ctx.metrics.drift.set({ kind: 'prediction' }, d.predictionPsi);
          const f = ctx.monitor.feedback.report();
          if (f.count > 0) ctx.metrics.feedbackAccuracy.set(f.accuracy);
        }
        const text = await ctx.metrics.registry.metrics();
        res.writeHead(200, {
          'content-type': ctx.metrics.registry.contentType,
          'content-length': Buffer.byteLength(text),
        });
        res.end(head ? undefined : text);
        return 200;
      },
    },
    '/v1/models': {
      methods: ['GET', 'HEAD'],
      handle: get(() => ({
        model: ctx.name,
        version: ctx.manager.version,
        versions: listVersions(ctx.registryDir, ctx.name),
        history: ctx.manager.history(),
        contract: ctx.contract,
      })),
    },
    '/v1/monitor': {
      methods: ['GET', 'HEAD'],
      handle: get(() => {
        if (!ctx.monitor)
          throw new RequestError(
            `/v1/monitor: a server started with a monitor, got none. Pass options.monitor to startServer.`,
            404,
          );
        return ctx.monitor.report();
      }),
    },
    '/v1/predict': {
      methods: ['POST'],
      handle: async (req, res, _head, t0) => {
        const chunks = await readBodyChunks(req, ctx.maxBodyBytes, '/v1/predict');
        const t1 = performance.now();
        const input = await ctx.decode(chunks);
        const t2 = performance.now();
        const out = await handlePredict(ctx, input);
        const t3 = performance.now();
        sendJsonBytes(res, 200, out.body);
        const a = out.answer;
        stage('read', t1 - t0);
        stage('parse', t2 - t1);
        stage('queue', a.queueMs);
        stage('compute', a.computeMs);
        stage('encode', a.encodeMs);
        stage('transfer', Math.max(0, a.transferMs));
        stage('respond', performance.now() - t3);
        ctx.monitor?.latency.record(performance.now() - t0);
        ctx.metrics.predictions.inc({ model: ctx.name, version: a.version }, out.count);
        return 200;
      },
    },
    '/v1/feedback': {
      methods: ['POST'],
      handle: async (req, res) => {
        sendJson(res, 200, handleFeedback(await json(req, '/v1/feedback'), ctx.log, ctx.monitor));
        return 200;
      },
    },
    '/v1/admin/swap': {
      methods: ['POST'],
      handle: adminAction('/v1/admin/swap', async (body) => {
        const version = (body as { version?: unknown } | null)?.version;
        const versions = listVersions(ctx.registryDir, ctx.name);
        if (typeof version !== 'string' || !versions.includes(version)) {
          throw new RequestError(
            `/v1/admin/swap: {"version": one of [${versions.slice(-20).join(', ')}]}, got ${typeof version === 'string' ? 'an unknown version' : 'no version string'}.`,
            404,
          );
        }
        return ctx.swap(version);
      }),
    },
    '/v1/admin/rollback': {
      methods: ['POST'],
      handle: adminAction('/v1/admin/rollback', async () => {
        if (ctx.manager.history().length < 2)
          throw new RequestError(`/v1/admin/rollback: a version served before ${ctx.manager.version}, got none.`, 409);
        return ctx.rollback();
      }),
    },
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse, t0: number): Promise<number> => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const method = req.method ?? 'GET';
    const r = table[path];
    if (!r)
      throw new RequestError(
        `${path.slice(0, 100)}: one of ${Object.keys(table).join(', ')}, got an unknown path.`,
        404,
      );
    if (!r.methods.includes(method)) {
      throw new RequestError(`${path}: method ${r.methods.join(' or ')}, got ${method.slice(0, 20)}.`, 405, {
        allow: r.methods.join(', '),
      });
    }
    return r.handle(req, res, method === 'HEAD', t0);
  };
  return Object.assign(route, { label: (path: string) => (table[path] ? path : 'other') });
}
