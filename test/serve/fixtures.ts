// Tiny registries for the server tests: MLPs with 4 inputs and 3 classes, versions 1 and 2.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { simpleNet } from '../../lib/models/simplenet';
import { publishModel } from '../../lib/serve/registry';

/** A fresh registry folder with `name` at versions '1' (seed 1) and '2' (seed 2). */
export async function tinyRegistry(name = 'tiny'): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-registry-'));
  for (const version of ['1', '2']) {
    const model = simpleNet({ seed: Number(version), hidden: [8], inputSize: 4, numClasses: 3 });
    await publishModel(model, { registryDir: dir, name, version });
    model.dispose();
  }
  return dir;
}

/** POSTs JSON (or a raw string) and returns status and parsed body. */
export async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* plain text */ }
  return { status: res.status, body: parsed };
}

/** Softmax of a model's logits on rows (reference for the server's answers). */
export function localProbs(model: tf.LayersModel, rows: number[][]): number[][] {
  return tf.tidy(() => tf.softmax(model.predict(tf.tensor2d(rows)) as tf.Tensor).arraySync() as number[][]);
}
