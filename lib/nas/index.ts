// Architecture search on any data: a task (input shape, classes), a search space as data, seeded
// sampling and mutation, a genotype-to-model builder, proxy training on the caller's splits behind
// an Evaluator (in-process here; on an executor's threads or queue in lib/jobs), random search
// and aging evolution under constraints, the Pareto front, a per-layer latency predictor, and
// rank correlations of proxy scores with full training.
export { validateSpace, taskOf } from './space';
export type {
  Activation,
  MlpSpace,
  CnnSpace,
  SearchSpace,
  MlpGenotype,
  CnnGenotype,
  CnnStage,
  Genotype,
  NasTask,
} from './space';
export { sample, mutate } from './sample';
export { buildModel } from './build';
export type { BuildOptions } from './build';
export type { ProxyRecipe, ProxyData, ProxyOptions, CandidateTrainer, CandidateResult } from './proxy';
export { LocalEvaluator } from './evaluator';
export type { Evaluator } from './evaluator';
export { randomSearch, agingEvolution } from './search';
export type { Constraints, SearchOptions, EvolutionOptions, SearchStep, SearchResult } from './search';
export { paretoFront } from './pareto';
export type { Objective } from './pareto';
export { LatencyTable } from './latency-table';
export type { LatencyTableOptions, LayerLatency, EndToEndOptions } from './latency-table';
export { latencyPredictor } from './genotype-latency';
export type { PairedLatencyOptions } from './genotype-latency';
