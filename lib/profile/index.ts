// The profiler: parameters, MACs, sizes, sparsity, memory, the latency primitive (bench.benchmark
// times whole models on runtimes), and the layer graph picture.
export { profileModel, peakActivationBytes } from './profile-model';
export type { LayerProfile, ProfileReport } from './profile-model';
export { layerGraph } from './layer-graph';
export type { GraphNode } from './layer-graph';
export { layerMacs } from './macs';
export { modelSizes, gzipBytes } from './sizes';
export type { ModelSizes } from './sizes';
export { measureLatency, timeRuns, latencyStats, quantile } from '../core/latency';
export type { LatencyOptions, LatencyStats } from '../core/latency';
export { graphSvg } from './graph-svg';
