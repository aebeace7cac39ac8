// HTTP load tests with autocannon, bounded and on loopback only: a fixed duration (or request
// count) at a fixed number of connections, summarized as throughput, latency percentiles and the
// count of every kind of failure (socket errors, timeouts, non-2xx answers). autocannon is an
// optional dependency, loaded on the first load test.
import { ConfigError, describe } from '../errors';
import { requireOptional } from '../core/optional-package';

/** The part of autocannon's result used here (autocannon ships no type declarations). */
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  '1xx'?: number;
  '2xx': number;
  '3xx'?: number;
  '4xx': number;
  '5xx': number;
  statusCodeStats?: Record<string, { count: number }>;
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

/** One request of the cycle each connection sends. */
export interface LoadRequest {
  /** Default POST. */
  readonly method?: string;
  readonly path: string;
  readonly body?: string;
  /** Extra headers; a body is sent as application/json unless these say otherwise. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options for {@link loadTest}. */
export interface LoadTestOptions {
  /** Base URL; must be a loopback address (127.0.0.1, ::1 or localhost). */
  readonly url: string;
  /** Requests cycled by every connection (at least one). */
  readonly requests: readonly LoadRequest[];
  /** Concurrent connections. Default 32, at most 256. */
  readonly connections?: number;
  /** Duration in seconds (ignored when `amount` is set). Default 10, at most 120. */
  readonly durationSeconds?: number;
  /** Total requests instead of a duration. At most 1,000,000. */
  readonly amount?: number;
  /** Per-request timeout (s). Default 10. */
  readonly timeoutSeconds?: number;
}

/** What a load test measured. */
export interface LoadTestResult {
  readonly connections: number;
  readonly durationSeconds: number;
  /** Completed requests (answered). */
  readonly requests: number;
  /** Answers with status 2xx / 4xx / 5xx. */
  readonly status2xx: number;
  readonly status4xx: number;
  readonly status5xx: number;
  /** Socket errors and timeouts (requests that got no answer). */
  readonly errors: number;
  readonly timeouts: number;
  /** Requests per second (mean over the run). */
  readonly throughputRps: number;
  readonly latencyP50Ms: number;
  readonly latencyP90Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly latencyMeanMs: number;
  readonly statusCounts: Record<string, number>;
}

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/;

function bounded(fn: string, name: string, v: number, lo: number, hi: number): number {
  if (!(Number.isFinite(v) && v >= lo && v <= hi))
    throw new ConfigError(`${fn}: ${name} in [${lo}, ${hi}], got ${describe(v)}. Keep load tests bounded.`);
  return v;
}

/**
 * Runs autocannon against a loopback server and summarizes the result.
 * @example await loadTest({url: server.url, requests: [{method: 'POST', path: '/v1/predict', body}], durationSeconds: 20})
 */
export async function loadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  if (typeof options.url !== 'string' || !LOOPBACK.test(options.url)) {
    throw new ConfigError(
      `loadTest: a loopback URL (http://127.0.0.1:PORT), got ${describe(options.url)}. Load tests here never leave the machine.`,
    );
  }
  if (!Array.isArray(options.requests) || options.requests.length === 0) {
    throw new ConfigError(
      `loadTest: at least one request, got ${describe(options.requests)}. Pass e.g. [{method: 'POST', path: '/v1/predict', body}].`,
    );
  }
  const connections = bounded('loadTest', 'connections', options.connections ?? 32, 1, 256);
  const duration = bounded('loadTest', 'durationSeconds', options.durationSeconds ?? 10, 0.1, 120);
  if (options.amount !== undefined) bounded('loadTest', 'amount', options.amount, 1, 1e6);
  const base = options.url.replace(/\/$/, '');
  const autocannon = requireOptional<Autocannon>('autocannon', 'loadTest');
  const r = await autocannon({
    url: base,
    connections,
    duration,
    ...(options.amount !== undefined ? { amount: options.amount } : {}),
    timeout: options.timeoutSeconds ?? 10,
    requests: options.requests.map((q) => ({
      method: q.method ?? 'POST',
      path: q.path,
      ...(q.body !== undefined ? { body: q.body } : {}),
      headers: { ...(q.body !== undefined ? { 'content-type': 'application/json' } : {}), ...q.headers },
    })),
  });
  const statusCounts: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCounts[code] = s.count;
  const elapsed = r.duration || duration;
  const done = (r['1xx'] ?? 0) + r['2xx'] + (r['3xx'] ?? 0) + r['4xx'] + r['5xx'];
  return {
    connections,
    durationSeconds: elapsed,
    requests: done,
    status2xx: r['2xx'],
    status4xx: r['4xx'],
    status5xx: r['5xx'],
    errors: r.errors,
    timeouts: r.timeouts,
    throughputRps: done / elapsed,
    latencyP50Ms: r.latency.p50,
    latencyP90Ms: r.latency.p90,
    latencyP99Ms: r.latency.p99,
    latencyMaxMs: r.latency.max,
    latencyMeanMs: r.latency.average,
    statusCounts,
  };
}
