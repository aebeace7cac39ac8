// Input preprocessing as the model expects it: how 8-bit pixels (0..255, RGB, NHWC) become the
// float inputs a model was trained on. Keras applications each name one `preprocess_input` mode
// (keras/applications/imagenet_utils.py), and this module names the same ones:
//   - 'unit'      x / 255                                   -> [0, 1]   (the library's default)
//   - 'mobilenet' x / 127.5 - 1                             -> [-1, 1]  (Keras mode "tf": MobileNet,
//                                                                        MobileNetV2, Inception, Xception)
//   - 'caffe'     RGB -> BGR, minus the ImageNet BGR mean   -> ~[-124, 152] (ResNet50 v1, VGG)
//   - 'torch'     x / 255, minus mean, over std (ImageNet)  -> ~[-2.1, 2.6] (DenseNet, torchvision)
//   - 'none'      x as it is                                -> [0, 255] (EfficientNet: it rescales inside)
// or explicit numbers: y[c] = (x[order[c]] * scale - mean[c]) / std[c].
//
// A preprocessing is plain JSON, so the run report and the serving manifest store it and `serve`
// applies the same one to an uploaded image.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, describe } from '../errors';

/** The named modes of Keras' `preprocess_input`, plus 'unit' ([0, 1]) and 'none' (raw 0..255). */
export const PREPROCESS_PRESETS = ['unit', 'mobilenet', 'caffe', 'torch', 'none'] as const;
export type PreprocessPreset = (typeof PREPROCESS_PRESETS)[number];

/** How pixels become model inputs: a preset, or explicit numbers (the numbers override the preset's). */
export interface Preprocessing {
  /** A named mode. Default 'unit'. */
  readonly preset?: PreprocessPreset;
  /** Multiplies the 0..255 pixel value first. */
  readonly scale?: number;
  /** Subtracted per channel after scaling (one value for every channel, or one per channel). */
  readonly mean?: number | readonly number[];
  /** Divides per channel after the mean (one value, or one per channel); non-zero. */
  readonly std?: number | readonly number[];
  /** Channel order the model expects: 'rgb' (default) or 'bgr' (caffe). */
  readonly channelOrder?: 'rgb' | 'bgr';
}

/** A preprocessing with every number spelled out: y[c] = (x[order[c]] * scale - mean[c]) / std[c]. */
export interface ResolvedPreprocessing {
  readonly preset: PreprocessPreset | 'custom';
  readonly scale: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly channelOrder: 'rgb' | 'bgr';
}

// keras/applications/imagenet_utils.py: caffe's mean is in BGR order; torch's mean/std in RGB.
const PRESETS: Readonly<Record<PreprocessPreset, Omit<ResolvedPreprocessing, 'preset'>>> = {
  unit: { scale: 1 / 255, mean: [0], std: [1], channelOrder: 'rgb' },
  mobilenet: { scale: 1 / 127.5, mean: [1], std: [1], channelOrder: 'rgb' },
  caffe: { scale: 1, mean: [103.939, 116.779, 123.68], std: [1], channelOrder: 'bgr' },
  torch: { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channelOrder: 'rgb' },
  none: { scale: 1, mean: [0], std: [1], channelOrder: 'rgb' },
};

// Bounds that keep every output finite in float32: |x * scale - mean| / |std| <= (255e6 + 1e6) / 1e-6.
const LIMIT = 1e6;
const SMALLEST = 1e-6;
const finite = (v: unknown, nonZero: boolean): v is number =>
  typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= LIMIT && (!nonZero || Math.abs(v) >= SMALLEST);

function perChannel(fn: string, name: string, value: number | readonly number[], nonZero: boolean): readonly number[] {
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || (list.length !== 1 && list.length !== 3) || !list.every((v) => finite(v, nonZero))) {
    throw new ConfigError(
      `${fn}: ${name} as one number or three (one per channel), each finite${nonZero ? `, at least ${SMALLEST} in size` : ''} ` +
        `and within ±${LIMIT}, got ${describe(value)}. Write e.g. ${name === 'std' ? '[0.229, 0.224, 0.225]' : '[0.485, 0.456, 0.406]'}.`,
    );
  }
  return list;
}

