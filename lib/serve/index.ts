// Deployment: the inference server over a versioned model registry (TensorFlow.js and ONNX
// versions), worker threads, dynamic batching, safe swaps, an authenticated admin API, metrics;
// JSON, image uploads and the Open Inference Protocol (KServe v2); publishing a run's artifact.
export { startServer } from './server';
export type { ServerOptions, InferenceServer, TlsOptions } from './server';
export { publishForServing } from './deploy';
export type { PublishForServingOptions, PublishedForServing } from './deploy';
export type { AccessOptions } from './access';
export type { ImageLimits } from './image-decode';
export type { ImageLayout } from './contract';
export type { VersionDeployment } from './version-deployment';
export {
  publishModel,
  publishOnnx,
  publishArtifacts,
  listVersions,
  latestVersion,
  loadVersion,
  compareVersions,
} from './registry';
export type { PublishOptions, VersionSource, VersionFormat } from './registry';
export type { ServingManifest } from './serving-manifest';
export type { ServingContract, TensorContract } from './contract';
export type { AdminOptions } from './admin-auth';
export type { PredictInput, ValidationLimits } from './validate';
export type { ServerMetrics } from './metrics';
export type { SwapResult } from './model-manager';
export type { ExecutorStats } from './worker-protocol';
export type { Prediction, RankedClass } from './answer';
export type { StaticServer, StaticServerOptions } from './static-server';
