// Feeds from files, for the command line and recipes: a .npy array (examples along the first axis,
// in the model's own layout) or a folder of images (PNG/JPEG, flat or one subfolder per class,
// through lib/data's safe image folder reader) resized to the model's input and laid out NCHW (or
// NHWC when the model's input says so), preprocessed with the library's Preprocessing contract:
// y[c] = (x[order[c]] * scale - mean[c]) / std[c]. For models with one float input; models with
// several inputs (a recurrent state, a sample rate) take feeds from a script.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, DataError, ShapeError, describe } from '../errors';
import { readNpy } from '../data/npy';
import { loadImageFolder } from '../data/image-folder';
import { Preprocessing, resolvePreprocessing } from '../data/preprocess';
import { OnnxFeeds } from './feeds';
import { OnnxFile } from './read';
import { DataType, num } from './tensor';

/** Options of {@link feedsFromFiles}. */
export interface FeedsFromFilesOptions {
  /** The input's shape when the model leaves dims free, batch first, e.g. [1, 3, 48, 320]. */
  readonly inputShape?: readonly number[];
  /** Images: how pixels become inputs (default 'unit': [0, 1]). */
  readonly preprocessing?: Preprocessing;
  /** .npy: values are multiplied by this. */
  readonly scale?: number;
  /** Use at most this many examples. */
  readonly limit?: number;
}

/** The model's only float input: its name and dims (undefined where free). */
export function singleInput(model: OnnxFile, fn: string): { name: string; dims: (number | undefined)[] } {
  const graph = model.proto.graph;
  const inits = new Set((graph?.initializer ?? []).map((t) => t.name));
  const inputs = (graph?.input ?? []).filter((v) => !inits.has(v.name));
  const only = inputs[0];
  if (inputs.length !== 1 || only?.type?.tensorType?.elemType !== DataType.FLOAT) {
    throw new ConfigError(
      `${fn}: a model with one float32 input to read data files for, got inputs ${inputs.map((v) => v.name).join(', ')}. ` +
        `Pass feeds ({inputName: {data, dims}}) from a script for models with several inputs.`,
    );
  }
  const dims = (only.type.tensorType.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0 ? num(d.dimValue) : undefined,
  );
  return { name: only.name ?? '', dims };
}

function imageLayout(dims: readonly number[], fn: string): { layout: 'nchw' | 'nhwc'; h: number; w: number; c: 1 | 3 } {
  const [, a, b, c] = dims as [number, number, number, number];
  if (dims.length === 4 && (a === 1 || a === 3)) return { layout: 'nchw', h: b, w: c, c: a };
  if (dims.length === 4 && (c === 1 || c === 3)) return { layout: 'nhwc', h: a, w: b, c };
  throw new ShapeError(
    `${fn}: an image input [N, C, H, W] or [N, H, W, C] with 1 or 3 channels, got [${dims.join(', ')}]. Pass .npy inputs in the model's layout instead.`,
  );
}

/** Feeds read from files, with the labels when the files have them. */
export interface FilesFeeds {
  readonly feeds: OnnxFeeds[];
  /** Class index of each example (an image folder's subfolder, or a .npy labels file). */
  readonly labels?: Int32Array;
  /** An image folder's subfolder names, in label order. */
  readonly classNames?: readonly string[];
}

/**
 * Reads `file` (a .npy array or an image folder) into feeds for `model`'s single input, one example
 * each (batch 1).
 * @example onnx.feedsFromFiles(onnx.read('det.onnx'), 'pages/', {inputShape: [1, 3, 640, 640], preprocessing: {preset: 'torch', channelOrder: 'bgr'}})
 */
export async function feedsFromFiles(
  model: OnnxFile,
  file: string,
  options: FeedsFromFilesOptions = {},
): Promise<OnnxFeeds[]> {
  return (await readFeeds(model, file, options)).feeds;
}

