// The profiler: parameters, MACs, sizes, sparsity, memory, the latency primitive (bench.benchmark
// times whole models on runtimes), and the layer graph picture.
export { profileModel } from './profile-model';
export { profileGraphModel } from './graph-profile';
export { graphOpMacs, GRAPH_OPS_WITH_RULES } from './graph-ops';
export type { OpShapes } from './graph-ops';
export { peakActivationBytes } from './report';
export type { LayerProfile, ProfileReport, ProfileOptions } from './report';
export { modelSizes, gzipBytes } from './sizes';
export type { ModelSizes } from './sizes';
export { measureLatency, timeRuns, latencyStats, quantile } from '../core/latency';
export type { LatencyOptions, LatencyStats } from '../core/latency';
export { graphSvg } from './graph-svg';