const sameNumbers = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The preprocessing with every number spelled out (the preset's numbers, overridden by explicit
 * ones). A resolved preprocessing resolves to itself, so either form may be passed on.
 * @example resolvePreprocessing({preset: 'mobilenet'}) // {preset: 'mobilenet', scale: 1/127.5, mean: [1], std: [1], channelOrder: 'rgb'}
 */
export function resolvePreprocessing(
  p: Preprocessing | ResolvedPreprocessing | undefined,
  fn = 'resolvePreprocessing',
): ResolvedPreprocessing {
  const given = (p ?? {}) as Omit<Preprocessing, 'preset'> & { readonly preset?: PreprocessPreset | 'custom' };
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new ConfigError(
      `${fn}: a preprocessing object such as {preset: 'mobilenet'}, got ${describe(p)}. Pass an object.`,
    );
  }
  const wasCustom = given.preset === 'custom';
  const preset = wasCustom ? 'unit' : (given.preset ?? 'unit');
  if (!(PREPROCESS_PRESETS as readonly string[]).includes(preset)) {
    throw new ConfigError(
      `${fn}: preset one of ${PREPROCESS_PRESETS.join(', ')}, got ${describe(preset)}. ` +
        `Use the mode your model's Keras preprocess_input uses ('mobilenet' for MobileNet/Inception, 'caffe' for ResNet50/VGG).`,
    );
  }
  const base = PRESETS[preset];
  if (given.scale !== undefined && !finite(given.scale, true)) {
    throw new ConfigError(
      `${fn}: scale a finite number of size ${SMALLEST} to ${LIMIT}, got ${describe(given.scale)}. Use e.g. 0.00392156862745098 (1/255).`,
    );
  }
  if (given.channelOrder !== undefined && given.channelOrder !== 'rgb' && given.channelOrder !== 'bgr') {
    throw new ConfigError(
      `${fn}: channelOrder 'rgb' or 'bgr', got ${describe(given.channelOrder)}. Use 'bgr' for Caffe-style models.`,
    );
  }
  const resolved = {
    scale: given.scale ?? base.scale,
    mean: given.mean !== undefined ? perChannel(fn, 'mean', given.mean, false) : base.mean,
    std: given.std !== undefined ? perChannel(fn, 'std', given.std, true) : base.std,
    channelOrder: given.channelOrder ?? base.channelOrder,
  };
  const custom =
    wasCustom ||
    resolved.scale !== base.scale ||
    !sameNumbers(resolved.mean, base.mean) ||
    !sameNumbers(resolved.std, base.std) ||
    resolved.channelOrder !== base.channelOrder;
  return { preset: custom ? 'custom' : preset, ...resolved };
}

/** True when two preprocessings compute the same inputs (every number equal). */
export function samePreprocessing(a: ResolvedPreprocessing, b: ResolvedPreprocessing): boolean {
  return (
    a.scale === b.scale && a.channelOrder === b.channelOrder && sameNumbers(a.mean, b.mean) && sameNumbers(a.std, b.std)
  );
}

/** True when the preprocessing leaves pixel values as they are (0..255, RGB): 'none'. */
export function isIdentityPreprocessing(p: ResolvedPreprocessing): boolean {
  return samePreprocessing(p, { preset: 'none', ...PRESETS.none });
}

/** Short text of a preprocessing for messages, e.g. "mobilenet" or "custom (scale 0.5, mean [1], std [1], rgb)". */
export function describePreprocessing(p: ResolvedPreprocessing): string {
  return p.preset !== 'custom'
    ? `'${p.preset}'`
    : `custom (scale ${p.scale}, mean ${JSON.stringify(p.mean)}, std ${JSON.stringify(p.std)}, ${p.channelOrder})`;
}

