// The profiler: parameters, MACs, sizes, sparsity, memory, latency, and the layer graph picture.
export { profileModel, peakActivationBytes } from './profile-model';
export type { LayerProfile, ProfileReport } from './profile-model';
export { modelSizes, gzipBytes } from './sizes';
export type { ModelSizes } from './sizes';
export { measureLatency, modelLatency, latencyStats, quantile } from './latency';
export type { LatencyOptions, LatencyStats, ModelLatency, ModelLatencyOptions } from './latency';
export { graphSvg } from './graph-svg';
