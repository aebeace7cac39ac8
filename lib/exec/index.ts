// Executors for independent jobs (training runs, search candidates, sweep points): one interface,
// an in-thread reference, a worker-thread pool on this machine's cores, and a BullMQ queue on
// Redis that workers on any number of machines pull from. Jobs are registered by name; their
// arguments are JSON plus typed arrays, their results JSON.
export { defineJob, findJob, checkJobValue, isJobArray, JobError, moduleName, modulePath } from './job';
export type { JobDefinition, JobCall, JobValue, JobArray, JobFailure } from './job';
export { InlineExecutor } from './executor';
export type { Executor } from './executor';
export { ThreadExecutor, availableCores } from './thread-executor';
export type { ThreadExecutorOptions } from './thread-executor';
export { BullMqExecutor } from './bullmq-executor';
export type { BullMqExecutorOptions } from './bullmq-executor';
export { startBullMqWorker, DEFAULT_QUEUE } from './bullmq-worker';
export type { BullMqWorkerOptions, BullMqWorkerHandle, StallOptions } from './bullmq-worker';
export { createExecutor, withExecutor, REDIS_URL_ENV } from './create';
export type { CreateExecutorOptions } from './create';
