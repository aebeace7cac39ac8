// The profiler: parameters, MACs, sizes, sparsity, memory, the latency primitive (bench.benchmark
// times whole models on runtimes), the layer graph picture (any size: blocks for large models) and
// the profile's HTML page.
export { profileModel } from './profile-model';
export { profileGraphModel } from './graph-profile';
export type { OpShapes } from './graph-ops';
export type { LayerProfile, ProfileReport, ProfileOptions } from './report';
export { modelSizes } from './sizes';
export type { ModelSizes } from './sizes';
export { measureLatency } from '../core/latency';
export type { LatencyOptions, LatencyStats } from '../core/latency';
export { graphSvg } from './graph-svg';
export type { GraphSvgOptions } from './graph-svg';
export type { LayerBlock, LayerBlockOptions } from './graph-blocks';
export type { GraphColouring } from './graph-colour';
export type { PrecisionSources, WeightSpecLike } from './precision';
export { profileHtml } from './report-html';
export type { ProfileHtmlOptions } from './report-html';
