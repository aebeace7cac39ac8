// Running a piece of a test on another backend (the cpu reference) and coming back.
import * as tf from '@tensorflow/tfjs';

/** Runs `fn` with backend `name` active, then restores the previous backend. */
export async function onBackend<T>(name: 'cpu' | 'wasm', fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  await tf.setBackend(name);
  try {
    return await fn();
  } finally {
    await tf.setBackend(previous);
  }
}

/** Max |a - b| over two tensors (plain number). */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}
