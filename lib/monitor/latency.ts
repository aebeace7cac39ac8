// Latency objectives (SLOs): the recent request latencies against a p99 target.
import { ConfigError, describe } from '../errors';
import { quantile } from '../core/latency';

/** Recent latency against the objective. */
export interface LatencyReport {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly objectiveP99Ms: number;
  /** True when p99 is within the objective (or there are no samples yet). */
  readonly objectiveMet: boolean;
}

/** A sliding window of latencies (ms) and a p99 objective. */
export class LatencyTracker {
  private readonly times: number[] = [];

  constructor(readonly objectiveP99Ms: number, readonly windowSize = 2000) {
    if (!(objectiveP99Ms > 0) || !(Number.isInteger(windowSize) && windowSize > 0)) {
      throw new ConfigError(`LatencyTracker: objectiveP99Ms > 0 and a positive integer windowSize, got ${describe(objectiveP99Ms)} and ${describe(windowSize)}. Use e.g. 50 ms and 2000.`);
    }
  }

  record(ms: number): void {
    this.times.push(ms);
    if (this.times.length > this.windowSize) this.times.shift();
  }

  reset(): void {
    this.times.length = 0;
  }

  report(): LatencyReport {
    const s = [...this.times].sort((a, b) => a - b);
    const p99 = quantile(s, 0.99);
    return { count: s.length, p50Ms: quantile(s, 0.5), p99Ms: p99, objectiveP99Ms: this.objectiveP99Ms, objectiveMet: s.length === 0 || p99 <= this.objectiveP99Ms };
  }
}
