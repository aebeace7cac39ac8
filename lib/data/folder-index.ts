// What an image folder holds, listed without reading an image (asynchronously: readdir and
// realpath run in libuv's threads). Two layouts, told apart by what the folder holds:
//   - 'classes': one subfolder per class, the layout of Keras' image_dataset_from_directory and
//     torchvision's ImageFolder (label i = the i-th class name; see class-names.ts);
//   - 'flat': the images directly in the folder, without labels (what calibration needs).
// A folder holding both images and subfolders is refused: which one is meant is unclear.
// Images are found by extension (.png .jpg .jpeg .webp, any case; hidden files and others are
// skipped, as Keras skips them) and sorted by name. A subfolder that is a link must stay inside
// the folder; image files are opened later through the safe-open primitive, which refuses links
// out of the folder, FIFOs and devices when (and only when) a file is read.
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';
import { isInside } from '../core/read-file';
import { ClassNameOptions, givenClassNames, labelSubfolders } from './class-names';

/** One image file of the folder and its label (none in a flat folder). */
export interface ImageFolderEntry {
  readonly file: string;
  readonly label?: number;
}

/** What {@link imageFolderIndex} found. */
export interface ImageFolderIndex {
  readonly layout: 'flat' | 'classes';
  /** The folder, links resolved (every entry lies inside it). */
  readonly root: string;
  /** Name of label i (a flat folder: the names given, else none). */
  readonly classNames: readonly string[];
  readonly entries: readonly ImageFolderEntry[];
}

/** Options of {@link imageFolderIndex}. */
export interface FolderIndexOptions extends ClassNameOptions {
  /** Most files listed in the folder (all kinds, all subfolders). Default 1,000,000. */
  readonly maxFiles?: number;
}

export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg', '.webp']);
const code = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? 'an error';
const isImageName = (name: string) => !name.startsWith('.') && IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** True when the entry is a folder inside `root` (a link to a folder is followed only inside it). */
async function isFolder(root: string, dir: string, e: fs.Dirent, fn: string): Promise<boolean> {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  const p = path.join(dir, e.name);
  let real: string;
  try {
    real = await fs.promises.realpath(p);
  } catch (err) {
    throw new DataError(`${fn}: a readable entry at ${p}, got ${code(err)}. Fix or remove the link.`, p);
  }
  const st = await fs.promises.stat(real);
  if (!st.isDirectory()) return false;
  if (!isInside(root, real)) {
    throw new DataError(
      `${fn}: subfolders inside the image folder ${root}, got ${p} pointing to ${real}. Copy the files into the folder instead of linking them.`,
      p,
    );
  }
  return true;
}

/**
 * Lists an image folder: its layout, class names and image files (sorted: classes in label order,
 * files by name). Reads no image.
 * @example (await imageFolderIndex('data/train')).classNames // ['cat', 'dog']
 */
export async function imageFolderIndex(
  dir: string,
  options: FolderIndexOptions = {},
  fn = 'imageFolderIndex',
): Promise<ImageFolderIndex> {
  const given = await givenClassNames(options, fn);
  const maxFiles = options.maxFiles ?? 1_000_000;
  let root: string;
  try {
    root = await fs.promises.realpath(dir);
    if (!(await fs.promises.stat(root)).isDirectory())
      throw Object.assign(new Error('not a folder'), { code: 'not a folder' });
  } catch (e) {
    throw new DataError(
      `${fn}: an image folder (images, or one subfolder of images per class) at ${dir}, got ${code(e)}. Check the path.`,
      dir,
    );
  }
  let listed = 0;
  const list = async (d: string): Promise<fs.Dirent[]> => {
    const all = (await fs.promises.readdir(d, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
    listed += all.length;
    if (listed > maxFiles)
      throw new DataError(
        `${fn}: an image folder of at most ${maxFiles} files, got more in ${dir}. Use a smaller folder, or raise maxFiles.`,
        dir,
      );
    return all;
  };
  const top = await list(root);
  const images = top.filter((e) => (e.isFile() || e.isSymbolicLink()) && isImageName(e.name)).map((e) => e.name);
  const folders: string[] = [];
  for (const e of top) if (await isFolder(root, root, e, fn)) folders.push(e.name);
  images.sort(byName);
  folders.sort(byName);
  if (images.length && folders.length) {
    throw new DataError(
      `${fn}: either images directly in ${dir} (unlabelled) or one subfolder per class, got both ` +
        `(${images.length} images and the subfolders ${folders.slice(0, 5).join(', ')}${folders.length > 5 ? ', ...' : ''}). ` +
        `Move the loose images into a class subfolder, or the subfolders out.`,
      dir,
    );
  }
  if (images.length) {
    return {
      layout: 'flat',
      root,
      classNames: given ?? [],
      entries: images.map((f) => ({ file: path.join(root, f) })),
    };
  }
  if (!folders.length) {
    throw new DataError(
      `${fn}: PNG, JPEG or WebP images in ${dir} (directly, or in one subfolder per class), got none. ` +
        `Put the images in ${dir}/ or ${dir}/<class name>/.`,
      dir,
    );
  }
  const labelOf = labelSubfolders(folders, given ?? folders, dir, fn);
  const ordered = [...folders].sort((a, b) => (labelOf.get(a) as number) - (labelOf.get(b) as number));
  const entries: ImageFolderEntry[] = [];
  for (const name of ordered) {
    const classDir = await fs.promises.realpath(path.join(root, name));
    const files = (await list(classDir))
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && isImageName(e.name))
      .map((e) => e.name)
      .sort(byName);
    const label = labelOf.get(name) as number;
    for (const f of files) entries.push({ file: path.join(classDir, f), label });
  }
  if (entries.length === 0)
    throw new DataError(
      `${fn}: PNG, JPEG or WebP files in the class folders of ${dir}, got none. Put the images in ${dir}/<class name>/.`,
      dir,
    );
  return { layout: 'classes', root, classNames: given ?? folders, entries };
}
