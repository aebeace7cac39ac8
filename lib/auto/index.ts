// Compress to a target: an accuracy-controlled search over pruning and precision for the latency
// (or size) goal on the user's runtime, with its recipe and report. Exported as the `auto` namespace.
export { search } from './search';
export type { AutoData } from './search';
export type { OnnxAutoData, OnnxAutoResult } from './onnx-search';
export { splitData } from './split';
export type { SplitOptions } from './split';
export type { AutoOptions, AutoTarget, AutoGoal } from './options';
export type { Candidate, CandidatePrecision } from './candidate';
export type { LatencyModel, LatencyPoint } from './latency-model';
export { autoRecipe, shipRecipe } from './ship';
export type { AutoReport, ChosenPoint, LayerDecision } from './report';
export type { Evaluation } from './evaluate';
export type { FallbackReport, RankedLayer } from './fallback';
export type { LayerSensitivity } from './sensitivity';
