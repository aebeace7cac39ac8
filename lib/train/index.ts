// The seeded training loop, evaluation and progress reporting.
export { fit, trainableVariables } from './fit';
export type { FitOptions, FitHistory } from './fit';
export { evaluate, predictLabels, inferLayout, runPredictor } from './evaluate';
export type { Evaluation, EvaluateOptions, Predictor } from './evaluate';
export { consoleProgress, formatEpoch } from './progress';
export type { EpochLog, ProgressEvent, ProgressReporter } from './progress';
