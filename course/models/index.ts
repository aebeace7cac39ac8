// The course's models: the builders, the trained baselines (cached by the library's model cache),
// and the job that trains them in parallel.
export { simpleNet } from './simplenet';
export type { SimpleNetOptions } from './simplenet';
export { cnn } from './cnn';
export { mobileNetStyle, makeDivisible, MOBILENET_V2_STAGES } from './mobilenet-style';
export type { MobileNetStyleOptions, InvertedResidualStage } from './mobilenet-style';
export { loadMobileNetStyle, fashionMnist32, MOBILENET_STYLE_RECIPE } from './mobilenet-baseline';
export type { MobileNetStyleMeta } from './mobilenet-baseline';
export type { CnnOptions } from './cnn';
export { loadBaseline, loadDataset, BASELINE_RECIPES } from './baselines';
export type { BaselineName, BaselineMeta, BaselineOptions, DatasetName } from './baselines';
export { prepareBaselines, baselineCached, baselineJob } from './prepare';
export type { BaselineSpec, PreparedBaseline, PreparedMeta } from './prepare';
export { loadWideCnn, WIDE_CNN_RECIPE } from './wide-cnn';
export type { WideCnnMeta } from './wide-cnn';
