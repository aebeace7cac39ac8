// Pipelines from recipes (analyze -> optimize -> convert -> benchmark) and the models, data and
// reports they pass along; what `tfjs-compress run` executes, usable from a script.
export { validateRecipe, STAGE_FIELDS } from './recipe';
export type { Recipe, Stage, PruneStage, QuantizeStage, ExportStage, BenchStage, DataSpec } from './recipe';
export { runRecipe } from './run';
export type { RunOptions, PipelineProgress } from './run';
export { runPrune, runQuantize, matchLayers, firstInputs } from './stages';
export { runExport } from './export-stage';
export type { StageContext, StageOutcome } from './stages';
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
export { reportMarkdown, reportHtml, reportFigures, stageTable, benchTable, speedupOf, packageVersion } from './report';
export type { PipelineReport, StageRecord, InputRecord } from './report';
