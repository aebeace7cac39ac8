// Pipelines from recipes (analyze -> optimize -> convert -> benchmark) and the models, data and
// reports they pass along; what `tfjs-compress run` executes, usable from a script.
export { validateRecipe } from './recipe';
export type { Recipe, Stage, PruneStage, QuantizeStage, ExportStage, BenchStage, DataSpec } from './recipe';
export { readRecipeFile } from './recipe-file';
export { runRecipe } from './run';
export type { RunOptions, PipelineProgress } from './run';
export { planRecipe } from './dry-run';
export type { RunPlan } from './dry-run';
export type { StageOutcome, ArtifactOutcome, SkippedArtifact } from './artifact';
export type { SizeFigures } from './sizes';
export type { BenchTarget, BenchReportRow } from './bench-stage';
export type { StageModel, ScoreFn } from './stage-model';
export type { PipelineReport, StageRecord, ArtifactRecord, InputRecord } from './report';
