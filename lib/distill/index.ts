// Knowledge distillation: the loss (soft term scaled by T^2 or not), the teacher-student trainer,
// FitNets hints and precomputed teacher logits.
export { distillationLoss } from './loss';
export type { SoftScale, DistillationLossOptions } from './loss';
export { train } from './train';
export type { DistillOptions, DistillReport } from './train';
export { hintLoss } from './hint';
export { teacherLogits } from './teacher-logits';
export type { HintOptions } from './hint';
