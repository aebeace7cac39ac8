// tfjs-compress-course: what the notebooks teach with and measure against, outside the published
// package (the library never imports it; it imports the library by relative path and compiles
// with it, so a notebook's `tfjs-compress` and this package share one copy of the library). The
// course's models and trained baselines, MNIST and Fashion-MNIST, its executor jobs (defined on
// import, so an executor started afterwards runs them; course/worker.ts serves them from Redis),
// the brief's table and the literature, the comparison table, Deep Compression composed from the
// library's coders, the brief's distillation loss, the served models and request sets of the
// deployment chapter, simulated distribution shifts, the browser demo, results files and notebook
// checks, and channel pruning's speed measured like for like.
export {
  simpleNet,
  cnn,
  mobileNetStyle,
  makeDivisible,
  MOBILENET_V2_STAGES,
  loadMobileNetStyle,
  fashionMnist32,
  MOBILENET_STYLE_RECIPE,
  loadBaseline,
  loadDataset,
  BASELINE_RECIPES,
  prepareBaselines,
  baselineCached,
  baselineJob,
  loadWideCnn,
  WIDE_CNN_RECIPE,
} from './models';
export type {
  SimpleNetOptions,
  CnnOptions,
  MobileNetStyleOptions,
  InvertedResidualStage,
  MobileNetStyleMeta,
  BaselineName,
  BaselineMeta,
  BaselineOptions,
  DatasetName,
  BaselineSpec,
  PreparedBaseline,
  PreparedMeta,
  WideCnnMeta,
} from './models';
export {
  loadMnist,
  loadFashionMnist,
  readIdx,
  decodeIdx,
  encodeIdx,
  MNIST_CLASSES,
  MNIST_COUNTS,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_COUNTS,
} from './data';
export type { IdxArray, MnistOptions } from './data';
export { studentJob, prunePointJob, prunedSimpleNet } from './jobs';
export type { StudentArgs, StudentRecipe, StudentSetting, PrunePointArgs, PrunePointMeta } from './jobs';
export { BRIEF_TABLE, COURSE_ROWS, LITERATURE, COURSE_MAP, formatClaim, citationsFor } from './brief';
export type { BriefRow, CourseRow, TableRowKey, Citation, ClaimRange } from './brief';
export { verdict, cell, numberAt, firstNumber, comparisonMarkdown } from './comparison';
export type { Verdict, ComparisonCell, SpeedFigure, ComparisonRow, RealSizeSource, RealSizeColumn } from './comparison';
export { realSizeColumn } from './real-size';
export type { RowClaims, RealSizeRowKey } from './real-size';
export { deepCompress } from './deep-compression';
export type { DeepCompressionOptions, DeepCompressionReport } from './deep-compression';
export { BRIEF_DISTILLATION, briefDistillationLoss } from './distillation';
export { deploymentModels } from './deploy-models';
export type { DeployModel, DeploymentModelsOptions } from './deploy-models';
export { digitRequests, malformedRequests, loadWithActions } from './serve-scenario';
export type { TimedAction } from './serve-scenario';
export { addNoise, rotateImages } from './shifts';
export { encodeDeepCompression } from './deep-compression-file';
export { prepareWebModels, startWebDemo, webRoot, webRuntimeFiles } from './web-demo';
export type { WebModel, WebModelEntry, WebModelsInfo } from './web-demo';
export { webDemoModels } from './web-demo-models';
export type { WebDemoModels, WebDemoModelsOptions } from './web-demo-models';
export { runWebDemoInBrowser } from './web-demo-browser';
export type { BrowserModelResult, BrowserResult, BrowserRound, BrowserRunOptions } from './web-demo-browser';
export { saveResults, readResults, resultsDir } from './results';
export type { ResultsFile } from './results';
export { check, CheckError } from './check';
export { sparsityForMacs, prunedAndTuned, pruningSpeedups, layerTimes } from './channel-speed';
export type {
  MacsCandidate,
  TunedMeta,
  PrunedAndTunedOptions,
  SpeedFigure as PruningSpeedFigure,
  PruningSpeedups,
  PruningSpeedupOptions,
} from './channel-speed';
// Real inputs for the ONNX-in chapter: rendered text for PaddleOCR's models, spoken sentences for Silero VAD.
export {
  OCR_FONTS,
  OCR_LINES,
  renderText,
  recognizerFeeds,
  detectorFeeds,
  ocrAsset,
  ocrCharacters,
  ctcDecode,
} from './ocr-inputs';
export {
  SPEECH_SENTENCES,
  VAD_FRAME,
  VAD_RATE,
  vadModelPath,
  synthesizeSpeech,
  vadFrames,
  vadRun,
} from './speech-inputs';
export * from './library';
