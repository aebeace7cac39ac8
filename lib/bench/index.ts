// Benchmarks: HTTP load tests, runtimes and the benchmark harness.
export { loadTest } from './load-test';
export type { LoadRequest, LoadTestOptions, LoadTestResult } from './load-test';
export type { RoundTarget, LoadRoundsOptions, RoundsSummary } from './load-rounds';
export { tfjsRuntime, ortRuntime, tfliteRuntime, functionRuntime, availableTfjsBackends } from './runtimes';
export type {
  BenchRuntime,
  RuntimeOptions,
  OrtRuntimeOptions,
  TfliteRuntimeOptions,
  FunctionRuntimeOptions,
} from './runtimes';
export { benchmark, speedups } from './harness';
export type { BenchRow, BenchmarkOptions } from './harness';
