// Architecture search: a search space as data, seeded sampling and mutation, a genotype-to-model
// builder, proxy training behind an Evaluator (in-process or worker threads), random search and
// aging evolution under constraints, the Pareto front, and a per-layer latency predictor.
export { validateSpace, genotypeKey, checkGenotype, stagesAllowed, ACTIVATIONS, IMAGE_SIDE } from './space';
export type { Activation, MlpSpace, CnnSpace, SearchSpace, MlpGenotype, CnnGenotype, CnnStage, Genotype } from './space';
export { sample, mutate } from './sample';
export { buildModel, genotypeLayout } from './build';
export type { BuildOptions } from './build';
export { proxyEvaluate, genotypeCost, checkRecipe, DEFAULT_PROXY } from './proxy';
export type { ProxyRecipe, CandidateResult } from './proxy';
export { LocalEvaluator } from './evaluator';
export type { Evaluator } from './evaluator';
export { WorkerPoolEvaluator } from './worker-pool';
export type { WorkerPoolOptions } from './worker-pool';
export { randomSearch, agingEvolution } from './search';
export type { Constraints, SearchOptions, EvolutionOptions, SearchStep, SearchResult } from './search';
export { paretoFront, dominates } from './pareto';
export type { Objective } from './pareto';
export { LatencyTable, endToEndLatencyMs, pearson } from './latency-table';
export type { LatencyTableOptions, LayerLatency, EndToEndOptions } from './latency-table';
export { latencyPredictor, measuredLatency } from './genotype-latency';
