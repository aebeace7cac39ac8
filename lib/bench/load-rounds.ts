// Load tests of several servers in alternating rounds (A B B A ...), so that a machine that
// warms up, or slows down while something else runs, weighs on every server alike. Each server
// gets the same total time; throughput is requests over time summed across its rounds.
import { ConfigError, describe } from '../errors';
import { LoadRequest, LoadTestResult, loadTest } from './load-test';

/** One server of a {@link loadRounds} comparison. */
export interface RoundTarget {
  readonly name: string;
  readonly url: string;
  readonly requests: readonly LoadRequest[];
}

/** Options of {@link loadRounds}. */
export interface LoadRoundsOptions {
  readonly connections?: number;
  /** Seconds of each round. Default 10. */
  readonly roundSeconds?: number;
  /** Rounds per server (default 2): the order is A B ... B A, repeated. */
  readonly rounds?: number;
  /** Per-request client timeout (s). Default 10. */
  readonly timeoutSeconds?: number;
  /** Called before each round (e.g. to start a probe) and after it with the result. */
  readonly onRound?: (name: string, phase: 'start' | 'end', result?: LoadTestResult) => void | Promise<void>;
}

/** The rounds of one server, summed. */
export interface RoundsSummary {
  readonly name: string;
  readonly rounds: LoadTestResult[];
  readonly requests: number;
  readonly durationSeconds: number;
  /** Successful (2xx) answers per second over its rounds. */
  readonly throughputRps: number;
  /** Socket errors, timeouts and non-2xx answers over all rounds. */
  readonly failed: number;
  /** The largest p99 latency of its rounds (ms). */
  readonly latencyP99MsMax: number;
  /** Median over rounds of the round's p50 (ms). */
  readonly latencyP50Ms: number;
}

/** The order of rounds: forward then backward (A B C C B A), `rounds / 2` times (one more forward pass when odd). */
export function roundOrder(names: readonly string[], rounds: number): string[] {
  const out: string[] = [];
  for (let r = 0; r < rounds; r++) out.push(...(r % 2 === 0 ? names : [...names].reverse()));
  return out;
}

/**
 * Load-tests `targets` in alternating rounds and sums each server's rounds.
 * @example const [a, b] = await loadRounds([{name: 'tfjs', url: u1, requests}, {name: 'ort', url: u2, requests}], {roundSeconds: 10});
 */
export async function loadRounds(
  targets: readonly RoundTarget[],
  options: LoadRoundsOptions = {},
): Promise<RoundsSummary[]> {
  const rounds = options.rounds ?? 2;
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20) || targets.length === 0) {
    throw new ConfigError(
      `loadRounds: at least one target and rounds an integer in [1, 20], got ${targets.length} targets and ${describe(rounds)}. Use rounds: 2.`,
    );
  }
  const byName = new Map(targets.map((t) => [t.name, t]));
  const results = new Map<string, LoadTestResult[]>(targets.map((t) => [t.name, []]));
  for (const name of roundOrder(
    targets.map((t) => t.name),
    rounds,
  )) {
    const t = byName.get(name) as RoundTarget;
    await options.onRound?.(name, 'start');
    const r = await loadTest({
      url: t.url,
      requests: t.requests,
      connections: options.connections ?? 32,
      durationSeconds: options.roundSeconds ?? 10,
      timeoutSeconds: options.timeoutSeconds,
    });
    results.get(name)?.push(r);
    await options.onRound?.(name, 'end', r);
  }
  return targets.map((t) => {
    const rs = results.get(t.name) as LoadTestResult[];
    const requests = rs.reduce((a, r) => a + r.requests, 0);
    const ok = rs.reduce((a, r) => a + r.status2xx, 0);
    const durationSeconds = rs.reduce((a, r) => a + r.durationSeconds, 0);
    const p50s = rs.map((r) => r.latencyP50Ms).sort((a, b) => a - b);
    return {
      name: t.name,
      rounds: rs,
      requests,
      durationSeconds,
      throughputRps: ok / durationSeconds,
      failed: rs.reduce((a, r) => a + r.errors + r.timeouts + (r.requests - r.status2xx), 0),
      latencyP99MsMax: Math.max(...rs.map((r) => r.latencyP99Ms)),
      latencyP50Ms: p50s[Math.floor((p50s.length - 1) / 2)] as number,
    };
  });
}
