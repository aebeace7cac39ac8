// Leak checks: a public function must leave tf.memory().numTensors where it found it once its
// outputs are disposed.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';

/** Runs `fn`, disposes what it returns (tensors, models, arrays or objects of them), and expects no new tensors. */
export async function expectNoLeak(fn: () => unknown | Promise<unknown>): Promise<void> {
  const before = tf.memory().numTensors;
  const out = await fn();
  disposeDeep(out);
  expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
}

/** Disposes tensors and layers models found in a value (recursively through arrays and plain objects). */
export function disposeDeep(value: unknown, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof tf.Tensor) {
    value.dispose();
    return;
  }
  if (value instanceof tf.LayersModel) {
    value.dispose();
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v) => disposeDeep(v, seen));
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) Object.values(value).forEach((v) => disposeDeep(v, seen));
}
