// The data of a run: each role's files loaded for the model's input, with the recipe's
// preprocessing (how 8-bit pixels become inputs) and class-name order applied, and what deploy.json
// records of them (one resolved preprocessing, the class names). The loaders take `preprocessing`
// and `classNames` themselves where they support them; where a loader reports that it did not
// (no `preprocessing` on what it returns), the pixels of an image folder (or a .npy of pixels) are
// preprocessed here and its subfolders mapped to the recipe's class order.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { readRegularFile } from '../core/read-file';
import { OutputInput } from '../core/safe-output';
import { DataFilesOptions, LoadedData, loadDataFiles } from '../data/data-files';
import { ImageSet, isImageSet } from '../data/image-set';
import { ResolvedPreprocessing, preprocessPixels, resolvePreprocessing } from '../data/preprocess';
import { DATA_ROLES, DataSpec, Recipe, specPreprocessing } from './recipe';

/** A run's loaded data. */
export interface RunData {
  readonly calibration?: LoadedData;
  readonly evaluation?: LoadedData;
  readonly training?: LoadedData;
  /** How pixels become the model's inputs (deploy.json), when the data are images or the recipe says. */
  readonly preprocessing?: ResolvedPreprocessing;
  /** Name of output class i (deploy.json), when the recipe or the evaluation folder gives them. */
  readonly classNames?: readonly string[];
  dispose(): void;
}

/** Largest float32 copy of an image folder preprocessed here. */
const MAX_ADAPTED_BYTES = 1024 ** 3;

/** Largest labels file read. */
const MAX_LABELS_BYTES = 8 * 1024 * 1024;

/** The class names of a labels file: a JSON list of strings, or one name per line. */
export function readLabelsFile(file: string): string[] {
  const text = new TextDecoder().decode(
    readRegularFile(file, {
      fn: 'recipe',
      what: 'a labels file (one class name per line, or a JSON list)',
      maxBytes: MAX_LABELS_BYTES,
      tooLargeAdvice: 'Is this the labels file? It holds one class name per line.',
    }),
  );
  const bad = (got: string) =>
    new DataError(
      `recipe: a labels file of 1 to 100000 class names of 1 to 256 characters (one per line, or a JSON list) in ${file}, got ${got}. Fix the file.`,
      file,
    );
  let names: unknown;
  if (text.trimStart().startsWith('[')) {
    try {
      names = JSON.parse(text);
    } catch {
      throw bad('a list that is not valid JSON');
    }
  } else {
    const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
    while (lines.length && lines.at(-1)?.trim() === '') lines.pop();
    names = lines.map((l) => l.trim());
  }
  if (!Array.isArray(names) || names.length === 0 || names.length > 100_000) throw bad(describe(names));
  names.forEach((n, i) => {
    if (typeof n !== 'string' || n.length === 0 || n.length > 256) throw bad(`${describe(n)} at entry ${i + 1}`);
  });
  if (new Set(names).size !== names.length) throw bad('a name twice');
  return names as string[];
}

/** The class names a spec gives (classNames, or its labels file). */
export function specClassNames(spec: DataSpec | undefined, baseDir: string): readonly string[] | undefined {
  if (spec?.classNames) return spec.classNames;
  return spec?.labelsFile ? readLabelsFile(path.resolve(baseDir, spec.labelsFile)) : undefined;
}

/** Every path a recipe reads (for the output-folder rules and for hashing into the report). */
export function recipeInputs(recipe: Recipe, baseDir: string, recipeFile?: string): OutputInput[] {
  const r = (p: string) => path.resolve(baseDir, p);
  return [
    ...(recipeFile ? [{ role: 'the recipe', path: recipeFile }] : []),
    { role: 'the model', path: r(recipe.model) },
    ...DATA_ROLES.flatMap((role) => {
      const spec = recipe.data?.[role];
      if (!spec) return [];
      return [
        { role: `the ${role} data`, path: r(spec.path) },
        ...(spec.labels ? [{ role: `the ${role} labels`, path: r(spec.labels) }] : []),
        ...(spec.labelsFile ? [{ role: `the ${role} labels file`, path: r(spec.labelsFile) }] : []),
      ];
    }),
  ];
}

/** Labels of an image folder's subfolders in the order of `classNames`. */
function remapLabels(set: ImageSet, classNames: readonly string[], dir: string): Int32Array {
  const index = set.classNames.map((name) => {
    const i = classNames.indexOf(name);
    if (i < 0)
      throw new DataError(
        `recipe: subfolders of ${dir} named among classNames, got "${name}", which is not one of them. Rename the folder or add the class.`,
        dir,
      );
    return i;
  });
  return Int32Array.from(set.labels, (l) => index[l] as number);
}

