// The one training loop, evaluation, what a model takes and gives, and progress reporting.
export { fit, trainableVariables } from './fit';
export type { FitOptions, FitHistory } from './fit';
export { evaluate, predictLabels, runPredictor } from './evaluate';
export type { Evaluation, EvaluateOptions, Predictor } from './evaluate';
export { inputShapeOf, outputUnits, outputKind, modelLoss, asLogits } from './model-output';
export type { OutputKind, LossFn } from './model-output';
export { consoleProgress, formatEpoch } from './progress';
export type { EpochLog, ProgressEvent, ProgressReporter } from './progress';
