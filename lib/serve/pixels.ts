// Uploaded images to model inputs: decoded 8-bit RGB pixels (NHWC, at the model's size), made grey
// for 1-channel models with the ITU-R 601 luma weights the run's image folders use
// (data/image-decode.ts, as tf.image.rgbToGrayscale), through the version's preprocessing
// (data/preprocess.ts, the same function the run used on its evaluation images), transposed to
// NCHW for models that take channels first. Runs in a worker thread, or on the main thread when
// it is idle.
import * as tf from '@tensorflow/tfjs';
import { ResolvedPreprocessing, preprocessPixels, resolvePreprocessing } from '../data/preprocess';
import { ImageLayout } from './contract';

/** The preprocessing of versions whose deploy.json names none: pixels / 255, the library's default. */
export const DEFAULT_PREPROCESSING: ResolvedPreprocessing = resolvePreprocessing(undefined);

/** ITU-R 601 luma weights, rounded to 8 bits as data/image-decode.ts does for grey models. */
const LUMA = [0.2989, 0.587, 0.114];

/**
 * Float32 model inputs of `count` RGB images of `layout`'s height and width (uint8 pixels, NHWC
 * with 3 channels, row-major).
 * @example pixelsToInput(Uint8Array.of(0, 255, 51), 1, {height: 1, width: 1, channels: 3, channelsFirst: false}, DEFAULT_PREPROCESSING) // [0, 1, 0.2]
 */
export function pixelsToInput(
  pixels: Uint8Array,
  count: number,
  layout: ImageLayout,
  preprocessing: ResolvedPreprocessing,
): Float32Array {
  const { height, width, channels } = layout;
  const y = tf.tidy(() => {
    const rgb = tf.tensor4d(pixels, [count, height, width, 3], 'int32');
    // floor(v + 0.5): Math.round's rounding (tf.round rounds halves to even).
    const x = channels === 1 ? tf.floor(tf.add(tf.sum(tf.mul(rgb.toFloat(), tf.tensor1d(LUMA)), -1, true), 0.5)) : rgb;
    const p = preprocessPixels(x, preprocessing, 'predict');
    return layout.channelsFirst ? tf.transpose(p, [0, 3, 1, 2]) : p;
  });
  try {
    const out = y.dataSync() as Float32Array;
    // Its own buffer, whole: it may be transferred to another thread.
    return out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
  } finally {
    y.dispose();
  }
}
