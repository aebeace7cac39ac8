// The Open Inference Protocol (KServe v2 REST, as Triton, KServe, Seldon and OpenVINO Model Server
// speak it), beside this server's own /v1 API, so existing clients work unchanged:
//   GET  /v2                                        server metadata
//   GET  /v2/health/live, /v2/health/ready          probes (200, or 400 when not ready)
//   GET  /v2/models/{name}[/versions/{v}]           model metadata: inputs, outputs (name, datatype, shape)
//   GET  /v2/models/{name}[/versions/{v}]/ready     model readiness
//   POST /v2/models/{name}[/versions/{v}]/infer     inference (infer-request.ts), batched with /v1/predict
// Errors are the protocol's `{"error": "..."}` with an HTTP status. One input tensor, `input`
// (FP32, [-1, ...the model's input shape]), and one output, `probabilities` (FP32, [-1, ...]:
// softmax already applied when the model outputs logits), or with Triton's classification
// extension the top k classes as "probability:index[:name]" strings (BYTES).
import * as fs from 'fs';
import * as path from 'path';
import { V2_OUTPUT } from './answer';
import { V2_INPUT } from './infer-request';
import { RequestError } from './request-error';
import { sendJson } from './http-util';
import { Handler, RouteEntry, RouteRequest, RouterContext, inferenceRoute } from './inference-route';

const MODEL = '/v2/models/:name';

/** The package's version (its package.json above the source or compiled folder: lib/ or dist/lib/), for the server metadata. */
function packageVersion(): string {
  for (const up of [
    ['..', '..'],
    ['..', '..', '..'],
  ]) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, ...up, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'tfjs-compress') return typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      // not this folder
    }
  }
  return 'unknown';
}

/**
 * The route label and parameters of an Open Inference Protocol model path, or undefined.
 * @example matchKserve('/v2/models/cnn/versions/3/infer') // {label: '/v2/models/:name/infer', params: {name: 'cnn', version: '3'}}
 */
export function matchKserve(p: string): { label: string; params: Record<string, string> } | undefined {
  const m = /^\/v2\/models\/([^/]{1,128})(?:\/versions\/([^/]{1,128}))?(\/ready|\/infer)?$/.exec(p);
  if (!m) return undefined;
  try {
    const params: Record<string, string> = { name: decodeURIComponent(m[1] as string) };
    if (m[2] !== undefined) params.version = decodeURIComponent(m[2]);
    return { label: `${MODEL}${m[3] ?? ''}`, params };
  } catch {
    return undefined; // a malformed %-escape: no such model
  }
}

/** The Open Inference Protocol's routes of one server. */
export function kserveRoutes(ctx: RouterContext): Record<string, RouteEntry> {
  const GET = ['GET', 'HEAD'] as const;
  const version = packageVersion();
  /** Throws the 404 unless the path names the served model (and, when given, its active version). */
  const served = (r: RouteRequest): void => {
    const { name, version: v } = r.params;
    if (name !== ctx.name)
      throw new RequestError(`${r.path.slice(0, 200)}: the model '${ctx.name}', got an unknown model name.`, 404);
    if (v !== undefined && v !== ctx.manager.version)
      throw new RequestError(
        `${r.path.slice(0, 200)}: version '${ctx.manager.version}' (the one served), got another version. Leave the version out to use the one served.`,
        404,
      );
  };
  const probe =
    (ready: () => boolean, body: (ok: boolean) => unknown): Handler =>
    async (_req, res, r) => {
      const ok = ready();
      sendJson(res, ok ? 200 : 400, body(ok), {}, r.head);
      return ok ? 200 : 400;
    };
  const shape = (s: readonly number[]): number[] => [-1, ...s];
  return {
    '/v2': {
      methods: GET,
      kind: 'read',
      handle: async (_req, res, r) => {
        sendJson(res, 200, { name: 'tfjs-compress', version, extensions: ['classification'] }, {}, r.head);
        return 200;
      },
    },
    '/v2/health/live': {
      methods: GET,
      kind: 'health',
      handle: probe(
        () => true,
        (live) => ({ live }),
      ),
    },
    '/v2/health/ready': { methods: GET, kind: 'health', handle: probe(ctx.ready, (ready) => ({ ready })) },
    [MODEL]: {
      methods: GET,
      kind: 'read',
      handle: async (_req, res, r) => {
        served(r);
        const c = ctx.contract;
        sendJson(
          res,
          200,
          {
            name: ctx.name,
            versions: [ctx.manager.version],
            platform: ctx.manager.format === 'onnx' ? 'onnxruntime_onnx' : 'tensorflowjs',
            inputs: [{ name: V2_INPUT, datatype: 'FP32', shape: shape(c.input.shape) }],
            outputs: [{ name: V2_OUTPUT, datatype: 'FP32', shape: shape(c.output.shape) }],
          },
          {},
          r.head,
        );
        return 200;
      },
    },
    [`${MODEL}/ready`]: {
      methods: GET,
      kind: 'health',
      handle: async (req, res, r) => {
        served(r);
        return probe(ctx.ready, (ready) => ({ name: ctx.name, ready }))(req, res, r);
      },
    },
    [`${MODEL}/infer`]: {
      methods: ['POST'],
      kind: 'inference',
      handle: async (req, res, r) => {
        served(r);
        return inferenceRoute(ctx, req, res, r, 'infer');
      },
    },
  };
}
