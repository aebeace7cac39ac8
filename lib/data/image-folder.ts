// Loading an image folder (see folder-index.ts for the layouts and class names) as an ImageSet of
// the model's input size: the files are chosen first (seeded shuffle, validation split, limit),
// then only those are read and decoded, asynchronously (reads through the safe-open primitive,
// decoding and downscaling in sharp's libuv threads, image-decode.ts) with bounded concurrency
// and a progress callback. Pixels are resized as Keras' image_dataset_from_directory resizes them
// (bilinear, half-pixel centres), rounded to uint8. The set carries the preprocessing its pixels
// need, so calibration, evaluation and fine-tuning all feed the model the same inputs.
//
// In memory, not a streaming tf.data.Dataset: an ImageSet holds one byte per value (a 224x224 RGB
// image is 147 KiB, 4x less than float32 tensors), is read once and then shuffled, split and
// batched for free; calibration, evaluation and fine-tuning sets of a few thousand images fit.
// The decoded size is computed from the file count before any image is decoded and refused past
// `maxBytes` (take a `limit` or a `validationSplit` subset instead).
//
// The validation split follows Keras: the files are shuffled with `seed`, the last
// floor(validationSplit x n) form the 'validation' subset and the rest 'training', so the two
// subsets of one seed never overlap. The order of the result is that shuffled order (so the
// first examples mix the classes).
//
// Hostile input: every file is opened through the safe-open primitive (inside the folder, never
// a FIFO or device, size capped before reading), images are capped in pixels from their header
// and in decoding time, and any failure is a DataError naming the file: nothing partial is
// returned, and the other reads in flight are drained before the error is thrown.
import * as path from 'path';
import { ConfigError, DataError, describe } from '../errors';
import { permutation } from '../core/rng';
import { readRegularFileAsync } from '../core/read-file';
import { ImageSet, labelsFor, makeImageSet } from './image-set';
import { DEFAULT_DECODE_SECONDS, DEFAULT_MAX_PIXELS, decodeImage } from './image-decode';
import { ImageFolderEntry, FolderIndexOptions, imageFolderIndex } from './folder-index';
import { Preprocessing, ResolvedPreprocessing, resolvePreprocessing } from './preprocess';

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions extends FolderIndexOptions {
  /** Size every image is resized to (the model's input). */
  readonly height: number;
  readonly width: number;
  /** 3 (RGB, default) or 1 (grey). */
  readonly channels?: 1 | 3;
  /** How the pixels become model inputs, stored on the set (every batch of it then uses it). Default: none stored ('unit', [0, 1], unless a batch asks otherwise). */
  readonly preprocessing?: Preprocessing | ResolvedPreprocessing;
  /** Refuse a folder without labels (a flat folder) before reading any image: evaluation and training need them. */
  readonly requireLabels?: boolean;
  /** Fraction of the files held out, in (0, 1); with `subset`. */
  readonly validationSplit?: number;
  /** Which side of the split to load (required with validationSplit). */
  readonly subset?: 'training' | 'validation';
  /** Seed of the shuffle (and so of the split). Default 0. */
  readonly seed?: number;
  /** Load at most this many images (chosen after the shuffle and split; the others are never read). */
  readonly limit?: number;
  /** Largest image file read, in bytes. Default 32 MiB. */
  readonly maxFileBytes?: number;
  /** Largest image, in pixels, checked from its header. Default 16 million. */
  readonly maxPixels?: number;
  /** Longest decode of one image, in whole seconds. Default 10. */
  readonly maxDecodeSeconds?: number;
  /** Largest ImageSet built, in bytes (count x height x width x channels). Default 2 GiB. */
  readonly maxBytes?: number;
  /** Images read and decoded at once. Default 4 (libuv's default thread pool). */
  readonly concurrency?: number;
  /** Called after each decoded image (progress). */
  readonly onImage?: (done: number, total: number) => void;
}

function check(options: ImageFolderOptions, fn: string): void {
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `${fn}: options with height and width, got ${describe(options)}. Pass the model's input size.`,
    );
  for (const [k, v] of [
    ['height', options.height],
    ['width', options.width],
  ] as const) {
    if (!(Number.isInteger(v) && v > 0 && v <= 4096))
      throw new ConfigError(`${fn}: ${k} an integer in [1, 4096], got ${describe(v)}. Pass the model's input size.`);
  }
  const c = options.channels ?? 3;
  if (c !== 1 && c !== 3) throw new ConfigError(`${fn}: channels 1 or 3, got ${describe(c)}. Use 3 for RGB models.`);
  const split = options.validationSplit;
  if (split !== undefined && !(split > 0 && split < 1))
    throw new ConfigError(`${fn}: validationSplit in (0, 1), got ${describe(split)}. Use e.g. 0.2.`);
  if (
    (split === undefined) !== (options.subset === undefined) ||
    (options.subset !== undefined && !['training', 'validation'].includes(options.subset))
  ) {
    throw new ConfigError(
      `${fn}: validationSplit together with subset 'training' or 'validation', got ${describe(split)} and ${describe(options.subset)}. Pass both (as Keras does), or neither.`,
    );
  }
  const positive: [string, unknown, string][] = [
    ['limit', options.limit, 'Omit it to load every image.'],
    ['concurrency', options.concurrency, 'Use e.g. 4.'],
    ['maxFileBytes', options.maxFileBytes, 'Use e.g. 33554432 (32 MiB).'],
    ['maxPixels', options.maxPixels, `Use e.g. ${DEFAULT_MAX_PIXELS}.`],
    ['maxBytes', options.maxBytes, 'Use e.g. 2147483648 (2 GiB).'],
    ['maxFiles', options.maxFiles, 'Use e.g. 1000000.'],
    ['maxDecodeSeconds', options.maxDecodeSeconds, `Use e.g. ${DEFAULT_DECODE_SECONDS}.`],
  ];
  for (const [k, v, fix] of positive)
    if (v !== undefined && !(Number.isSafeInteger(v) && (v as number) > 0))
      throw new ConfigError(`${fn}: ${k} a positive integer, got ${describe(v)}. ${fix}`);
}

