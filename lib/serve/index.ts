// Deployment: the inference server over a versioned model registry (TensorFlow.js and ONNX
// versions), worker threads, dynamic batching, safe swaps, an authenticated admin API, metrics;
// JSON, image uploads and the Open Inference Protocol (KServe v2); publishing a run's artifact.
export { startServer } from './server';
export type { ServerOptions, InferenceServer, TlsOptions } from './server';
export { publishForServing, readDeployment, chooseArtifact, registryNameOf } from './deploy';
export type { PublishForServingOptions, PublishedForServing } from './deploy';
export { AccessGuard, INFERENCE_TOKEN_ENV } from './access';
export type { AccessOptions } from './access';
export { parseInferBody, V2_INPUT } from './infer-request';
export { V2_OUTPUT, topIndices } from './answer';
export type { ImageLimits } from './image-decode';
export { imageLayout } from './contract';
export type { ImageLayout } from './contract';
export { readVersionDeployment } from './version-deployment';
export type { VersionDeployment } from './version-deployment';
export {
  publishModel,
  publishOnnx,
  publishArtifacts,
  listVersions,
  latestVersion,
  loadVersion,
  versionDir,
  versionSource,
  compareVersions,
} from './registry';
export type { PublishOptions, VersionSource, VersionFormat } from './registry';
export { onnxServingManifest, readServingManifest } from './serving-manifest';
export type { ServingManifest } from './serving-manifest';
export { ContractError, layersModelContract, contractMismatch } from './contract';
export type { ServingContract, TensorContract } from './contract';
export { ADMIN_TOKEN_ENV, readAdminTokenFile, readTokenFile, isLoopback } from './admin-auth';
export type { AdminOptions } from './admin-auth';
export { parsePredictBody } from './validate';
export type { PredictInput, ValidationLimits } from './validate';
export { RequestError } from './request-error';
export { createMetrics, metricValue, LATENCY_BUCKETS } from './metrics';
export type { ServerMetrics } from './metrics';
export type { SwapResult } from './model-manager';
export type { ExecutorStats } from './worker-protocol';
export type { Prediction, RankedClass } from './answer';
export { startStaticServer } from './static-server';
export type { StaticServer, StaticServerOptions } from './static-server';
