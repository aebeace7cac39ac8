// An image folder with one subfolder per class, the layout of Keras'
// `image_dataset_from_directory` and torchvision's `ImageFolder`: class names are the subfolder
// names in sorted order (label i = the i-th name, as both do), PNG and JPEG files are found by
// extension (.png .jpg .jpeg, any case; other files are skipped, as Keras skips them), decoded,
// resized bilinearly with half-pixel centres (TF2's tf.image.resize, Keras' default) to the
// model's input and stored as an ImageSet (uint8 pixels, rounded after resizing).
//
// In memory, not a streaming tf.data.Dataset: an ImageSet holds one byte per value (a 224x224 RGB
// image is 147 KiB, 4x less than float32 tensors), is read once and then shuffled, split and
// batched for free; calibration, evaluation and fine-tuning sets of a few thousand images fit.
// The decoded size is computed from the file count before any image is decoded and refused past
// `maxBytes` (take a `limit` or a `validationSplit` subset instead).
//
// The validation split follows Keras: the files are shuffled with `seed`, the last
// floor(validationSplit x n) form the 'validation' subset and the rest 'training', so the two
// subsets of one seed never overlap and only the chosen subset is decoded. The order of the result
// is that shuffled order (so the first examples mix the classes).
//
// Hostile input: symlinks are followed only when they stay inside the folder, each file's size is
// capped before reading, images are capped in pixels before decoding, and any failure is a
// DataError naming the file: nothing partial is returned.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { permutation } from '../core/rng';
import { ImageSet, makeImageSet } from './image-set';
import { decodeImage } from './image-decode';

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Size every image is resized to (the model's input). */
  readonly height: number;
  readonly width: number;
  /** 3 (RGB, default) or 1 (grey). */
  readonly channels?: 1 | 3;
  /** Fraction of the files held out, in (0, 1); with `subset`. */
  readonly validationSplit?: number;
  /** Which side of the split to load (required with validationSplit). */
  readonly subset?: 'training' | 'validation';
  /** Seed of the shuffle (and so of the split). Default 0. */
  readonly seed?: number;
  /** Load at most this many images (after the shuffle and split). */
  readonly limit?: number;
  /** Largest image file read, in bytes. Default 32 MiB. */
  readonly maxFileBytes?: number;
  /** Largest decoded image, in pixels. Default 50 million. */
  readonly maxPixels?: number;
  /** Largest ImageSet built, in bytes (count x height x width x channels). Default 2 GiB. */
  readonly maxBytes?: number;
  /** Called after each decoded image (progress). */
  readonly onImage?: (done: number, total: number) => void;
}

/** One file of the folder and its class. */
export interface ImageFolderEntry {
  readonly file: string;
  readonly label: number;
}

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

function realInside(root: string, p: string, fn: string): string {
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch (e) {
    throw new DataError(
      `${fn}: a readable entry at ${p}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. Fix or remove it.`,
      p,
    );
  }
  const rel = path.relative(root, real);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new DataError(
      `${fn}: entries inside the image folder ${root}, got ${p} pointing to ${real}. Copy the files into the folder instead of linking them.`,
      p,
    );
  }
  return real;
}

/**
 * The class names and labelled files of an image folder (sorted: classes by name, files by name).
 * @example imageFolderIndex('data/train').classNames // ['cat', 'dog']
 */
