// Pruning: fine-grained masks and schedules, sizes and a sparse runtime, sensitivity, and
// channel pruning over a dependency graph. Exported as the `prune` namespace.
export { magnitudeMask } from './masks';
export type { MaskOptions, RandomMaskOptions } from './masks';
export { sparsityReport } from './sparsity';
export type { SparsityReport, WeightSparsity } from './sparsity';
export { magnitude, stripPruning } from './magnitude';
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
export type { CsrEncoding, IndexBits } from '../core/csr';
export { sizeReport } from './size';
export type { SizeReport } from './size';
export type { SparseDenseSpec, SparseActivation } from './sparse-mlp';
export { sensitivityScan } from './sensitivity';
export type { SensitivityOptions, SensitivityReport, SensitivityRow } from './sensitivity';
export { DependencyGraph } from './graph';
export type { Space, PruningGroup } from './graph';
export { slimmingRegularizer } from './importance';
export type { ImportanceCriterion } from './importance';
export { channels } from './channels';
export type { PruneTarget, ResolvedRounding, TileStep } from './tiles';
export type { RuntimeTile } from './tile-table';
export type { ChannelOptions, ChannelReport, ChannelGroupReport } from './channels';
