// Benchmarks and deployment experiments: load tests, the served models, runtimes and the
// benchmark harness, and the comparison table.
export { loadTest } from './load-test';
export type { LoadRequest, LoadTestOptions, LoadTestResult } from './load-test';
export { loadRounds, roundOrder } from './load-rounds';
export type { RoundTarget, LoadRoundsOptions, RoundsSummary } from './load-rounds';
export { digitRequests, malformedRequests, loadWithActions } from './serve-scenario';
export type { TimedAction } from './serve-scenario';
export { deploymentModels } from './deploy-models';
export type { DeployModel, DeploymentModelsOptions } from './deploy-models';
export { tfjsRuntime, ortRuntime, functionRuntime, availableTfjsBackends } from './runtimes';
export type { BenchRuntime, OrtRuntimeOptions } from './runtimes';
export { benchmarkRuntimes, randomInputs, speedups } from './harness';
export type { BenchRow, BenchmarkOptions } from './harness';
export { deepCompress, decodeLayer, kmeans1d } from './deep-compression';
export type { DeepCompressionOptions, DeepCompressionReport, CompressedLayer } from './deep-compression';
export { verdict, cell, numberAt, firstNumber, comparisonMarkdown, formatRange } from './comparison';
export type { Range, Verdict, ComparisonCell, SpeedFigure, ComparisonRow } from './comparison';
