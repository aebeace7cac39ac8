// Executors for independent jobs (training runs, search candidates, sweep points): one interface,
// an in-thread reference, a worker-thread pool on this machine's cores, and a BullMQ queue on
// Redis that workers on any number of machines pull from. Jobs are registered by name; a worker
// runs only the jobs its own code registered; their arguments are JSON plus typed arrays, their
// results JSON, and every payload is checked against one schema.
export { defineJob } from './job';
export type { JobDefinition, JobCall, JobTable } from './job';
export type { JobValue, JobArray, JobPayload, BlobRef } from './payload';
export { JobError, JobLostError, JobTimeoutError } from './failure';
export type { JobFailure } from './failure';
export { InlineExecutor } from './executor';
export type { Executor } from './executor';
export { ThreadExecutor } from './thread-executor';
export type { ThreadExecutorOptions } from './thread-executor';
export { BullMqExecutor } from './bullmq-executor';
export type { BullMqExecutorOptions } from './bullmq-executor';
export { startBullMqWorker } from './bullmq-worker';
export type { BullMqWorkerOptions, BullMqWorkerHandle, StallOptions } from './bullmq-worker';
export type { RedisOptions } from './redis';
export { createExecutor, withExecutor } from './create';
export type { CreateExecutorOptions } from './create';
