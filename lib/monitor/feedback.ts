// Labelled feedback: the true label of some served predictions arrives later (a user correction,
// a reviewed sample). The log keeps the most recent ones and gives the live accuracy, per model
// version, which is what decides whether to retrain.
import { ConfigError, describe } from '../errors';

/** One labelled prediction. */
export interface FeedbackRecord {
  readonly predicted: number;
  readonly label: number;
  readonly version: string;
}

/** Live accuracy over the feedback window. */
export interface FeedbackReport {
  readonly count: number;
  /** Fraction correct over the window; NaN without feedback. */
  readonly accuracy: number;
  readonly byVersion: Record<string, { count: number; accuracy: number }>;
}

/** A bounded log of labelled predictions. */
export class FeedbackLog {
  private readonly records: FeedbackRecord[] = [];

  constructor(readonly windowSize = 1000) {
    if (!(Number.isInteger(windowSize) && windowSize > 0)) {
      throw new ConfigError(`FeedbackLog: a positive integer windowSize, got ${describe(windowSize)}. Use e.g. 1000.`);
    }
  }

  record(predicted: number, label: number, version = 'unknown'): void {
    if (!Number.isInteger(label) || label < 0 || !Number.isInteger(predicted) || predicted < 0) {
      throw new ConfigError(
        `FeedbackLog.record: non-negative integer predicted and label, got ${describe(predicted)} and ${describe(label)}. Send the class index.`,
      );
    }
    this.records.push({ predicted, label, version });
    if (this.records.length > this.windowSize) this.records.shift();
  }

  /** Forgets every record (e.g. after a retrain). */
  reset(): void {
    this.records.length = 0;
  }

  report(): FeedbackReport {
    const byVersion: Record<string, { count: number; accuracy: number }> = {};
    let correct = 0;
    for (const r of this.records) {
      const v = (byVersion[r.version] ??= { count: 0, accuracy: 0 });
      v.count++;
      if (r.predicted === r.label) {
        correct++;
        v.accuracy++;
      }
    }
    for (const v of Object.values(byVersion)) v.accuracy /= v.count;
    return {
      count: this.records.length,
      accuracy: this.records.length ? correct / this.records.length : NaN,
      byVersion,
    };
  }
}
