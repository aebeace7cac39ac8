// Reshaping an ImageSet to another model's input: bilinear resize (tf.image.resizeBilinear) and
// grey -> RGB by repeating the channel, done in chunks so memory stays bounded. How the course
// turns 28x28 Fashion-MNIST into the 32x32x3 images a MobileNet-style network takes.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { ImageSet, imageSize } from './image-set';

/** Target shape of {@link resizeImageSet}. */
export interface ResizeOptions {
  readonly height: number;
  readonly width: number;
  /** 1 or 3; grey images are repeated into 3 channels, RGB to grey is the mean (default: unchanged). */
  readonly channels?: number;
}

/**
 * A new ImageSet with every image resized (bilinear, half-pixel centres) and re-channelled.
 * @example resizeImageSet(loadFashionMnist().train, {height: 32, width: 32, channels: 3}).images.length // 60000 * 3072
 */
export function resizeImageSet(set: ImageSet, options: ResizeOptions): ImageSet {
  const channels = options.channels ?? set.channels;
  for (const [k, v] of [
    ['height', options.height],
    ['width', options.width],
  ] as const) {
    if (!(Number.isInteger(v) && v > 0 && v <= 4096))
      throw new ConfigError(
        `resizeImageSet: ${k} an integer in [1, 4096], got ${describe(v)}. Pass the model's input size.`,
      );
  }
  if (channels !== 1 && channels !== 3)
    throw new ConfigError(`resizeImageSet: channels 1 or 3, got ${describe(channels)}. Use 3 for RGB models.`);
  if (set.channels !== 1 && set.channels !== 3)
    throw new ConfigError(`resizeImageSet: images with 1 or 3 channels, got ${set.channels}. Convert them first.`);
  const out = { ...set, height: options.height, width: options.width, channels };
  const inSize = imageSize(set);
  const outSize = imageSize(out);
  const images = new Uint8Array(set.count * outSize);
  const chunk = Math.max(1, Math.floor(4_000_000 / Math.max(inSize, outSize)));
  for (let s = 0; s < set.count; s += chunk) {
    const n = Math.min(chunk, set.count - s);
    const t = tf.tidy(() => {
      let x: tf.Tensor4D = tf
        .tensor4d(set.images.subarray(s * inSize, (s + n) * inSize), [n, set.height, set.width, set.channels], 'int32')
        .toFloat();
      if (set.height !== options.height || set.width !== options.width)
        x = tf.image.resizeBilinear(x, [options.height, options.width], false, true);
      if (set.channels === 1 && channels === 3) x = tf.tile(x, [1, 1, 1, 3]);
      if (set.channels === 3 && channels === 1) x = tf.mean(x, 3, true);
      return tf.clipByValue(tf.round(x), 0, 255).toInt();
    });
    images.set(t.dataSync(), s * outSize);
    t.dispose();
  }
  return { ...out, name: `${set.name}-${options.height}x${options.width}x${channels}`, images };
}
