// Data from files, for a given model input: an image folder (flat, or one subfolder per class:
// an ImageSet resized to the input and carrying its preprocessing, see image-folder.ts) or `.npy`
// arrays (inputs, and optional labels from a second file, as tensors {xs, ys}). Both are sources
// of the data contract (source.ts), so whatever trains, calibrates or evaluates takes them.
// Checked here, before anything runs: the shape against the model's input (a ShapeError that
// says what the model takes), the dtype against the model input's dtype (an int32 input gets
// int32 values, a float input float32 ones), and the labels when the caller needs them
// (`requireLabels`: a flat folder or a .npy without labels is a DataError before any image is
// decoded). The result says what was used (class names, preprocessing), for the run report.
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, ShapeError, describe } from '../errors';
import { DataSource, checkInputs, checkSource } from './source';
import { loadImageFolder } from './image-folder';
import { ClassNameOptions, givenClassNames } from './class-names';
import { NpyArray, readNpyAsync } from './npy';
import {
  Preprocessing,
  ResolvedPreprocessing,
  describePreprocessing,
  isIdentityPreprocessing,
  preprocessPixels,
  resolvePreprocessing,
} from './preprocess';

/** Options of {@link loadDataFiles}. */
export interface DataFilesOptions extends ClassNameOptions {
  /** The model's input shape without the batch dimension (-1 for a free dimension). */
  readonly inputShape: readonly number[];
  /** The model input's dtype. Default 'float32'; 'int32' keeps integer values as int32 (graph models with int inputs). */
  readonly inputDtype?: 'float32' | 'int32';
  /** Refuse data without labels (a flat folder, a .npy without `labels`) before reading it: evaluation and training need labels. */
  readonly requireLabels?: boolean;
  /** `.npy` data: the labels file (integer labels (n) or one-hot (n, classes)). */
  readonly labels?: string;
  /** `.npy` data: float inputs are multiplied by this (e.g. 1/255 for uint8 pixels). Default 1. */
  readonly scale?: number;
  /**
   * How pixels (0..255) become inputs: a preset such as 'mobilenet', or scale/mean/std. Image
   * folders default to 'unit' ([0, 1]); a .npy is taken as stored unless this is given.
   */
  readonly preprocessing?: Preprocessing;
  /** Image folders: the image size when the model's input is not (height, width, channels), e.g. [28, 28, 1] for a flat 784 input. */
  readonly imageShape?: readonly [number, number, number];
  /** Use at most this many examples (image folders: chosen after the seeded shuffle; the others are never decoded). */
  readonly limit?: number;
  /** Image folders: see {@link ImageFolderOptions}. */
  readonly seed?: number;
  readonly validationSplit?: number;
  readonly subset?: 'training' | 'validation';
  readonly maxBytes?: number;
  readonly maxPixels?: number;
  readonly maxFileBytes?: number;
  readonly maxDecodeSeconds?: number;
  readonly concurrency?: number;
  readonly onImage?: (done: number, total: number) => void;
}

/** Data loaded from files, with what it was read from and how. */
export interface LoadedData {
  /** An ImageSet (image folders) or tensors {xs, ys?} (.npy; owned: call dispose). */
  readonly source: DataSource;
  readonly kind: 'image-folder' | 'npy';
  /** Image folders: 'flat' (no labels) or 'classes'. */
  readonly layout?: 'flat' | 'classes';
  readonly count: number;
  /** Whether the data has labels (accuracy can be measured). */
  readonly labelled: boolean;
  /** Name of label i: the folder's classes in label order, or the names given; absent when unknown. */
  readonly classNames?: readonly string[];
  /** Image folders: the preprocessing every batch applies (resolved: every number spelled out). */
  readonly preprocessing?: ResolvedPreprocessing;
  /** The input dtype of the tensors (.npy) or batches; absent: float32. */
  readonly inputDtype?: 'float32' | 'int32';
  /** The paths read (for hashing into a report). */
  readonly paths: string[];
  /** Frees the tensors of .npy data (nothing for image folders). */
  dispose(): void;
}

function imageShapeFor(options: DataFilesOptions, fn: string): [number, number, number] {
  const s = options.imageShape ?? options.inputShape;
  const ok = s.length === 3 && s.every((d) => Number.isInteger(d) && d > 0) && (s[2] === 1 || s[2] === 3);
  if (!ok) {
    throw new ShapeError(
      `${fn}: a model input of (height, width, 1 or 3 channels) to resize the images to, got [${options.inputShape.join(', ')}]. ` +
        `Pass imageShape (the CLI's --image-shape HxWxC) for models with flat or free-sized inputs.`,
    );
  }
  if (options.imageShape) {
    const n = (s[0] as number) * (s[1] as number) * (s[2] as number);
    const want = options.inputShape.reduce((a, d) => a * Math.max(d, 1), 1);
    if (!options.inputShape.includes(-1) && n !== want) {
      throw new ShapeError(
        `${fn}: an imageShape of ${want} values (the model's input [${options.inputShape.join(', ')}]), got [${s.join(', ')}]. Pass the image size the model was trained on.`,
      );
    }
  }
  return [s[0] as number, s[1] as number, s[2] as number];
}