/** The entries to load, in load order: seeded shuffle, then the split's side, then the limit. */
function choose(entries: readonly ImageFolderEntry[], o: ImageFolderOptions, dir: string, fn: string) {
  const order = permutation(entries.length, o.seed ?? 0);
  let picked = Array.from(order, (i) => entries[i] as ImageFolderEntry);
  if (o.validationSplit !== undefined) {
    const nVal = Math.floor(o.validationSplit * entries.length);
    if (nVal === 0 || nVal === entries.length) {
      throw new DataError(
        `${fn}: a validationSplit that leaves images on both sides, got ${o.validationSplit} of ${entries.length} images. Use a larger folder or another fraction.`,
        dir,
      );
    }
    picked = o.subset === 'validation' ? picked.slice(entries.length - nVal) : picked.slice(0, entries.length - nVal);
  }
  return o.limit !== undefined ? picked.slice(0, o.limit) : picked;
}

/** Runs `work(i)` for i in [0, n) with at most `concurrency` at once; the first error wins once all in flight are done. */
async function pool(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < n) {
      const i = next++;
      try {
        await work(i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  if (failure) throw failure.error;
}

/**
 * Loads an image folder (flat, or one subfolder per class) as an ImageSet of the given size.
 * @example const train = await loadImageFolder('data', {height: 224, width: 224, preprocessing: {preset: 'mobilenet'}, validationSplit: 0.2, subset: 'training', seed: 1});
 */
export async function loadImageFolder(dir: string, options: ImageFolderOptions): Promise<ImageSet> {
  const fn = 'loadImageFolder';
  check(options, fn);
  const preprocessing = resolvePreprocessing(options.preprocessing, fn);
  const index = await imageFolderIndex(dir, options, fn);
  if (options.requireLabels && index.layout === 'flat') {
    throw new DataError(
      `${fn}: labelled images (one subfolder per class) in ${dir}, got ${index.entries.length} images directly in the folder, without labels. ` +
        `Arrange them as ${dir}/<class name>/<image>, or use this folder only where no labels are needed (calibration).`,
      dir,
    );
  }
  const picked = choose(index.entries, options, dir, fn);
  const channels = options.channels ?? 3;
  const px = options.height * options.width * channels;
  const maxBytes = options.maxBytes ?? 2 * 1024 ** 3;
  if (picked.length * px > maxBytes) {
    throw new DataError(
      `${fn}: an image set of at most ${maxBytes} bytes, got ${picked.length} images of ${options.height}x${options.width}x${channels} ` +
        `(${picked.length * px} bytes) in ${dir}. Load a subset (limit, or validationSplit and subset), or raise maxBytes.`,
      dir,
    );
  }
  const classes = index.classNames.length;
  const images = new Uint8Array(picked.length * px);
  const labels = labelsFor(picked.length, classes);
  const maxFileBytes = options.maxFileBytes ?? 32 * 1024 * 1024;
  let done = 0;
  await pool(picked.length, options.concurrency ?? 4, async (k) => {
    const e = picked[k] as ImageFolderEntry;
    const bytes = await readRegularFileAsync(e.file, {
      fn,
      what: 'an image file',
      maxBytes: maxFileBytes,
      tooLargeAdvice: 'Downscale it, or raise maxFileBytes if it is trusted.',
      root: index.root,
    });
    const img = await decodeImage(bytes, e.file, {
      channels,
      height: options.height,
      width: options.width,
      ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
      ...(options.maxDecodeSeconds !== undefined ? { maxDecodeSeconds: options.maxDecodeSeconds } : {}),
    });
    images.set(img.data, k * px);
    labels[k] = e.label ?? 0;
    options.onImage?.(++done, picked.length);
  });
  return makeImageSet(
    path.basename(path.resolve(dir)),
    images,
    labels,
    { height: options.height, width: options.width, channels },
    index.classNames,
    { labelled: index.layout === 'classes', ...(options.preprocessing !== undefined ? { preprocessing } : {}) },
  );
}
