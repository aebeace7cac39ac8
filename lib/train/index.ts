// The one training loop, evaluation, what a model takes and gives, progress reporting, the
// library's Adam (one kernel per variable) and where a training step's time goes.
export { fit, trainableVariables } from './fit';
export type { FitOptions, FitHistory } from './fit';
export { evaluate, predictLabels, runPredictor } from './evaluate';
export type { Evaluation, EvaluateOptions, Predictor } from './evaluate';
export { inputShapeOf, outputUnits, outputKind, modelLoss, asLogits } from './model-output';
export type { OutputKind, LossFn } from './model-output';
export { consoleProgress, countProgress, formatDuration, formatEpoch } from './progress';
export type { EpochLog, ProgressEvent, ProgressReporter } from './progress';
export { fusedAdam, FusedAdam, FUSED_ADAM_KERNEL } from './fused-adam';
export { profileStep } from './step-profile';
export type { StepProfile, StepProfileOptions, StepPhase, PhaseTime, KernelTime } from './step-profile';
