// The monitor of one deployed model: drift detector + feedback log + latency tracker, and the
// recommendation that combines them. The inference server feeds it; notebooks read report().
import { DriftDetector, DriftOptions, DriftReport } from './drift';
import { FeedbackLog, FeedbackReport } from './feedback';
import { LatencyReport, LatencyTracker } from './latency';
import { recommend, Recommendation } from './recommend';
import { DriftReference } from './reference';

/** Options for {@link Monitor}. */
export interface MonitorOptions extends DriftOptions {
  /** p99 latency objective (ms). Default 50. */
  readonly latencyObjectiveMs?: number;
  /** Offline accuracy at release, for the feedback comparison. */
  readonly referenceAccuracy?: number;
  readonly accuracyTolerance?: number;
  readonly minFeedback?: number;
  readonly feedbackWindow?: number;
}

/** Everything the monitor knows now. */
export interface MonitorReport {
  readonly drift: DriftReport;
  readonly feedback: FeedbackReport;
  readonly latency: LatencyReport;
  readonly recommendation: Recommendation;
}

/** Drift, accuracy and latency of one deployed model. */
export class Monitor {
  readonly drift: DriftDetector;
  readonly feedback: FeedbackLog;
  readonly latency: LatencyTracker;

  constructor(
    reference: DriftReference,
    readonly options: MonitorOptions = {},
  ) {
    this.drift = new DriftDetector(reference, options);
    this.feedback = new FeedbackLog(options.feedbackWindow ?? 1000);
    this.latency = new LatencyTracker(options.latencyObjectiveMs ?? 50);
  }

  /** Starts a new observation period: empties the drift window, the feedback and the latencies. */
  reset(): void {
    this.drift.reset();
    this.feedback.reset();
    this.latency.reset();
  }

  report(): MonitorReport {
    const drift = this.drift.report();
    const feedback = this.feedback.report();
    const latency = this.latency.report();
    const recommendation = recommend({
      drift,
      feedback,
      latency,
      referenceAccuracy: this.options.referenceAccuracy,
      accuracyTolerance: this.options.accuracyTolerance,
      minFeedback: this.options.minFeedback,
    });
    return { drift, feedback, latency, recommendation };
  }
}
