// Knowledge distillation: the loss, the teacher-student trainer, and the course's teacher and
// student recipes.
export { distillationLoss, softKl, softTargets, distillationOptions, DISTILLATION_DEFAULTS } from './loss';
export type { DistillationForm, DistillationLossOptions } from './loss';
export { train } from './train';
export type { DistillOptions, DistillReport } from './train';
export { hintLoss } from './hint';
export { teacherLogits } from './teacher-logits';
export type { HintOptions } from './hint';
