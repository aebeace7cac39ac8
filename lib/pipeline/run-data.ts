// The data of a run: each role's files loaded for the model's input, with the recipe's
// preprocessing (how 8-bit pixels become inputs) and class-name order applied, and what deploy.json
// records of them (one resolved preprocessing, the class names). The loaders apply `preprocessing`
// and `classNames` themselves.
import * as path from 'path';
import { ConfigError } from '../errors';
import { OutputInput } from '../core/safe-output';
import { readLabelsFile } from '../data/class-names';
import { DataFilesOptions, LoadedData, loadDataFiles } from '../data/data-files';
import { ResolvedPreprocessing, resolvePreprocessing } from '../data/preprocess';
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

/** The class names a spec gives (classNames, or its labels file). */
export async function specClassNames(
  spec: DataSpec | undefined,
  baseDir: string,
): Promise<readonly string[] | undefined> {
  if (spec?.classNames) return spec.classNames;
  return spec?.labelsFile ? readLabelsFile(path.resolve(baseDir, spec.labelsFile), 'recipe') : undefined;
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
  const classNames = await specClassNames(spec, o.baseDir);
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
  // The loaders apply the preprocessing and the class order themselves (image folders always
  // return the preprocessing they applied; a .npy of pixels when one was given).
  return classNames && !loaded.classNames ? { ...loaded, classNames } : loaded;
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
  let named: readonly string[] | undefined;
  for (const role of DATA_ROLES) named ??= await specClassNames(recipe.data?.[role], o.baseDir);
  const folder = data.evaluation?.kind === 'image-folder' ? data.evaluation.classNames : undefined;
  const classNames = named ?? (folder && (o.classes === undefined || folder.length === o.classes) ? folder : undefined);
  return {
    ...data,
    ...(preprocessing ? { preprocessing } : {}),
    ...(classNames ? { classNames } : {}),
    dispose: () => Object.values(data).forEach((d) => d?.dispose()),
  };
}
