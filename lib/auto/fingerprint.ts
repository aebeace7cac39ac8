// What identifies a search, so that a journal is reused only by the same search: the model's
// topology and weights, the search and held-out data, and every option that changes a measurement.
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'crypto';
import { hashConfig } from '../core/hash';
import { DataSource, isTfDataset } from '../data/source';
import { isImageSet } from '../data/image-set';
import { ResolvedAutoOptions } from './options';

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function dataHash(source: DataSource): string {
  const h = createHash('sha256');
  if (isImageSet(source)) {
    h.update(bytesOf(source.images)).update(bytesOf(source.labels));
    h.update(JSON.stringify(source.preprocessing ?? null));
  } else if (isTfDataset(source)) h.update('tf.data.Dataset');
  else {
    h.update(bytesOf(source.xs.dataSync()));
    if (source.ys) h.update(bytesOf(source.ys.dataSync()));
  }
  return h.digest('hex').slice(0, 16);
}

/** The search's identity: a short hash. */
export function searchFingerprint(
  model: tf.LayersModel,
  data: { readonly search: DataSource; readonly heldOut: DataSource; readonly training?: DataSource },
  options: ResolvedAutoOptions,
): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(model.toJSON(null, false)));
  for (const w of model.getWeights()) h.update(bytesOf(w.dataSync()));
  const { journalDir: _dir, onEvaluation: _fn, budgetSeconds: _budget, executor: _executor, ...measured } = options;
  return hashConfig({
    model: h.digest('hex'),
    search: dataHash(data.search),
    heldOut: dataHash(data.heldOut),
    training: data.training ? dataHash(data.training) : undefined,
    options: measured,
  });
}
