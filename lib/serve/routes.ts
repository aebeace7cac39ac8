// The server's routes: which methods each path takes (HEAD wherever GET is), who may call it
// (access.ts: health probes open; reads and inference behind the Origin, Host and token checks;
// admin behind its own guard), what each answers, and how a refused swap becomes 409 (the
// serving contract, or a lost race between two rollbacks) or 422 (a broken model), never 500.
// The Open Inference Protocol's routes (kserve.ts) share the inference path with /v1/predict.
import * as http from 'http';
import { CompressionError, ConfigError } from '../errors';
import { ContractError, exampleSize } from './contract';
import { handleFeedback } from './handlers';
import { NothingToRollBackError, SwapResult } from './model-manager';
import { listVersions } from './registry';
import { RequestError } from './request-error';
import type { RequestScope } from './request-scope';
import { readBody, sendJson } from './http-util';
import { parseJson } from './validate';
import { kserveRoutes, matchKserve } from './kserve';
import { Handler, RouteEntry, RouteRequest, RouterContext, inferenceRoute } from './inference-route';

export type { RouterContext } from './inference-route';

/** Handles one request and resolves with the status sent; `label` names a path for metrics. */
export type Route = ((
  req: http.IncomingMessage,
  res: http.ServerResponse,
  t0: number,
  scope: RequestScope,
) => Promise<number>) & {
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

/** A refused swap as an HTTP error: 409 for the contract or a lost rollback race, 400 for a bad name, 422 for a broken model. */
function swapRefusal(e: unknown): RequestError {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof ContractError || e instanceof NothingToRollBackError) return new RequestError(message, 409);
  if (e instanceof ConfigError) return new RequestError(message, 400);
  return new RequestError(
    e instanceof CompressionError
      ? message
      : `swap: a model that loads and runs, got "${message}". Publish the version again.`,
    422,
  );
}

/** `?top=k` of a predict URL: how many most likely classes each prediction lists. */
function topOf(url: string, classes: number): number | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const raw = new URLSearchParams(url.slice(q + 1)).get('top');
  if (raw === null) return undefined;
  const k = /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!(k >= 0 && k <= 100))
    throw new RequestError(
      `/v1/predict: ?top= an integer in [0, 100], got ${JSON.stringify(raw.slice(0, 20))}. Ask e.g. ?top=5.`,
    );
  return Math.min(k, classes);
}

