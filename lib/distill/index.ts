// Knowledge distillation: the loss and the teacher-student trainer.
export { distillationLoss, softKl, softTargets, distillationOptions, DISTILLATION_DEFAULTS } from './loss';
export type { DistillationForm, DistillationLossOptions } from './loss';
