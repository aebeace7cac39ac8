// Filling the model cache with the course's trained models at once: the missing ones train in
// parallel as executor jobs (one worker thread per core by default, or the Redis queue of
// TFJS_COMPRESS_REDIS_URL), so a cold run keeps both cores busy instead of training one model
// per notebook on one core.
import { ConfigError, describe } from '../../lib/errors';
import { defineJob, Executor, withExecutor } from '../../lib/exec';
import { availableCores as availableWorkers } from '../../lib/exec/thread-executor';
import { checkJobArgs } from '../../lib/exec/job';
import { BaselineMeta, BaselineName, DatasetName, baselineKey, loadBaseline } from './baselines';
import { MobileNetStyleMeta, loadMobileNetStyle, mobileNetStyleCacheEntry } from './mobilenet-baseline';
import { WideCnnMeta, loadWideCnn, wideCnnCacheEntry } from './wide-cnn';
import { cachedMeta } from '../../lib/data/model-cache';

/** One course model: a baseline (SimpleNet or the CNN on MNIST or Fashion-MNIST), the MobileNetV2-style model, or the 16/32-filter CNN. */
export type BaselineSpec =
  | { readonly name: BaselineName; readonly dataset?: DatasetName; readonly seed?: number }
  | { readonly name: 'mobilenet-style'; readonly seed?: number }
  | { readonly name: 'cnn-wide' };

/** What was measured when a course model was trained. */
export type PreparedMeta = BaselineMeta | MobileNetStyleMeta | WideCnnMeta;

/** A prepared model: what was measured when it was trained, and whether that was in this call. */
export interface PreparedBaseline {
  readonly name: BaselineSpec['name'];
  readonly meta: PreparedMeta;
  readonly trainedNow: boolean;
}

const NAMES = ['simplenet', 'cnn', 'mobilenet-style', 'cnn-wide'] as const;

function cacheEntry(spec: BaselineSpec): { key: unknown; label: string } {
  if (spec.name === 'mobilenet-style') return mobileNetStyleCacheEntry(spec.seed ?? 0);
  if (spec.name === 'cnn-wide') return wideCnnCacheEntry();
  return baselineKey(spec.name, spec.dataset ?? 'mnist', spec.seed ?? 0);
}

/** True when the model is in the cache (nothing to train). */
export function baselineCached(spec: BaselineSpec): boolean {
  const { key, label } = cacheEntry(spec);
  return cachedMeta(key, label) !== undefined;
}

/** Reads (or trains and caches) one course model and returns its meta; the model is disposed. */
async function prepareOne(spec: BaselineSpec): Promise<{ meta: PreparedMeta }> {
  const b =
    spec.name === 'mobilenet-style'
      ? await loadMobileNetStyle({ ...(spec.seed !== undefined ? { seed: spec.seed } : {}) })
      : spec.name === 'cnn-wide'
        ? await loadWideCnn()
        : await loadBaseline(spec.name, {
            ...(spec.dataset ? { dataset: spec.dataset } : {}),
            ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
          });
  b.model.dispose();
  return { meta: b.meta };
}

/** Trains (or reads) one course model in a worker and returns what was measured. */
export const baselineJob = defineJob(
  'models.baseline',
  __filename,
  async (spec: BaselineSpec): Promise<PreparedMeta> => {
    checkJobArgs(spec, 'models.baseline', '{name, dataset?, seed?}');
    return (await prepareOne(spec)).meta;
  },
);

/**
 * Fills the cache with the course models of `specs` that are missing, training them in parallel
 * as executor jobs (default: one worker thread per core, or the Redis queue of
 * TFJS_COMPRESS_REDIS_URL), in the order given (list the longest first). Returns each model's
 * meta, in order.
 * @example await prepareBaselines([{name: 'mobilenet-style'}, {name: 'cnn'}, {name: 'simplenet'}]) // trained at once on two cores
 */
export async function prepareBaselines(
  specs: readonly BaselineSpec[],
  options: {
    readonly executor?: Executor;
    /** Called as each missing model finishes training, with how many are done of how many (e.g. countProgress). */
    readonly onTrained?: (done: number, total: number, name: string) => void;
  } = {},
): Promise<PreparedBaseline[]> {
  for (const s of specs) {
    if (!NAMES.includes(s?.name as (typeof NAMES)[number])) {
      throw new ConfigError(
        `prepareBaselines: specs {name: ${NAMES.map((n) => `'${n}'`).join(' | ')}, dataset?, seed?}, got ${describe(s?.name ?? s)}. Name a course model.`,
      );
    }
  }
  const missing = specs.filter((s) => !baselineCached(s));
  const calls = missing.map((args) => ({ job: baselineJob, args }));
  let trained = 0;
  const report = (s: BaselineSpec) =>
    options.onTrained?.(++trained, missing.length, `${s.name}${'dataset' in s && s.dataset ? ` (${s.dataset})` : ''}`);
  // With a progress callback, one run per model (each reports as it ends); else one map.
  const runAll = (ex: Executor): Promise<unknown> =>
    options.onTrained ? Promise.all(calls.map((c) => ex.run(c.job, c.args).then(() => report(c.args)))) : ex.map(calls);
  if (calls.length > 1) {
    if (options.executor) await runAll(options.executor);
    else await withExecutor({ workers: Math.min(calls.length, availableWorkers()) }, runAll);
  }
  const out: PreparedBaseline[] = [];
  for (const s of specs) {
    const { key, label } = cacheEntry(s);
    let meta = cachedMeta<PreparedMeta>(key, label);
    if (!meta) {
      meta = (await prepareOne(s)).meta; // trained here when it was one job alone
      report(s);
    }
    out.push({ name: s.name, meta, trainedNow: missing.includes(s) });
  }
  return out;
}