/**
 * Applies `p` to 8-bit pixels `x` (NHWC or HWC, 1 or 3 channels, any numeric dtype) and returns float32.
 * The input is borrowed; the caller owns the result.
 * @example preprocessPixels(tf.tensor3d([[[0, 127.5, 255]]]), resolvePreprocessing({preset: 'mobilenet'})) // [[[-1, 0, 1]]]
 */
export function preprocessPixels(x: tf.Tensor, p: ResolvedPreprocessing, fn = 'preprocessPixels'): tf.Tensor {
  const channels = x.shape[x.rank - 1];
  if (x.rank < 3 || (channels !== 1 && channels !== 3)) {
    throw new ShapeError(
      `${fn}: pixels of shape (..., height, width, 1 or 3), got ${describe(x.shape)}. Pass decoded images in NHWC layout.`,
    );
  }
  const perChannelCount = Math.max(p.mean.length, p.std.length);
  if (channels === 1 && (perChannelCount > 1 || p.channelOrder === 'bgr')) {
    throw new ConfigError(
      `${fn}: a single mean and std and RGB order for 1-channel images, got ${describe(p.mean)} / ${describe(p.std)}` +
        ` (${p.channelOrder}). Use a preset such as 'unit' for grey images, or one mean and std.`,
    );
  }
  return tf.tidy(() => {
    let y = x.toFloat();
    if (p.channelOrder === 'bgr') y = tf.reverse(y, -1);
    if (p.scale !== 1) y = tf.mul(y, p.scale);
    const mean = p.mean.length === 1 ? (p.mean[0] as number) : tf.tensor1d(p.mean as number[]);
    const std = p.std.length === 1 ? (p.std[0] as number) : tf.tensor1d(p.std as number[]);
    if (mean !== 0) y = tf.sub(y, mean);
    if (std !== 1) y = tf.div(y, std);
    return y;
  });
}

/** The preprocessing applied to one pixel value per channel (plain numbers; for reports and tests). */
export function preprocessValue(rgb: readonly number[], p: ResolvedPreprocessing): number[] {
  const ordered = p.channelOrder === 'bgr' ? [...rgb].reverse() : [...rgb];
  return ordered.map(
    (v, c) =>
      (v * p.scale - (p.mean[p.mean.length === 1 ? 0 : c] as number)) / (p.std[p.std.length === 1 ? 0 : c] as number),
  );
}

/**
 * As {@link preprocessPixels}, on plain 8-bit values in NHWC order with `channels` per pixel, into
 * float32 (what batches built in JavaScript use: one float32 array, no intermediate tensors).
 * @example preprocessArray(Uint8Array.of(0, 127.5, 255), 3, resolvePreprocessing({preset: 'caffe'}))
 */
export function preprocessArray(
  pixels: ArrayLike<number>,
  channels: number,
  p: ResolvedPreprocessing,
  fn = 'preprocessArray',
): Float32Array {
  if (channels !== 1 && channels !== 3) {
    throw new ShapeError(`${fn}: pixels with 1 or 3 channels, got ${describe(channels)}. Convert the images first.`);
  }
  if (channels === 1 && (Math.max(p.mean.length, p.std.length) > 1 || p.channelOrder === 'bgr')) {
    throw new ConfigError(
      `${fn}: a single mean and std and RGB order for 1-channel images, got ${describe(p.mean)} / ${describe(p.std)}` +
        ` (${p.channelOrder}). Use a preset such as 'unit' for grey images, or one mean and std.`,
    );
  }
  // y[c] = (x[order[c]] * scale - mean[c]) / std[c] = x[order[c]] * a[c] + b[c]
  const a = Array.from({ length: channels }, (_, c) => p.scale / (p.std[p.std.length === 1 ? 0 : c] as number));
  const b = Array.from(
    { length: channels },
    (_, c) => -(p.mean[p.mean.length === 1 ? 0 : c] as number) / (p.std[p.std.length === 1 ? 0 : c] as number),
  );
  const bgr = p.channelOrder === 'bgr';
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const src = bgr ? channels - 1 - c : c;
      out[i + c] = (pixels[i + src] as number) * (a[c] as number) + (b[c] as number);
    }
  }
  return out;
}
