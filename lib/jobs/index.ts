// The library's standard executor jobs, where techniques meet: architecture-search candidates
// (trained with plain fit or distilled from a teacher) and the evaluator that hands a search's
// proposals to an executor. The course's jobs live in the course (course/jobs).
export { executorEvaluator } from './nas-candidate';
export type {
  NasCandidateArgs,
  ExecutorSearchData,
  ExecutorEvaluatorOptions,
  ProxyDistillation,
} from './nas-candidate';