export function imageFolderIndex(
  dir: string,
  fn = 'imageFolderIndex',
): { classNames: string[]; entries: ImageFolderEntry[] } {
  let root: string;
  try {
    root = fs.realpathSync(dir);
    if (!fs.statSync(root).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'not a folder' });
  } catch (e) {
    throw new DataError(
      `${fn}: an image folder (one subfolder per class) at ${dir}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. Check the path.`,
      dir,
    );
  }
  const classDirs = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .filter(
      (e) =>
        e.isDirectory() ||
        (e.isSymbolicLink() && fs.statSync(realInside(root, path.join(root, e.name), fn)).isDirectory()),
    )
    .map((e) => e.name)
    .sort();
  if (classDirs.length === 0)
    throw new DataError(
      `${fn}: one subfolder per class in ${dir}, got none. Arrange the images as ${dir}/<class name>/<image>.png.`,
      dir,
    );
  if (classDirs.length > 256)
    throw new DataError(
      `${fn}: at most 256 classes (labels are stored as uint8), got ${classDirs.length} subfolders in ${dir}. Split the task or use tensors.`,
      dir,
    );
  const entries: ImageFolderEntry[] = [];
  classDirs.forEach((name, label) => {
    const classDir = realInside(root, path.join(root, name), fn);
    const files = fs
      .readdirSync(classDir, { withFileTypes: true })
      .filter(
        (e) =>
          !e.name.startsWith('.') &&
          EXTENSIONS.has(path.extname(e.name).toLowerCase()) &&
          (e.isFile() || e.isSymbolicLink()),
      )
      .map((e) => e.name)
      .sort();
    for (const f of files) entries.push({ file: realInside(root, path.join(classDir, f), fn), label });
  });
  if (entries.length === 0)
    throw new DataError(
      `${fn}: PNG or JPEG files in the class folders of ${dir}, got none. Put the images in ${dir}/<class name>/.`,
      dir,
    );
  return { classNames: classDirs, entries };
}

function check(options: ImageFolderOptions, fn: string): void {
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
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0))
    throw new ConfigError(
      `${fn}: limit a positive integer, got ${describe(options.limit)}. Omit it to load every image.`,
    );
}

/** The decoded, resized pixels of one file (HWC uint8). */
function loadOne(file: string, options: ImageFolderOptions, fn: string): Uint8Array {
  const maxFileBytes = options.maxFileBytes ?? 32 * 1024 * 1024;
  const size = fs.statSync(file).size;
  if (size > maxFileBytes)
    throw new DataError(
      `${fn}: image files of at most ${maxFileBytes} bytes, got ${size} in ${file}. Downscale it, or raise maxFileBytes if it is trusted.`,
      file,
    );
  const channels = options.channels ?? 3;
  const img = decodeImage(new Uint8Array(fs.readFileSync(file)), file, {
    channels,
    ...(options.maxPixels ? { maxPixels: options.maxPixels } : {}),
  });
  if (img.height === options.height && img.width === options.width) return img.data;
  const t = tf.tidy(() => {
    const x = tf.tensor3d(img.data, [img.height, img.width, channels], 'int32').toFloat();
    return tf
      .clipByValue(tf.round(tf.image.resizeBilinear(x, [options.height, options.width], false, true)), 0, 255)
      .toInt();
  });
  const out = Uint8Array.from(t.dataSync());
  t.dispose();
  return out;
}

/**
 * Loads an image folder (one subfolder per class) as an ImageSet of the given size.
 * @example const train = loadImageFolder('data', {height: 224, width: 224, validationSplit: 0.2, subset: 'training', seed: 1});
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions): ImageSet {
  const fn = 'loadImageFolder';
  check(options, fn);
  const { classNames, entries } = imageFolderIndex(dir, fn);
  const order = permutation(entries.length, options.seed ?? 0);
  let picked = Array.from(order, (i) => entries[i] as ImageFolderEntry);
  if (options.validationSplit !== undefined) {
    const nVal = Math.floor(options.validationSplit * entries.length);
    if (nVal === 0 || nVal === entries.length) {
      throw new DataError(
        `${fn}: a validationSplit that leaves images on both sides, got ${options.validationSplit} of ${entries.length} images. Use a larger folder or another fraction.`,
        dir,
      );
    }
    picked =
      options.subset === 'validation' ? picked.slice(entries.length - nVal) : picked.slice(0, entries.length - nVal);
  }
  if (options.limit !== undefined) picked = picked.slice(0, options.limit);
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
  const images = new Uint8Array(picked.length * px);
  const labels = new Uint8Array(picked.length);
  picked.forEach((e, k) => {
    images.set(loadOne(e.file, options, fn), k * px);
    labels[k] = e.label;
    options.onImage?.(k + 1, picked.length);
  });
  return makeImageSet(
    path.basename(path.resolve(dir)),
    images,
    labels,
    { height: options.height, width: options.width, channels },
    classNames,
  );
}