/** The routes of one server. */
export function createRouter(ctx: RouterContext): Route {
  const json = async (req: http.IncomingMessage, r: RouteRequest): Promise<unknown> =>
    parseJson(await readBody(req, ctx.maxBodyBytes, r.path, { scope: r.scope }), r.path);
  const get =
    (body: () => unknown | Promise<unknown>): Handler =>
    async (_req, res, r) => {
      sendJson(res, 200, await body(), {}, r.head);
      return 200;
    };
  const adminAction =
    (path: string, act: (body: unknown) => Promise<SwapResult>): Handler =>
    async (req, res, r) => {
      ctx.admin.check(req, path);
      const body = await json(req, r);
      let result: SwapResult;
      try {
        result = await act(body);
      } catch (e) {
        throw e instanceof RequestError ? e : swapRefusal(e);
      }
      sendJson(res, 200, result);
      return 200;
    };
  const GET = ['GET', 'HEAD'] as const;

  const table: Record<string, RouteEntry> = {
    '/healthz': { methods: GET, kind: 'health', handle: get(() => ({ status: 'ok' })) },
    '/readyz': {
      methods: GET,
      kind: 'health',
      handle: async (_req, res, r) => {
        const ready = ctx.ready();
        sendJson(
          res,
          ready ? 200 : 503,
          { ready, model: ctx.name, version: ctx.manager.version },
          ready ? {} : { 'retry-after': '1' },
          r.head,
        );
        return ready ? 200 : 503;
      },
    },
    '/metrics': {
      methods: GET,
      kind: 'read',
      handle: async (_req, res, r) => {
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
        res.end(r.head ? undefined : text);
        return 200;
      },
    },
    '/v1/models': {
      methods: GET,
      kind: 'read',
      handle: get(() => ({
        model: ctx.name,
        version: ctx.manager.version,
        versions: listVersions(ctx.registryDir, ctx.name),
        history: ctx.manager.history(),
        contract: ctx.contract,
      })),
    },
    '/v1/monitor': {
      methods: GET,
      kind: 'read',
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
      kind: 'inference',
      handle: (req, res, r) =>
        inferenceRoute(ctx, req, res, r, 'predict', { top: topOf(req.url ?? '', exampleSize(ctx.contract.output)) }),
    },
    '/v1/feedback': {
      methods: ['POST'],
      kind: 'inference',
      handle: async (req, res, r) => {
        sendJson(res, 200, handleFeedback(await json(req, r), ctx.log, ctx.monitor));
        return 200;
      },
    },
    '/v1/admin/swap': {
      methods: ['POST'],
      kind: 'admin',
      handle: adminAction('/v1/admin/swap', async (body) => {
        const version = (body as { version?: unknown } | null)?.version;
        if (typeof version !== 'string')
          throw new RequestError(
            `/v1/admin/swap: {"version": "<a version string>"}, got ${version === undefined ? 'no version' : `a version of type ${version === null ? 'null' : typeof version}`}. Send the version as a JSON string.`,
            400,
          );
        const versions = listVersions(ctx.registryDir, ctx.name);
        if (!versions.includes(version)) {
          throw new RequestError(
            `/v1/admin/swap: {"version": one of [${versions.slice(-20).join(', ')}]}, got an unknown version.`,
            404,
          );
        }
        return ctx.swap(version);
      }),
    },
    '/v1/admin/rollback': {
      methods: ['POST'],
      kind: 'admin',
      handle: adminAction('/v1/admin/rollback', async () => {
        if (ctx.manager.history().length < 2)
          throw new RequestError(`/v1/admin/rollback: a version served before ${ctx.manager.version}, got none.`, 409);
        return ctx.rollback();
      }),
    },
    ...kserveRoutes(ctx),
  };

  const find = (path: string): { entry: RouteEntry; label: string; params: Record<string, string> } | undefined => {
    const exact = Object.prototype.hasOwnProperty.call(table, path) ? table[path] : undefined;
    if (exact) return { entry: exact, label: path, params: {} };
    const m = matchKserve(path);
    const entry = m && table[m.label];
    return m && entry ? { entry, label: m.label, params: m.params } : undefined;
  };

  const route = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    t0: number,
    scope: RequestScope,
  ): Promise<number> => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const method = req.method ?? 'GET';
    const found = find(path);
    if (!found)
      throw new RequestError(
        `${path.slice(0, 100)}: one of ${Object.keys(table)
          .filter((p) => !p.includes(':'))
          .join(', ')}, or /v2/models/${ctx.name}[/versions/<version>][/ready|/infer], got an unknown path.`,
        404,
      );
    const { entry } = found;
    if (method === 'OPTIONS' && req.headers.origin !== undefined && entry.kind !== 'admin')
      return ctx.access.preflight(req, res, path);
    if (!entry.methods.includes(method)) {
      throw new RequestError(`${path}: method ${entry.methods.join(' or ')}, got ${method.slice(0, 20)}.`, 405, {
        allow: entry.methods.join(', '),
      });
    }
    for (const [k, v] of Object.entries(ctx.access.corsHeaders(req))) res.setHeader(k, v);
    ctx.access.check(req, path, entry.kind);
    return entry.handle(req, res, { head: method === 'HEAD', t0, scope, path, params: found.params });
  };
  return Object.assign(route, { label: (path: string) => find(path)?.label ?? 'other' });
}