/** An image folder (or .npy of pixels) with the preprocessing and class order applied here. */
function adapt(
  loaded: LoadedData,
  p: ResolvedPreprocessing,
  classNames: readonly string[] | undefined,
  inputShape: readonly number[],
  dir: string,
): LoadedData {
  const shapeOf = (n: number) => (inputShape.includes(-1) ? undefined : [n, ...inputShape]);
  if (isImageSet(loaded.source)) {
    const set = loaded.source;
    if (set.images.length * 4 > MAX_ADAPTED_BYTES)
      throw new DataError(
        `recipe: at most ${MAX_ADAPTED_BYTES} bytes of preprocessed images in memory, got ${set.count} images of ${set.height}x${set.width}x${set.channels} ` +
          `(${set.images.length * 4} bytes as float32) in ${dir}. Set "limit" on this data, e.g. 500.`,
        dir,
      );
    const labels = classNames ? remapLabels(set, classNames, dir) : Int32Array.from(set.labels);
    const xs = tf.tidy(() => {
      const pixels = tf.tensor4d(Float32Array.from(set.images), [set.count, set.height, set.width, set.channels]);
      const x = preprocessPixels(pixels, p, 'recipe');
      const shape = shapeOf(set.count);
      return shape ? tf.reshape(x, shape) : x;
    });
    const ys = tf.tensor1d(labels, 'int32');
    return {
      source: { xs, ys },
      kind: loaded.kind,
      count: loaded.count,
      labelled: true,
      classNames: classNames ?? set.classNames,
      paths: loaded.paths,
      dispose: () => tf.dispose([xs, ys]),
    };
  }
  const src = loaded.source as { xs: tf.Tensor; ys?: tf.Tensor };
  const xs = preprocessPixels(src.xs, p, 'recipe');
  return {
    ...loaded,
    source: { xs, ...(src.ys ? { ys: src.ys } : {}) },
    dispose: () => {
      xs.dispose();
      loaded.dispose();
    },
  };
}

/** Options of {@link loadRole}. */
export interface LoadRoleOptions {
  readonly baseDir: string;
  readonly inputShape: readonly number[];
  readonly seed: number;
  /** Output classes of the model, when fixed. */
  readonly classes?: number;
  readonly onImage?: (done: number, total: number) => void;
  /** Read at most this many examples (a dry run reads one image). */
  readonly limit?: number;
}

/** Loads one role's data with its preprocessing and class order. */
export async function loadRole(spec: DataSpec, role: string, o: LoadRoleOptions): Promise<LoadedData> {
  const r = (f: string) => path.resolve(o.baseDir, f);
  const preprocessing = specPreprocessing(spec, `data.${role}`);
  const classNames = specClassNames(spec, o.baseDir);
  if (classNames && o.classes !== undefined && classNames.length !== o.classes)
    throw new ConfigError(
      `recipe: data.${role} one class name per model output (${o.classes}), got ${classNames.length}. Give the names of all ${o.classes} classes, in the model's order.`,
    );
  const limit = o.limit ?? spec.limit;
  const options = {
    inputShape: o.inputShape,
    seed: o.seed,
    ...(spec.labels ? { labels: r(spec.labels) } : {}),
    ...(spec.scale !== undefined ? { scale: spec.scale } : {}),
    ...(limit ? { limit } : {}),
    ...(spec.imageShape ? { imageShape: spec.imageShape } : {}),
    ...(o.onImage ? { onImage: o.onImage } : {}),
    // Loaders that know these apply them, and say so with `preprocessing` on what they return
    // (the recipe's own form: a preset name becomes {preset}).
    ...(spec.preprocessing
      ? { preprocessing: typeof spec.preprocessing === 'string' ? { preset: spec.preprocessing } : spec.preprocessing }
      : {}),
    ...(classNames ? { classNames } : {}),
  } as DataFilesOptions;
  const loaded = await loadDataFiles(r(spec.path), options);
  if ('preprocessing' in loaded) return loaded;
  const image = loaded.kind === 'image-folder';
  // Image folders arrive scaled to [0, 1] ('unit'); .npy arrives as stored.
  const pixelsNeedWork = preprocessing !== undefined && (!image || preprocessing.preset !== 'unit');
  if (!pixelsNeedWork && !(image && classNames)) return classNames ? { ...loaded, classNames } : loaded;
  try {
    return adapt(
      loaded,
      preprocessing ?? resolvePreprocessing({ preset: 'unit' }),
      classNames,
      o.inputShape,
      spec.path,
    );
  } catch (e) {
    loaded.dispose();
    throw e;
  }
}

/**
 * Loads every role of the recipe's data and works out what deploy.json records: the one
 * preprocessing (the recipe's, or 'unit' for image folders, which the loader scales to [0, 1])
 * and the class names (the recipe's, or the evaluation folder's when they match the model's classes).
 */
export async function loadRunData(
  recipe: Recipe,
  o: LoadRoleOptions & { progress?: (text: string) => void },
): Promise<RunData> {
  const data: { -readonly [K in (typeof DATA_ROLES)[number]]?: LoadedData } = {};
  try {
    for (const role of DATA_ROLES) {
      const spec = recipe.data?.[role];
      if (!spec) continue;
      o.progress?.(`loading ${role} data from ${spec.path}`);
      data[role] = await loadRole(spec, role, o);
    }
  } catch (e) {
    Object.values(data).forEach((d) => d?.dispose());
    throw e;
  }
  const specs = DATA_ROLES.map((role) => recipe.data?.[role]);
  const given = specs.map((s, i) => specPreprocessing(s, `data.${DATA_ROLES[i]}`)).find(Boolean);
  const images = Object.values(data).some((d) => d?.kind === 'image-folder');
  const preprocessing = given ?? (images ? resolvePreprocessing({ preset: 'unit' }) : undefined);
  const named = DATA_ROLES.map((role) => specClassNames(recipe.data?.[role], o.baseDir)).find(Boolean);
  const folder = data.evaluation?.kind === 'image-folder' ? data.evaluation.classNames : undefined;
  const classNames = named ?? (folder && (o.classes === undefined || folder.length === o.classes) ? folder : undefined);
  return {
    ...data,
    ...(preprocessing ? { preprocessing } : {}),
    ...(classNames ? { classNames } : {}),
    dispose: () => Object.values(data).forEach((d) => d?.dispose()),
  };
}
