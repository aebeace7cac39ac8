// The library's standard executor jobs, where techniques meet: architecture-search candidates
// (trained with plain fit or distilled from a teacher) and the evaluator that hands a search's
// proposals to an executor, and the course's sweep points (distillation students, pruned SimpleNets). The course baselines'
// job lives with them in models/prepare.ts.
export { nasCandidate, executorEvaluator, distillationTrainer } from './nas-candidate';
export type {
  NasCandidateArgs,
  ExecutorSearchData,
  ExecutorEvaluatorOptions,
  ProxyDistillation,
} from './nas-candidate';
export { studentJob } from './student';
export { prunePointJob, prunedSimpleNet } from './prune-point';
export type { PrunePointArgs, PrunePointMeta } from './prune-point';
export type { StudentArgs, StudentRecipe, StudentSetting } from './student';
