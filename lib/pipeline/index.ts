// Pipelines from recipes (analyze -> optimize -> convert -> benchmark) and the models, data and
// reports they pass along; what `tfjs-compress run` executes, usable from a script.
export { validateRecipe, stageNames, defaultStageName, STAGE_FIELDS, MAX_BENCH_WORK } from './recipe';
export type { Recipe, Stage, PruneStage, QuantizeStage, ExportStage, BenchStage, DataSpec } from './recipe';
export { readRecipeFile } from './recipe-file';
export { runRecipe } from './run';
export type { RunOptions, PipelineProgress } from './run';
export { planRecipe, planText } from './dry-run';
export type { RunPlan } from './dry-run';
export { runPrune, runQuantize, matchLayers, firstInputs } from './stages';
export { runExport } from './export-stage';
export type { StageContext } from './stages';
export { PLAN_FOLDER, stageOutcome } from './artifact';
export type { StageOutcome, ArtifactOutcome, SkippedArtifact } from './artifact';
export { buildDeployment, recommend } from './deploy';
export { sizeFigures, weightStorage, tfjsFolderFiles } from './sizes';
export type { SizeFigures } from './sizes';
export { runBench, onnxBaseline } from './bench-stage';
export type { BenchTarget, BenchReportRow } from './bench-stage';
export {
  openModel,
  saveStageModel,
  disposeStageModel,
  planOfStage,
  stageInputShape,
  stageClasses,
  stageScores,
  scoreAccuracy,
  modelBytes,
} from './stage-model';
export type { StageModel, ScoreFn } from './stage-model';
export { reportMarkdown, stageTable, benchTable, speedupOf, packageVersion } from './report';
export { reportHtml } from './report-html';
export { reportFigures } from './report-figures';
export type { PipelineReport, StageRecord, ArtifactRecord, InputRecord } from './report';
