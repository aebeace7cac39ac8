// tfjs-compress: the public API. Everything a user imports is exported here, explicitly;
// techniques are namespaces (`prune.magnitude`, `quantize.postTraining`, ...).
export * from './errors';

// Core, data, models and training (each folder's index.ts names its exports).
export * from './core';
export * from './data';
export * from './models';
export * from './train';

// The course's reference data (the brief's claims and the literature).
export * as course from './course';

// Profiler, charts and tables.
export * as profile from './profile';
export * as viz from './viz';
export * as distill from './distill';
export * as quantize from './quantize';
export * as prune from './prune';
export * as serve from './serve';
export * as monitor from './monitor';
export * as exporters from './export';
export * as nas from './nas';
export * as exec from './exec';
export * as jobs from './jobs';
export * as bench from './bench';
