// Shared helpers: backend set-up, randomness, hashing, atomic writes, cache, machine, latency timing,
// output, optional packages.
export { LAYERS, FUSABLE_ACTIVATIONS, layerEntry } from './layers';
export type { LayerEntry, LayerClass, ChannelRole, KernelAxes, LayerShapes } from './layers';
export { modelGraph, runGraph, consumersOf, requireLayersModel, isGraphModel } from './graph';
export type { GraphNode, GraphHooks, RunGraphOptions } from './graph';
export { initBackend, hasTfjsNode } from './backend';
export type { BackendName, BackendOptions } from './backend';
export { setGradients, currentGradients } from './gradients';
export type { GradientOptions } from './gradients';
export { registerWasmKernels } from './wasm-kernels';
export { wasmThreads, MAX_WASM_THREADS } from './wasm-threads';
export { globToRegExp, matchNames, selectNames, checkPatterns } from './glob';
export type { LayerPatterns } from './glob';
export { convPadding } from './conv-padding';
export type { PadAttr, Padding2D } from './conv-padding';
export { Rng, permutation } from './rng';
export { machineInfo } from './machine';
export { measureLatency, timeRuns, latencyStats, quantile } from './latency';
export type { LatencyOptions, LatencyStats } from './latency';
export type { MachineInfo } from './machine';
export {
  writeFileAtomic,
  writeJsonAtomic,
  writeFolderAtomic,
  writeFolderAtomicSync,
  recoverFolder,
  fsyncPath,
} from './atomic';
export type { FolderWriteOptions } from './atomic';
export { hashConfig, sha256, stableStringify } from './hash';
export { cacheDir, cacheRoot } from './cache-dir';
export { setOutput, writeOutput } from './output';
export { OPTIONAL_PACKAGES, requireOptional, resolveOptional, hasOptional } from './optional-package';
export type { OutputSink } from './output';
