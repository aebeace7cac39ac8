// Class names: which name label i stands for. Keras' image_dataset_from_directory takes them
// from the subfolders in sorted order unless `class_names=[...]` gives the order; many converted
// models ship a labels file (`labels.txt`, one name per line, or a JSON array) whose line i is
// output i. A model whose classes are not in alphabetical order must be scored against its own
// order, so both are accepted here, and a folder whose subfolders are not among the names is an
// error that names them (never a silent relabelling). Subfolders may be fewer than the names:
// an evaluation set of 5 ImageNet classes is labelled by the model's 1,000 names.
import * as path from 'path';
import { ConfigError, DataError, describe } from '../errors';
import { readRegularFileAsync } from '../core/read-file';

/** Where class names come from (at most one of the two). */
export interface ClassNameOptions {
  /** Label i is classNames[i] (Keras' class_names). Default: the subfolders, sorted. */
  readonly classNames?: readonly string[];
  /** A file of class names: one per line (labels.txt), or a JSON array of strings. */
  readonly labelsFile?: string;
}

/** Most classes a label can index (labels are stored in 16 bits). */
export const MAX_CLASSES = 65536;
const MAX_LABELS_FILE_BYTES = 4 * 1024 * 1024;
const MAX_NAME_LENGTH = 1000;

/** Checks a list of class names: strings, non-empty, distinct, at most MAX_CLASSES. */
export function checkClassNames(names: unknown, fn: string, source = 'classNames'): readonly string[] {
  if (!Array.isArray(names) || names.length === 0 || names.length > MAX_CLASSES) {
    throw new ConfigError(
      `${fn}: ${source} a list of 1 to ${MAX_CLASSES} class names, got ${describe(names)}. Pass the names in the model's output order.`,
    );
  }
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    if (typeof n !== 'string' || n.trim() === '' || n.length > MAX_NAME_LENGTH || n.includes('\0')) {
      throw new ConfigError(
        `${fn}: ${source} of non-empty names (at most ${MAX_NAME_LENGTH} characters), got ${describe(n)} at index ${i}. Fix the entry.`,
      );
    }
    if (seen.has(n)) {
      throw new ConfigError(
        `${fn}: ${source} of distinct names, got ${describe(n)} at indices ${seen.get(n)} and ${i}. Each output of the model has one name.`,
      );
    }
    seen.set(n, i);
  });
  return names as string[];
}

/** The names in a labels file: a JSON array of strings, or one name per line (surrounding spaces and a final newline ignored). */
export function parseLabelsFile(text: string, file: string, fn: string): readonly string[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw new DataError(
        `${fn}: a JSON array of class names in ${file}, got ${e instanceof RangeError ? 'nesting too deep to parse' : (e as Error).message}. ` +
          `Write ["cat", "dog", ...] or one name per line.`,
        file,
      );
    }
    try {
      return checkClassNames(parsed, fn, `the labels file ${file} as`);
    } catch (e) {
      throw new DataError((e as Error).message, file);
    }
  }
  const lines = trimmed.split(/\r?\n/).map((l) => l.trim());
  const empty = lines.findIndex((l) => l === '');
  if (empty >= 0) {
    throw new DataError(
      `${fn}: one class name per line in ${file}, got an empty line ${empty + 1}. Remove it: line i names output i.`,
      file,
    );
  }
  try {
    return checkClassNames(lines, fn, `the labels file ${file} as`);
  } catch (e) {
    throw new DataError((e as Error).message, file);
  }
}

/**
 * Reads a labels file (labels.txt: one class name per line, or a JSON array); line i names output i.
 * @example await readLabelsFile('model/labels.txt') // ['background', 'tench', ...]
 */
export async function readLabelsFile(file: string, fn = 'readLabelsFile'): Promise<readonly string[]> {
  const bytes = await readRegularFileAsync(file, {
    fn,
    what: 'a labels file',
    maxBytes: MAX_LABELS_FILE_BYTES,
    tooLargeAdvice: 'A labels file holds one class name per line; check that this is the right file.',
  });
  return parseLabelsFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), file, fn);
}

/** The class names asked for (explicit, from a file, or none). */
export async function givenClassNames(o: ClassNameOptions, fn: string): Promise<readonly string[] | undefined> {
  if (o.classNames !== undefined && o.labelsFile !== undefined) {
    throw new ConfigError(
      `${fn}: classNames or labelsFile, got both. Pass the names directly, or the file that lists them.`,
    );
  }
  if (o.labelsFile !== undefined) return readLabelsFile(path.resolve(o.labelsFile), fn);
  if (o.classNames !== undefined) return checkClassNames(o.classNames, fn);
  return undefined;
}

/** Label of each subfolder under `names`; DataError naming the subfolders that are not names. */
export function labelSubfolders(
  subfolders: readonly string[],
  names: readonly string[],
  dir: string,
  fn: string,
): Map<string, number> {
  const index = new Map(names.map((n, i) => [n, i]));
  const extra = subfolders.filter((s) => !index.has(s));
  if (extra.length) {
    const have = new Set(subfolders);
    const missing = names.filter((n) => !have.has(n));
    const list = (a: readonly string[]) =>
      a
        .slice(0, 10)
        .map((s) => JSON.stringify(s))
        .join(', ') + (a.length > 10 ? ` and ${a.length - 10} more` : '');
    throw new DataError(
      `${fn}: class subfolders of ${dir} that are among the ${names.length} class names, got ${extra.length} that are not: ${list(extra)}` +
        `${missing.length ? ` (names without a subfolder: ${list(missing)})` : ''}. ` +
        `Rename or move those subfolders, or fix the class names (or labels file).`,
      dir,
    );
  }
  return new Map(subfolders.map((s) => [s, index.get(s) as number]));
}
