// Monitoring of deployed models: drift (PSI / KL against a training reference), labelled
// feedback accuracy, latency objectives, and the retrain / re-compress recommendation.
export { psi, klDivergence } from './divergence';
export { buildReference, referenceFromModel } from './reference';
export type { BinnedFeature, DriftReference, ReferenceOptions } from './reference';
export { DriftDetector } from './drift';
export type { DriftOptions, DriftReport, DriftStatus, DriftThresholds } from './drift';
export { FeedbackLog } from './feedback';
export type { FeedbackRecord, FeedbackReport } from './feedback';
export { LatencyTracker } from './latency';
export type { LatencyReport } from './latency';
export { recommend } from './recommend';
export type { Action, Recommendation, RecommendInput } from './recommend';
export { Monitor } from './monitor';
export type { MonitorOptions, MonitorReport } from './monitor';
