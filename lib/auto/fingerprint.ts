// What identifies a search, so that a journal is reused only by the same search: the model's
// topology and weights, the search and held-out data, and every option that changes a measurement.
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'crypto';
import { hashConfig } from '../core/hash';
import { DataSource } from '../data/source';
import { sourceFingerprint } from '../data/source-info';
import { ResolvedAutoOptions } from './options';

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// A tf.data.Dataset cannot be read without consuming it: every one hashes alike.
const dataHash = (source: DataSource): string => (sourceFingerprint(source) ?? 'tf.data.Dataset').slice(0, 16);

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