/** {@link feedsFromFiles} with the labels: an image folder's classes, or a .npy labels file (integers or one-hot rows). */
export async function readFeeds(
  model: OnnxFile,
  file: string,
  options: FeedsFromFilesOptions & { readonly labels?: string } = {},
): Promise<FilesFeeds> {
  const fn = 'onnx.feedsFromFiles';
  const input = singleInput(model, fn);
  const given = options.inputShape;
  if (given && (given.length !== input.dims.length || !given.every((d) => Number.isInteger(d) && d > 0)))
    throw new ConfigError(
      `${fn}: inputShape of ${input.dims.length} positive integers, got ${describe(given)}. Pass e.g. [1, 3, 224, 224].`,
    );
  const dims = input.dims.map((d, i) => given?.[i] ?? d);
  const limit = options.limit ?? Infinity;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new DataError(`${fn}: a .npy file or an image folder, got nothing at ${file}. Check the path.`, file);
  }
  if (stat.isDirectory()) {
    if (dims.some((d, i) => i > 0 && d === undefined))
      throw new ConfigError(
        `${fn}: the input's height and width to resize images to, got free dims [${dims.map((d) => d ?? '?').join(', ')}]. Pass inputShape (on the command line: --image-shape HxWxC).`,
      );
    const { layout, h, w, c } = imageLayout(
      dims.map((d) => d ?? 1),
      fn,
    );
    const set = await loadImageFolder(path.resolve(file), {
      height: h,
      width: w,
      channels: c,
      ...(Number.isFinite(limit) ? { limit } : {}),
    });
    const p = resolvePreprocessing(options.preprocessing, fn);
    const order = p.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
    const at = (arr: readonly number[], i: number) => (arr.length === 1 ? (arr[0] as number) : (arr[i] as number));
    const feeds = Array.from({ length: set.count }, (_, n) => {
      const data = new Float32Array(h * w * c);
      const base = n * h * w * c;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let ch = 0; ch < c; ch++) {
            const src = set.images[base + (y * w + x) * c + (c === 3 ? (order[ch] as number) : 0)] as number;
            const v = (src * p.scale - at(p.mean, ch)) / at(p.std, ch);
            data[layout === 'nchw' ? (ch * h + y) * w + x : (y * w + x) * c + ch] = v;
          }
      return { [input.name]: { data, dims: layout === 'nchw' ? [1, c, h, w] : [1, h, w, c] } };
    });
    const labelled = set.classNames.length > 1;
    return { feeds, ...(labelled ? { labels: Int32Array.from(set.labels), classNames: set.classNames } : {}) };
  }
  const arr = readNpy(file);
  const per = arr.shape.slice(1);
  if (arr.shape.length !== dims.length || per.some((d, i) => dims[i + 1] !== undefined && dims[i + 1] !== d))
    throw new ShapeError(
      `${fn}: .npy examples of the model's input shape [N, ${dims
        .slice(1)
        .map((d) => d ?? '?')
        .join(', ')}], got [${arr.shape.join(', ')}]. Save the inputs in the model's layout.`,
    );
  const size = per.reduce((a, b) => a * b, 1);
  const count = Math.min(arr.shape[0] ?? 0, limit);
  const scale = options.scale ?? 1;
  const feeds = Array.from({ length: count }, (_, n) => ({
    [input.name]: {
      data: Float32Array.from(arr.data.subarray(n * size, (n + 1) * size), (v) => Number(v) * scale),
      dims: [1, ...per],
    },
  }));
  if (!options.labels) return { feeds };
  const l = readNpy(options.labels);
  const width = l.shape.length === 2 ? (l.shape[1] as number) : 1;
  if ((l.shape[0] ?? 0) < count || l.shape.length > 2)
    throw new ShapeError(
      `${fn}: one label (or one-hot row) per example, got labels of shape [${l.shape.join(', ')}] for ${count} examples. Save the labels in example order.`,
    );
  const labels = Int32Array.from({ length: count }, (_, n) => {
    if (width === 1) return Number(l.data[n]);
    let best = 0;
    for (let j = 1; j < width; j++) if (Number(l.data[n * width + j]) > Number(l.data[n * width + best])) best = j;
    return best;
  });
  return { feeds, labels };
}
