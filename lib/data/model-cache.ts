// A disk cache of trained models, keyed by a hash of everything that determines them (config,
// data, training recipe, recipe version). Entries are written atomically; a damaged entry is
// retrained. Any module that trains something reusable (baselines, teachers, NAS candidates)
// goes through here, so notebooks and scripts share the work.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { cacheDir } from '../core/cache-dir';
import { hashConfig } from '../core/hash';
import { writeJsonAtomic } from '../core/atomic';
import { loadModel, saveModel } from '../data/model-io';

/** A cached model and what was recorded when it was trained. */
export interface CachedModel<M> {
  readonly model: tf.LayersModel;
  readonly meta: M;
  /** True when read from the cache, false when trained in this call. */
  readonly fromCache: boolean;
  /** The entry's folder (model.json, weights.bin, meta.json). */
  readonly dir: string;
}

/** Folder of the entry for `key` under the cache's `models/` area. */
export function modelCacheDir(key: unknown, label = 'model'): string {
  return path.join(cacheDir('models'), `${label.replace(/[^a-zA-Z0-9_-]/g, '_')}-${hashConfig(key)}`);
}

/** What was recorded when the entry for `key` was trained, or undefined when it is not cached (or its meta is damaged). */
export function cachedMeta<M>(key: unknown, label: string): M | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(modelCacheDir(key, label), 'meta.json'), 'utf8')) as { meta: M }).meta;
  } catch {
    return undefined;
  }
}

/**
 * Returns the cached model for `key`, or builds it with `train`, caches it, and returns it.
 * The caller owns the returned model.
 */
export async function cachedModel<M>(
  key: unknown,
  label: string,
  train: () => Promise<{ model: tf.LayersModel; meta: M }>,
): Promise<CachedModel<M>> {
  const dir = modelCacheDir(key, label);
  const metaFile = path.join(dir, 'meta.json');
  if (fs.existsSync(metaFile)) {
    try {
      const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as { key: unknown; meta: M };
      const model = await loadModel(dir);
      return { model, meta: meta.meta, fromCache: true, dir };
    } catch {
      // Damaged entry: fall through and retrain.
    }
  }
  const { model, meta } = await train();
  fs.rmSync(metaFile, { force: true }); // a damaged entry's meta must not outlive it
  await saveModel(model, dir);
  writeJsonAtomic(metaFile, { key, meta }); // written last: its presence marks a complete entry
  return { model, meta, fromCache: false, dir };
}