/** Integer values of `a` as int32 (whole-number floats included); DataError naming the first value that is not one. */
function int32Values(a: NpyArray, file: string, fn: string): Int32Array {
  if (a.data instanceof Int32Array) return a.data;
  const out = new Int32Array(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const v = a.data[i] as number;
    if (!(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647)) {
      throw new DataError(
        `${fn}: whole numbers that fit in int32 in ${file} (the model's input is int32), got ${v} at index ${i} of a ${a.dtype} array. ` +
          `Save the inputs the model takes, as integers (e.g. np.save(f, x.astype('int32'))), or use a model with a float input.`,
        file,
      );
    }
    out[i] = v;
  }
  return out;
}

function toTensor(a: NpyArray, shape: number[], dtype: 'float32' | 'int32', scale: number, file: string, fn: string) {
  if (dtype === 'int32') return tf.tensor(int32Values(a, file, fn), shape, 'int32');
  const values = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
  return tf.tidy(() => {
    const t = tf.tensor(values, shape, 'float32');
    return scale === 1 ? t : tf.mul(t, scale);
  });
}

/** A .npy of pixel values (0..255) through a preprocessing: NHWC arrays per channel, flat ones with one mean and std. Owned out. */
function pixelInputs(x: tf.Tensor, p: ResolvedPreprocessing, file: string, fn: string): tf.Tensor {
  const last = x.shape[x.rank - 1];
  if (x.rank >= 4 && (last === 1 || last === 3)) return preprocessPixels(x, p, fn);
  if (p.mean.length > 1 || p.std.length > 1 || p.channelOrder === 'bgr') {
    throw new ShapeError(
      `${fn}: pixels of shape (n, height, width, 1 or 3) in ${file} for a per-channel preprocessing (${describePreprocessing(p)}), got (${x.shape.join(', ')}). ` +
        `Save the images in NHWC layout, or use one mean and std.`,
    );
  }
  const mean = p.mean[0] as number;
  const std = p.std[0] as number;
  return tf.tidy(() => tf.div(tf.sub(tf.mul(x, p.scale), mean), std));
}

/** The first `n` rows of an array. */
function firstRows(a: NpyArray, n: number): NpyArray {
  const row = a.data.length / (a.shape[0] as number);
  return n === a.shape[0] ? a : { ...a, shape: [n, ...a.shape.slice(1)], data: a.data.slice(0, n * row) };
}

async function loadNpy(file: string, options: DataFilesOptions, fn: string): Promise<LoadedData> {
  const scale = options.scale ?? 1;
  const dtype = options.inputDtype ?? 'float32';
  if (!Number.isFinite(scale) || scale === 0)
    throw new ConfigError(
      `${fn}: scale a finite non-zero number, got ${describe(scale)}. Use e.g. 0.00392156862745098 (1/255) for uint8 pixels.`,
    );
  if (dtype === 'int32' && scale !== 1)
    throw new ConfigError(
      `${fn}: no scale for a model whose input is int32 (it takes the values as they are), got scale ${scale}. Drop scale.`,
    );
  const preprocessing =
    options.preprocessing !== undefined ? resolvePreprocessing(options.preprocessing, fn) : undefined;
  if (preprocessing && scale !== 1)
    throw new ConfigError(
      `${fn}: scale or preprocessing for the .npy file ${file}, got both. Use preprocessing for pixel values (0..255), scale for a plain factor.`,
    );
  if (preprocessing && dtype === 'int32' && !isIdentityPreprocessing(preprocessing))
    throw new ConfigError(
      `${fn}: preprocessing 'none' for a model whose input is int32 (it takes raw values), got ${describePreprocessing(preprocessing)}. Drop preprocessing.`,
    );
  if (options.requireLabels && !options.labels)
    throw new DataError(
      `${fn}: labelled data, got the .npy inputs ${file} without a labels file. Pass the labels (--labels labels.npy), one per row.`,
      file,
    );
  const names = await givenClassNames(options, fn);
  const cap = options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {};
  const xa = await readNpyAsync(file, cap);
  const ya = options.labels ? await readNpyAsync(options.labels, cap) : undefined;
  if (xa.shape.length < 2 || (xa.shape[0] as number) < 1) {
    throw new ShapeError(
      `${fn}: inputs of shape (n, ...) with n >= 1 in ${file}, got (${xa.shape.join(', ')}). Save one row per example.`,
    );
  }
  if (ya && (ya.shape.length < 1 || ya.shape.length > 2 || ya.shape[0] !== xa.shape[0])) {
    throw new ShapeError(
      `${fn}: labels of shape (${xa.shape[0]}) or (${xa.shape[0]}, classes) in ${options.labels}, got (${ya.shape.join(', ')}). Save one label per example of ${file}.`,
    );
  }
  if (ya && ya.dtype === 'float32' && ya.shape.length === 1) {
    throw new DataError(
      `${fn}: integer labels (or one-hot rows) in ${options.labels}, got float32 values of shape (${ya.shape[0]}). Save the labels as integers.`,
      options.labels,
    );
  }
  if (ya && names && ya.shape.length === 1) {
    const bad = ya.data.findIndex((v) => !(v >= 0 && v < names.length));
    if (bad >= 0)
      throw new DataError(
        `${fn}: labels in [0, ${names.length}) (the ${names.length} class names), got ${ya.data[bad]} at index ${bad} of ${options.labels}. ` +
          `Pass the class names of the model these labels index.`,
        options.labels,
      );
  }
  const n = Math.min(xa.shape[0] as number, options.limit ?? Infinity);
  let xs = toTensor(firstRows(xa, n), [n, ...xa.shape.slice(1)], dtype, scale, file, fn);
  let ys: tf.Tensor | undefined;
  try {
    if (preprocessing && dtype === 'float32') {
      const pixels = xs;
      xs = pixelInputs(pixels, preprocessing, file, fn);
      pixels.dispose();
    }
    checkInputs(xs, options.inputShape, fn);
    if (ya) ys = toTensor(firstRows(ya, n), [n, ...ya.shape.slice(1)], 'float32', 1, options.labels as string, fn);
    const source = { xs, ...(ys ? { ys } : {}) };
    checkSource(source, fn);
    return {
      source,
      kind: 'npy',
      count: n,
      labelled: Boolean(ys),
      ...(names ? { classNames: names } : {}),
      ...(preprocessing ? { preprocessing } : {}),
      inputDtype: dtype,
      paths: [file, ...(options.labels ? [options.labels] : [])],
      dispose: () => tf.dispose([xs, ys ?? []]),
    };
  } catch (e) {
    tf.dispose([xs, ys ?? []]);
    throw e;
  }
}

