// Prometheus metrics of the inference server, through prom-client, in a Registry of its own (so
// two servers in one process, or a host application's metrics, never collide).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's metrics. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Request latency in seconds, by route and status code. */
  readonly latency: Histogram<'route' | 'code'>;
  readonly requests: Counter<'route' | 'code'>;
  /**
   * Failed requests by route and kind: 'validation', 'too_large', 'not_found', 'method',
   * 'unauthorized', 'forbidden', 'media_type', 'conflict' (a swap refused by the contract),
   * 'broken_model' (a swap refused: corrupt, oversized, non-finite), 'queue_full', 'timeout',
   * 'client_abort' (the client went away: not a server failure), 'framing' (unparseable HTTP),
   * 'internal'.
   */
  readonly errors: Counter<'route' | 'kind'>;
  /** Where a predict request's time goes, in seconds: read, parse, queue, compute, encode (the answer's JSON, in the worker), transfer, respond. */
  readonly stages: Histogram<'stage'>;
  /** Examples per computed batch. */
  readonly batchExamples: Histogram;
  /** Examples waiting in the batcher's queue. */
  readonly queueExamples: Gauge;
  /** Live inference workers (executor slots). */
  readonly workers: Gauge;
  /** Examples predicted. */
  readonly predictions: Counter<'model' | 'version'>;
  /** 1 for the version being served, 0 for versions served before. */
  readonly modelVersion: Gauge<'model' | 'version'>;
  readonly swaps: Counter<'model' | 'kind'>;
  /** Latest drift scores (PSI) on inputs and predictions. */
  readonly drift: Gauge<'kind'>;
  /** Accuracy over the labelled feedback window. */
  readonly feedbackAccuracy: Gauge;
  readonly inflight: Gauge;
}

/** Latency buckets (s): 0.25 ms .. 10 s, fine where a small model answers, wide enough for timeouts. */
export const LATENCY_BUCKETS = [
  0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Creates the metrics in a new Registry, names prefixed with `prefix` (default `tfc_`), with
 * prom-client's process metrics beside them (CPU, memory, GC, and the event loop's delay since
 * the last scrape: `tfc_nodejs_eventloop_lag_p99_seconds` shows whether the loop stays free).
 */
export function createMetrics(prefix = 'tfc_'): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: 10 });
  return {
    registry,
    latency: new Histogram({
      name: `${prefix}request_duration_seconds`,
      help: 'Request latency in seconds.',
      labelNames: ['route', 'code'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    requests: new Counter({
      name: `${prefix}requests_total`,
      help: 'Requests answered.',
      labelNames: ['route', 'code'],
      registers,
    }),
    errors: new Counter({
      name: `${prefix}errors_total`,
      help: 'Requests answered with an error.',
      labelNames: ['route', 'kind'],
      registers,
    }),
    predictions: new Counter({
      name: `${prefix}predictions_total`,
      help: 'Examples predicted.',
      labelNames: ['model', 'version'],
      registers,
    }),
    modelVersion: new Gauge({
      name: `${prefix}model_version_info`,
      help: '1 for the model version being served.',
      labelNames: ['model', 'version'],
      registers,
    }),
    swaps: new Counter({
      name: `${prefix}model_swaps_total`,
      help: 'Hot-swaps and rollbacks.',
      labelNames: ['model', 'kind'],
      registers,
    }),
    drift: new Gauge({
      name: `${prefix}drift_score`,
      help: 'Population stability index of the recent window vs the reference.',
      labelNames: ['kind'],
      registers,
    }),
    feedbackAccuracy: new Gauge({
      name: `${prefix}feedback_accuracy`,
      help: 'Accuracy over the labelled feedback window.',
      registers,
    }),
    inflight: new Gauge({ name: `${prefix}inflight_requests`, help: 'Requests being handled.', registers }),
    stages: new Histogram({
      name: `${prefix}stage_duration_seconds`,
      help: 'Time of each stage of a predict request.',
      labelNames: ['stage'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    batchExamples: new Histogram({
      name: `${prefix}batch_examples`,
      help: 'Examples per computed batch.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    }),
    queueExamples: new Gauge({
      name: `${prefix}queue_examples`,
      help: 'Examples waiting in the batch queue.',
      registers,
    }),
    workers: new Gauge({ name: `${prefix}workers`, help: 'Live inference workers.', registers }),
  };
}

/** Reads one sample value from the Prometheus text format (for tests and notebooks). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      got[kv[1] as string] = kv[2] as string;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}
