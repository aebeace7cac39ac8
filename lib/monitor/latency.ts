// Latency objectives (SLOs): the recent request latencies against a p99 target.
import { ConfigError, describe } from '../errors';
import { quantile } from '../core/latency';

/** Recent latency against the objective. */
export interface LatencyReport {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly objectiveP99Ms: number;
  /** True when p99 is within the objective, or too few latencies were recorded to judge it. */
  readonly objectiveMet: boolean;
}

/**
 * A sliding window of latencies (ms) and a p99 objective. The objective is judged from
 * `minSamples` latencies on (default 100): the p99 of fewer is only their maximum, one GC pause.
 */
export class LatencyTracker {
  private readonly times: number[] = [];

  constructor(
    readonly objectiveP99Ms: number,
    readonly windowSize = 2000,
    readonly minSamples = 100,
  ) {
    if (
      !(objectiveP99Ms > 0) ||
      !(Number.isInteger(windowSize) && windowSize > 0) ||
      !(Number.isInteger(minSamples) && minSamples >= 1)
    ) {
      throw new ConfigError(
        `LatencyTracker: objectiveP99Ms > 0, a positive integer windowSize and minSamples, got ${describe(objectiveP99Ms)}, ${describe(windowSize)} and ${describe(minSamples)}. ` +
          `Use e.g. 50 ms, 2000 and 100.`,
      );
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
    return {
      count: s.length,
      p50Ms: quantile(s, 0.5),
      p99Ms: p99,
      objectiveP99Ms: this.objectiveP99Ms,
      objectiveMet: s.length < this.minSamples || p99 <= this.objectiveP99Ms,
    };
  }
}
