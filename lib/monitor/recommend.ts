// The feedback loop's decision: from drift, live accuracy and latency, recommend what to do.
// - retrain: the data moved (input drift alert) or the model lost accuracy on labelled feedback;
//   a smaller or faster model will not fix that, new training data will.
// - re-compress: accuracy holds but the latency objective is missed; prune or quantize further.
// - none: everything within thresholds (warnings are still listed).
import { DriftReport } from './drift';
import { FeedbackReport } from './feedback';
import { LatencyReport } from './latency';

export type Action = 'none' | 'retrain' | 're-compress';

/** A recommendation and why. */
export interface Recommendation {
  readonly action: Action;
  readonly reasons: string[];
}

/** Inputs of {@link recommend}. */
export interface RecommendInput {
  readonly drift?: DriftReport;
  readonly feedback?: FeedbackReport;
  readonly latency?: LatencyReport;
  /** Accuracy measured offline (test set) when the model was released. */
  readonly referenceAccuracy?: number;
  /** Accuracy drop (fraction) tolerated before retraining. Default 0.02. */
  readonly accuracyTolerance?: number;
  /** Labelled examples needed before accuracy counts. Default 50. */
  readonly minFeedback?: number;
}

/**
 * Recommends retraining, re-compression or nothing.
 * @example recommend({latency: {count: 100, p50Ms: 5, p99Ms: 80, objectiveP99Ms: 50, objectiveMet: false}}).action // 're-compress'
 */
export function recommend(input: RecommendInput): Recommendation {
  const reasons: string[] = [];
  let retrain = false;
  let recompress = false;
  const d = input.drift;
  if (d && d.status === 'alert') {
    retrain = true;
    reasons.push(`input or prediction drift: ${d.alerts.join('; ')}`);
  } else if (d && d.status === 'warn') {
    reasons.push(`drift warning (watch): ${d.alerts.join('; ')}`);
  }
  const f = input.feedback;
  const tol = input.accuracyTolerance ?? 0.02;
  if (f && input.referenceAccuracy !== undefined && f.count >= (input.minFeedback ?? 50)) {
    const drop = input.referenceAccuracy - f.accuracy;
    if (drop > tol) {
      retrain = true;
      reasons.push(
        `accuracy on ${f.count} labelled examples is ${f.accuracy.toFixed(4)}, ${drop.toFixed(4)} below the release accuracy ${input.referenceAccuracy.toFixed(4)} (tolerance ${tol})`,
      );
    }
  }
  const l = input.latency;
  if (l && !l.objectiveMet) {
    recompress = true;
    reasons.push(`latency p99 ${l.p99Ms.toFixed(2)} ms misses the ${l.objectiveP99Ms} ms objective`);
  }
  const action: Action = retrain ? 'retrain' : recompress ? 're-compress' : 'none';
  if (action === 'none' && reasons.length === 0) reasons.push('drift, accuracy and latency within thresholds');
  return { action, reasons };
}
