// Helpers of the TFLite export tests: seeded inputs and the largest output difference between
// an exported file run in TFLite (tfjs-tflite-node) and tfjs.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../lib/core/rng';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { runTflite, tfliteInterpreter } from '../../lib/export/tflite/runtime';

/** Seeded inputs of `shape` (batch first) in [lo, hi). */
export function randomInput(shape: readonly number[], seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng.next());
}

/** Max |TFLite - tfjs| of the float32 export of `model` over `n` seeded inputs in [lo, hi), run at batch `batch`. */
export function tfliteMaxDiff(model: tf.LayersModel, n: number, batch: number, lo = -1, hi = 1): number {
  const shape = (model.inputs[0]?.shape ?? []).slice(1) as number[];
  const x = randomInput([n, ...shape], 7, lo, hi);
  const want = tf.tidy(() => (model.predict(tf.tensor(x, [n, ...shape])) as tf.Tensor).dataSync());
  const got = runTflite(tfliteInterpreter(toTflite(model, { batchSize: batch })), x);
  if (got.length !== want.length) throw new Error(`tfliteMaxDiff: ${want.length} outputs expected, got ${got.length}`);
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs((got[i] as number) - (want[i] as number)));
  return d;
}

/** Fraction of rows whose argmax agrees between two row-major [n, k] outputs. */
export function top1Agreement(a: ArrayLike<number>, b: ArrayLike<number>, k: number): number {
  const n = a.length / k;
  const argmax = (v: ArrayLike<number>, i: number) => {
    let best = 0;
    for (let j = 1; j < k; j++) if ((v[i * k + j] as number) > (v[i * k + best] as number)) best = j;
    return best;
  };
  let same = 0;
  for (let i = 0; i < n; i++) if (argmax(a, i) === argmax(b, i)) same++;
  return same / n;
}

/** SQNR (dB) of `approx` against `reference`. */
export function sqnrDb(approx: ArrayLike<number>, reference: ArrayLike<number>): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += (reference[i] as number) ** 2;
    noise += ((approx[i] as number) - (reference[i] as number)) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}
