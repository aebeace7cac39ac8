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
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: 10 });
  // Every metric: its name under the prefix, in this registry.
  const named = <T extends object>(name: string, help: string, more: T) => ({
    name: `${prefix}${name}`,
    help,
    registers: [registry],
    ...more,
  });
  return {
    registry,
    latency: new Histogram(
      named('request_duration_seconds', 'Request latency in seconds.', {
        labelNames: ['route', 'code'] as const,
        buckets: LATENCY_BUCKETS,
      }),
    ),
    requests: new Counter(named('requests_total', 'Requests answered.', { labelNames: ['route', 'code'] as const })),
    errors: new Counter(
      named('errors_total', 'Requests answered with an error.', { labelNames: ['route', 'kind'] as const }),
    ),
    predictions: new Counter(
      named('predictions_total', 'Examples predicted.', { labelNames: ['model', 'version'] as const }),
    ),
    modelVersion: new Gauge(
      named('model_version_info', '1 for the model version being served.', {
        labelNames: ['model', 'version'] as const,
      }),
    ),
    swaps: new Counter(
      named('model_swaps_total', 'Hot-swaps and rollbacks.', { labelNames: ['model', 'kind'] as const }),
    ),
    drift: new Gauge(
      named('drift_score', 'Population stability index of the recent window vs the reference.', {
        labelNames: ['kind'] as const,
      }),
    ),
    feedbackAccuracy: new Gauge(named('feedback_accuracy', 'Accuracy over the labelled feedback window.', {})),
    inflight: new Gauge(named('inflight_requests', 'Requests being handled.', {})),
    stages: new Histogram(
      named('stage_duration_seconds', 'Time of each stage of a predict request.', {
        labelNames: ['stage'] as const,
        buckets: LATENCY_BUCKETS,
      }),
    ),
    batchExamples: new Histogram(
      named('batch_examples', 'Examples per computed batch.', {
        buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      }),
    ),
    queueExamples: new Gauge(named('queue_examples', 'Examples waiting in the batch queue.', {})),
    workers: new Gauge(named('workers', 'Live inference workers.', {})),
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
