// The course's sweep points as executor jobs (distillation students, pruned SimpleNets). Importing
// this folder defines them (exec.defineJob), so an executor started afterwards runs them.
export { studentJob } from './student';
export type { StudentArgs, StudentRecipe, StudentSetting } from './student';
export { prunePointJob, prunedSimpleNet } from './prune-point';
export type { PrunePointArgs, PrunePointMeta } from './prune-point';
