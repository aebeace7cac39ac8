// Data from files, for a given model input: a folder of class subfolders (an ImageSet resized to
// the input, see image-folder.ts) or `.npy` arrays (inputs, and optional labels from a second
// file, as tensors {xs, ys}). Both are sources of the data contract (source.ts), so whatever
// trains, calibrates or evaluates takes them. The shape is checked against the model's input here,
// before anything runs: a misfit is a ShapeError that says what the model takes.
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, ShapeError, describe } from '../errors';
import { DataSource, checkInputs, checkSource } from './source';
import { loadImageFolder } from './image-folder';
import { readNpy, NpyArray } from './npy';

/** Options of {@link loadDataFiles}. */
export interface DataFilesOptions {
  /** The model's input shape without the batch dimension (-1 for a free dimension). */
  readonly inputShape: readonly number[];
  /** `.npy` data: the labels file (integer labels (n) or one-hot (n, classes)). */
  readonly labels?: string;
  /** `.npy` data: inputs are multiplied by this (e.g. 1/255 for uint8 pixels). Default 1. */
  readonly scale?: number;
  /** Image folders: the image size when the model's input is not (height, width, channels), e.g. [28, 28, 1] for a flat 784 input. */
  readonly imageShape?: readonly [number, number, number];
  /** Use at most this many examples (image folders: after the seeded shuffle). */
  readonly limit?: number;
  /** Image folders: see {@link ImageFolderOptions}. */
  readonly seed?: number;
  readonly validationSplit?: number;
  readonly subset?: 'training' | 'validation';
  readonly maxBytes?: number;
  readonly onImage?: (done: number, total: number) => void;
}

/** Data loaded from files, with what it was read from. */
export interface LoadedData {
  /** An ImageSet (image folders) or tensors {xs, ys?} (.npy; owned: call dispose). */
  readonly source: DataSource;
  readonly kind: 'image-folder' | 'npy';
  readonly count: number;
  /** Whether the data has labels (accuracy can be measured). */
  readonly labelled: boolean;
  /** Class names of an image folder. */
  readonly classNames?: readonly string[];
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

function toTensor(a: NpyArray, shape: number[], scale: number): tf.Tensor {
  return tf.tidy(() => {
    const values =
      a.data instanceof Float32Array || a.data instanceof Int32Array || a.data instanceof Uint8Array
        ? a.data
        : Float32Array.from(a.data);
    const t = tf.tensor(values, shape, values instanceof Int32Array ? 'int32' : 'float32').toFloat();
    return scale === 1 ? t : tf.mul(t, scale);
  });
}

function loadNpy(file: string, options: DataFilesOptions, fn: string): LoadedData {
  const scale = options.scale ?? 1;
  if (!Number.isFinite(scale) || scale === 0)
    throw new ConfigError(
      `${fn}: scale a finite non-zero number, got ${describe(scale)}. Use e.g. 0.00392156862745098 (1/255) for uint8 pixels.`,
    );
  const xa = readNpy(file, options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {});
  const ya = options.labels
    ? readNpy(options.labels, options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {})
    : undefined;
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
  const n = Math.min(xa.shape[0] as number, options.limit ?? Infinity);
  const rowX = xa.data.length / (xa.shape[0] as number);
  const cut = (a: NpyArray, row: number): NpyArray =>
    n === a.shape[0] ? a : { ...a, shape: [n, ...a.shape.slice(1)], data: a.data.slice(0, n * row) };
  const xs = toTensor(cut(xa, rowX), [n, ...xa.shape.slice(1)], scale);
  let ys: tf.Tensor | undefined;
  try {
    checkInputs(xs, options.inputShape, fn);
    if (ya) {
      const rowY = ya.data.length / (ya.shape[0] as number);
      ys = toTensor(cut(ya, rowY), [n, ...ya.shape.slice(1)], 1);
    }
    const source = { xs, ...(ys ? { ys } : {}) };
    checkSource(source, fn);
    return {
      source,
      kind: 'npy',
      count: n,
      labelled: Boolean(ys),
      paths: [file, ...(options.labels ? [options.labels] : [])],
      dispose: () => tf.dispose([xs, ys ?? []]),
    };
  } catch (e) {
    tf.dispose([xs, ys ?? []]);
    throw e;
  }
}

/**
 * Loads data for a model from a path: a folder of class subfolders (PNG/JPEG, resized to the
 * input) or a `.npy` file of inputs (with `labels`, a `.npy` of labels).
 * @example const data = loadDataFiles('calib.npy', {inputShape: [28, 28, 1], labels: 'labels.npy', scale: 1 / 255}); ...; data.dispose();
 */
export function loadDataFiles(p: string, options: DataFilesOptions): LoadedData {
  const fn = 'loadDataFiles';
  if (!options || !Array.isArray(options.inputShape))
    throw new ConfigError(
      `${fn}: options with the model's inputShape, got ${describe(options?.inputShape)}. Pass inputShape: [28, 28, 1] or the like.`,
    );
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    throw new DataError(
      `${fn}: a data folder or .npy file at ${p}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. Check the path.`,
      p,
    );
  }
  if (st.isFile() && p.toLowerCase().endsWith('.npy')) return loadNpy(p, options, fn);
  if (!st.isDirectory())
    throw new DataError(
      `${fn}: a folder of class subfolders or a .npy file at ${p}, got another kind of file. Pass an image folder or numpy arrays.`,
      p,
    );
  if (options.labels !== undefined || options.scale !== undefined) {
    throw new ConfigError(
      `${fn}: labels and scale only with .npy data, got them with the image folder ${p}. Image folders take their labels from the subfolders and scale pixels to [0, 1].`,
    );
  }
  const [height, width, channels] = imageShapeFor(options, fn);
  const set = loadImageFolder(p, {
    height,
    width,
    channels: channels as 1 | 3,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.validationSplit !== undefined ? { validationSplit: options.validationSplit } : {}),
    ...(options.subset ? { subset: options.subset } : {}),
    ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    ...(options.onImage ? { onImage: options.onImage } : {}),
  });
  return {
    source: set,
    kind: 'image-folder',
    count: set.count,
    labelled: true,
    classNames: set.classNames,
    paths: [p],
    dispose: () => undefined,
  };
}
