// Deployment: the inference server over a versioned model registry (TensorFlow.js and ONNX
// versions), worker threads, dynamic batching, safe swaps, an authenticated admin API, metrics.
export { startServer } from './server';
export type { ServerOptions, InferenceServer } from './server';
export {
  publishModel,
  publishOnnx,
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
export { ADMIN_TOKEN_ENV, readAdminTokenFile, isLoopback } from './admin-auth';
export type { AdminOptions } from './admin-auth';
export { parsePredictBody } from './validate';
export type { PredictInput, ValidationLimits } from './validate';
export { RequestError } from './request-error';
export { createMetrics, metricValue, LATENCY_BUCKETS } from './metrics';
export type { ServerMetrics } from './metrics';
export type { SwapResult } from './model-manager';
export type { ExecutorStats } from './worker-protocol';
export type { Prediction } from './answer';
export { startStaticServer } from './static-server';
export type { StaticServer, StaticServerOptions } from './static-server';
