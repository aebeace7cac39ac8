// The inference path that /v1/predict and the Open Inference Protocol's infer share, and the types
// of the routes: what a route needs from the server, how it sees one request.
import * as http from 'http';
import { Monitor } from '../monitor/monitor';
import { AccessGuard, RouteKind } from './access';
import { AdminGuard } from './admin-auth';
import type { AnswerPart } from './answer';
import { ServingContract } from './contract';
import type { BodyKind } from './decode';
import { PredictContext, handlePredict } from './handlers';
import { sendJsonBytes } from './http-util';
import { ServerMetrics } from './metrics';
import { ModelManager, SwapResult } from './model-manager';
import { InputContext, readPredictInput } from './predict-input';
import { RequestError } from './request-error';
import type { RequestScope } from './request-scope';

/** What the routes need from the server. */
export interface RouterContext extends PredictContext, InputContext {
  readonly registryDir: string;
  readonly contract: ServingContract;
  readonly metrics: ServerMetrics;
  readonly monitor?: Monitor;
  readonly manager: ModelManager;
  readonly admin: AdminGuard;
  readonly access: AccessGuard;
  /** Per-request deadline, arrival to answer (ms). */
  readonly timeoutMs: number;
  swap(version: string): Promise<SwapResult>;
  rollback(): Promise<SwapResult>;
  ready(): boolean;
  /** Refreshes the gauges read by /metrics. */
  gauges(): void;
}

/** One request as a handler sees it. */
export interface RouteRequest {
  readonly head: boolean;
  /** Arrival time (performance.now()). */
  readonly t0: number;
  readonly scope: RequestScope;
  readonly path: string;
  /** Path parameters (the Open Inference Protocol's model name and version). */
  readonly params: Readonly<Record<string, string>>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, r: RouteRequest) => Promise<number>;

/** A route: its methods, who may call it, its handler. */
export interface RouteEntry {
  readonly methods: readonly string[];
  readonly kind: RouteKind;
  readonly handle: Handler;
}

/**
 * The inference path of /v1/predict and the Open Inference Protocol's infer: admission (503 at
 * once when the queue is full, before the body is read), the deadline from arrival, the body read
 * and validated, the batch computed, the worker's bytes sent.
 */
export async function inferenceRoute(
  ctx: RouterContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  r: RouteRequest,
  kind: BodyKind,
  answer: Pick<AnswerPart, 'top'> = {},
): Promise<number> {
  const admission = ctx.batcher.admit();
  const deadline = r.t0 + ctx.timeoutMs;
  r.scope.startDeadline(
    deadline - performance.now(),
    () =>
      new RequestError(
        `${r.path}: an answer within ${ctx.timeoutMs} ms, got none. The server is overloaded: retry later or send smaller batches.`,
        504,
      ),
  );
  let read;
  try {
    read = await readPredictInput(ctx, req, r.path, kind, r.scope);
  } finally {
    admission.release();
  }
  const { input } = read;
  const v2 = input.v2;
  const out = await handlePredict(ctx, input, {
    signal: r.scope.signal,
    deadline,
    answer: v2 ? { v2 } : answer,
  });
  const t3 = performance.now();
  sendJsonBytes(res, 200, out.body);
  const stage = (name: string, ms: number): void => ctx.metrics.stages.observe({ stage: name }, ms / 1000);
  const a = out.answer;
  stage('read', read.readMs);
  stage('parse', read.parseMs);
  stage('queue', a.queueMs);
  stage('compute', a.computeMs);
  stage('encode', a.encodeMs);
  stage('transfer', Math.max(0, a.transferMs));
  stage('respond', performance.now() - t3);
  ctx.monitor?.latency.record(performance.now() - r.t0);
  ctx.metrics.predictions.inc({ model: ctx.name, version: a.version }, out.count);
  return 200;
}
