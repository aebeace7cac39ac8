// Pruning: fine-grained masks and schedules, sizes and a sparse runtime, sensitivity, and
// channel pruning over a dependency graph. Exported as the `prune` namespace.
export { magnitudeMask, globalMagnitudeMasks, randomMask, nonzeroMask, zerosFor } from './masks';
export type { MaskOptions, RandomMaskOptions } from './masks';
export { countZeros, sparsityOf, sparsityReport } from './sparsity';
export type { SparsityReport, WeightSparsity } from './sparsity';
export { prunableLayers } from './prunable';
export { magnitude, computeMasks, applyMasks, masksFromZeros, stripPruning } from './magnitude';
export type { MagnitudeOptions, MagnitudeReport, PruningMasks } from './magnitude';
export { ConstantSparsity, PolynomialDecay } from './schedule';
export type { PruningSchedule, ConstantSparsityOptions, PolynomialDecayOptions } from './schedule';
export { pruningHooks, fineTune, iterativePrune } from './training';
export type {
  PruningHooks,
  PruningHooksOptions,
  FineTuneOptions,
  FineTuneReport,
  IterativePruneOptions,
} from './training';
export { cloneModel } from './clone';
export { encodeCsr, decodeCsr, csrBytes, serializeCsr, deserializeCsr, gapAt, packGaps } from '../core/csr';
export type { CsrEncoding, IndexBits } from '../core/csr';
export { sizeReport, encodeModel, kernelMatrix } from './size';
export type { SizeReport } from './size';
export { SparseMlp } from './sparse-mlp';
export type { SparseDenseSpec, SparseActivation } from './sparse-mlp';
export { sensitivityScan } from './sensitivity';
export type { SensitivityOptions, SensitivityReport, SensitivityRow } from './sensitivity';
export { DependencyGraph } from './graph';
export type { Space, PruningGroup } from './graph';
export { groupImportance, channelNorms, keepTop, slimmingRegularizer } from './importance';
export type { ImportanceCriterion } from './importance';
export { channels } from './channels';
export { roundKept, keptCounts, macsWithCounts, sparsityForMacsRatio } from './channel-counts';
export { tileOf, resolveRounding, detectTile, PRUNE_TARGETS, DEFAULT_PRUNE_TARGET } from './tiles';
export type { PruneTarget, ResolvedRounding, TileStep } from './tiles';
export { MEASURED_TILES } from './tile-table';
export type { RuntimeTile } from './tile-table';
export type { ChannelOptions, ChannelReport, ChannelGroupReport } from './channels';
