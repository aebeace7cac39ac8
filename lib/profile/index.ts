// The profiler: parameters, MACs, sizes, sparsity, memory, latency, and the layer graph picture.
export { profileModel } from './profile-model';
export { profileGraphModel } from './graph-profile';
export { graphOpMacs, GRAPH_OPS_WITH_RULES } from './graph-ops';
export type { OpShapes } from './graph-ops';
export { peakActivationBytes } from './report';
export type { LayerProfile, ProfileReport, ProfileOptions } from './report';
export { modelSizes, gzipBytes } from './sizes';
export type { ModelSizes } from './sizes';
export { measureLatency, modelLatency, latencyStats, quantile } from './latency';
export type { LatencyOptions, LatencyStats, ModelLatency, ModelLatencyOptions } from './latency';
export { graphSvg } from './graph-svg';