/**
 * Loads data for a model from a path: an image folder (flat, or one subfolder per class; PNG,
 * JPEG or WebP, resized to the input) or a `.npy` file of inputs (with `labels`, a `.npy` of labels).
 * @example const data = await loadDataFiles('calib/', {inputShape: [224, 224, 3], preprocessing: {preset: 'mobilenet'}}); ...; data.dispose();
 */
export async function loadDataFiles(p: string, options: DataFilesOptions): Promise<LoadedData> {
  const fn = 'loadDataFiles';
  if (!options || !Array.isArray(options.inputShape))
    throw new ConfigError(
      `${fn}: options with the model's inputShape, got ${describe(options?.inputShape)}. Pass inputShape: [28, 28, 1] or the like.`,
    );
  const dtype = options.inputDtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32')
    throw new ConfigError(
      `${fn}: inputDtype 'float32' or 'int32' (the model input's dtype), got ${describe(dtype)}. Models with other input types are not supported.`,
    );
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(p);
  } catch (e) {
    throw new DataError(
      `${fn}: a data folder or .npy file at ${p}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. Check the path.`,
      p,
    );
  }
  if (st.isFile() && p.toLowerCase().endsWith('.npy')) return loadNpy(p, options, fn);
  if (!st.isDirectory())
    throw new DataError(
      `${fn}: an image folder or a .npy file at ${p}, got ${st.isFile() ? 'a file that is not .npy' : 'something that is not a regular file (a FIFO, socket or device)'}. ` +
        `Pass a folder of images or numpy arrays.`,
      p,
    );
  if (options.labels !== undefined || options.scale !== undefined) {
    throw new ConfigError(
      `${fn}: labels and scale only with .npy data, got them with the image folder ${p}. Image folders take their labels from the subfolders ` +
        `(order them with classNames or a labels file) and their scaling from preprocessing.`,
    );
  }
  const [height, width, channels] = imageShapeFor(options, fn);
  const preprocessing = resolvePreprocessing(options.preprocessing, fn);
  if (dtype === 'int32' && !isIdentityPreprocessing(preprocessing))
    throw new ConfigError(
      `${fn}: preprocessing 'none' for a model whose input is int32 (it takes raw pixel values), got ${describePreprocessing(preprocessing)}. ` +
        `Pass preprocessing {preset: 'none'}.`,
    );
  const pass = <K extends keyof DataFilesOptions>(...keys: K[]) =>
    Object.fromEntries(keys.filter((k) => options[k] !== undefined).map((k) => [k, options[k]])) as Pick<
      DataFilesOptions,
      K
    >;
  const set = await loadImageFolder(p, {
    height,
    width,
    channels: channels as 1 | 3,
    preprocessing,
    ...pass('classNames', 'labelsFile', 'requireLabels', 'seed', 'limit', 'validationSplit', 'subset', 'maxBytes'),
    ...pass('maxPixels', 'maxFileBytes', 'maxDecodeSeconds', 'concurrency', 'onImage'),
  });
  const labelled = set.labelled !== false;
  return {
    source: set,
    kind: 'image-folder',
    layout: labelled ? 'classes' : 'flat',
    count: set.count,
    labelled,
    ...(set.classNames.length ? { classNames: set.classNames } : {}),
    preprocessing,
    inputDtype: dtype,
    paths: [p, ...(options.labelsFile ? [options.labelsFile] : [])],
    dispose: () => undefined,
  };
}
