// Deployment: the inference server over a versioned model registry, with metrics and validation.
export { startServer } from './server';
export type { ServerOptions, InferenceServer } from './server';
export { publishModel, listVersions, latestVersion, loadVersion, versionDir, compareVersions } from './registry';
export type { PublishOptions } from './registry';
export { parsePredictBody, RequestError } from './validate';
export type { PredictInput, ValidationLimits } from './validate';
export { createMetrics, metricValue, LATENCY_BUCKETS } from './metrics';
export type { ServerMetrics } from './metrics';
export { ModelSlot } from './model-slot';
export type { Prediction } from './handlers';
export { startStaticServer } from './static-server';
export type { StaticServer, StaticServerOptions } from './static-server';
