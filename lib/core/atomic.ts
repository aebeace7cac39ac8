// Atomic writes, of one file or of a whole folder (a model: model.json + its weight files; a
// registry version; a CLI's output), so a crash (even kill -9 or a power cut) leaves the old
// bytes or the new ones, never a mix. A file goes to a temporary name beside it, is flushed and
// renamed over the target. A folder is filled under a hidden temporary name beside the target,
// flushed (files, then the folder), and renamed into place:
//   new target:       rename(tmp, dir)                      one atomic step; it fails when dir
//                                                           holds anything, so of two writers of
//                                                           a new folder exactly one succeeds
//   replacing (force): rename(dir, old); rename(tmp, dir); remove old
// A crash between the two renames of a replacement leaves `old` (whole) and no `dir`: the next
// writer or reader of a folder there renames `old` back (the interrupted write never returned, so
// the old folder is the committed one), and removes the temporary folders of processes that no
// longer run. Names: `.<base>.tmp-<pid>-<thread>-<random>` and `.<base>.old-<pid>-<thread>-<random>`.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { threadId } from 'worker_threads';
import { ConfigError, DataError } from '../errors';

const code = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? 'an error';

/** fsync of a file or folder (a folder: makes a rename or a new entry durable where the file system supports it). */
export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    // Some file systems refuse fsync on folders; the renames are still atomic there.
    if (
      !fs.fstatSync(fd).isDirectory() ||
      !['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM', 'EACCES', 'EBADF'].includes(code(e))
    )
      throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `data` to `file` atomically and durably, creating the folder when missing. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncPath(path.dirname(file));
}

/** Writes a JSON value atomically, pretty-printed, with a final newline. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Options of {@link writeFolderAtomic}. */
export interface FolderWriteOptions {
  /** The function named in errors. Default 'writeFolderAtomic'. */
  readonly caller?: string;
  /** Replace a target that exists (default: refuse it, atomically). */
  readonly force?: boolean;
  /** The error thrown for an existing target; default a ConfigError naming it and `force`. */
  readonly onExists?: () => Error;
  /**
   * When replacing: the names in the old folder to keep in the new one (hard-linked, or copied
   * where links fail), e.g. the files that are not part of a model. Default: none.
   */
  readonly carryOver?: (oldDir: string) => readonly string[];
  /**
   * When replacing: called with the existing folder right before it is moved aside (after the new
   * folder is complete); throwing refuses the replacement and leaves both as they were. For
   * re-checking, at the last moment, that the folder may be replaced (see safe-output.ts).
   */
  readonly beforeReplace?: (oldDir: string) => void;
}

const STALE = /^\.(.+)\.(tmp|old)-(\d+)-(\d+)-[0-9a-f]+$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return code(e) === 'EPERM';
  }
}

/** Flushes every file and folder under `dir` (children first). */
function fsyncTree(dir: string): void {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) fsyncTree(p);
    else if (d.isFile()) fsyncPath(p);
  }
  fsyncPath(dir);
}

/**
 * Finishes or undoes what crashed writers left in the folder holding `dir`: an old folder whose
 * replacement was interrupted between its two renames is renamed back when its target is
 * missing (removed otherwise), and temporary folders are removed, for every target there, but
 * only those of processes that are gone. Returns true when `dir` itself was restored.
 */
export function recoverFolder(dir: string): boolean {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return false; // no parent: nothing was ever written here
  }
  let restored = false;
  let changed = false;
  for (const name of names) {
    const m = STALE.exec(name);
    if (!m) continue;
    const pid = Number(m[3]);
    if (pid === process.pid || alive(pid)) continue;
    const p = path.join(parent, name);
    const own = path.join(parent, m[1] as string);
    try {
      if (m[2] === 'old' && !fs.existsSync(own)) {
        fs.renameSync(p, own);
        if (own === target) restored = true;
      } else {
        fs.rmSync(p, { recursive: true, force: true });
      }
      changed = true;
    } catch {
      // Another process recovered it first, or no permission: leave it.
    }
  }
  if (changed) fsyncPath(parent);
  return restored;
}

function carry(oldDir: string, tmp: string, names: readonly string[], fn: string): void {
  for (const name of names) {
    if (name.includes('/') || name.includes(path.sep) || name === '.' || name === '..') continue;
    const from = path.join(oldDir, name);
    const to = path.join(tmp, name);
    if (fs.existsSync(to)) continue; // the new folder has its own
    const st = fs.lstatSync(from, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory())
      throw new ConfigError(
        `${fn}: a folder holding files only, got the sub-folder ${from}. Save the model into a folder of its own.`,
      );
    if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else {
      try {
        fs.linkSync(from, to);
      } catch {
        fs.copyFileSync(from, to);
      }
    }
  }
}

interface Pending {
  readonly fn: string;
  readonly target: string;
  readonly parent: string;
  readonly base: string;
  readonly tmp: string;
  readonly exists: () => Error;
}

const tempName = (parent: string, base: string, kind: 'tmp' | 'old'): string =>
  path.join(parent, `.${base}.${kind}-${process.pid}-${threadId}-${randomBytes(6).toString('hex')}`);

function begin(dir: string, options: FolderWriteOptions): Pending {
  const fn = options.caller ?? 'writeFolderAtomic';
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  try {
    fs.mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new DataError(
      `${fn}: a folder (or a path where one can be made) at ${parent}, got ${code(e)}. Pass a folder path whose parents are folders.`,
      parent,
    );
  }
  recoverFolder(target);
  const exists =
    options.onExists ??
    ((): Error =>
      new ConfigError(
        `${fn}: an output folder that does not exist yet, got ${dir}, which exists. ` +
          `Choose another folder, or pass --force (force: true) to replace it.`,
      ));
  const st = fs.statSync(target, { throwIfNoEntry: false });
  if (st && !options.force && (!st.isDirectory() || fs.readdirSync(target).length > 0)) throw exists();
  const tmp = tempName(parent, path.basename(target), 'tmp');
  fs.mkdirSync(tmp);
  return { fn, target, parent, base: path.basename(target), tmp, exists };
}

function commit(p: Pending, options: FolderWriteOptions): void {
  const olds: string[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      if (options.force && options.carryOver && fs.existsSync(p.target))
        carry(p.target, p.tmp, options.carryOver(p.target), p.fn);
      fsyncTree(p.tmp);
      try {
        fs.renameSync(p.tmp, p.target); // succeeds when the target is absent or an empty folder
        break;
      } catch (e) {
        if (!['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR'].includes(code(e))) throw e;
        if (!options.force) throw p.exists();
        if (attempt >= 4) throw e;
      }
      if (!fs.lstatSync(p.target).isDirectory())
        throw new ConfigError(
          `${p.fn}: a folder (or nothing) at ${p.target}, got a file. Remove it or pick another path.`,
        );
      options.beforeReplace?.(p.target);
      const old = tempName(p.parent, p.base, 'old');
      try {
        fs.renameSync(p.target, old);
      } catch (e) {
        if (code(e) !== 'ENOENT') throw e; // another writer moved it: try again
        continue;
      }
      olds.push(old);
      try {
        fs.renameSync(p.tmp, p.target);
        break;
      } catch (e) {
        if (code(e) !== 'ENOTEMPTY' && code(e) !== 'EEXIST') throw e; // another writer got there in between: again
      }
    }
    fsyncPath(p.parent);
  } catch (e) {
    // Undo a half-done replacement: put the old folder back when the new one did not land.
    if (olds.length && !fs.existsSync(p.target)) fs.renameSync(olds.pop() as string, p.target);
    throw e;
  } finally {
    for (const old of olds) fs.rmSync(old, { recursive: true, force: true });
  }
  if (olds.length) fsyncPath(p.parent);
}

function fail(p: Pending, e: unknown): Error {
  fs.rmSync(p.tmp, { recursive: true, force: true });
  return e instanceof Error && !(e as NodeJS.ErrnoException).code
    ? e
    : new DataError(
        `${p.fn}: the folder ${p.target} written, got ${code(e)} (${(e as Error).message}). Check the disk and permissions; ${p.target} is unchanged.`,
        p.target,
      );
}

/**
 * Writes the folder `dir` as one unit: `fill(tmp)` writes its files into a fresh temporary folder
 * beside it; then it is flushed and renamed into place (see the file header). An existing target
 * is refused unless `force`. On any failure the temporary folder is removed and `dir` is as it was.
 * @example await writeFolderAtomic('out/model', async (tmp) => { await saveModel(model, tmp); });
 */
export async function writeFolderAtomic<T>(
  dir: string,
  fill: (tmp: string) => T | Promise<T>,
  options: FolderWriteOptions = {},
): Promise<T> {
  const p = begin(dir, options);
  try {
    const result = await fill(p.tmp);
    commit(p, options);
    return result;
  } catch (e) {
    throw fail(p, e);
  }
}

/** {@link writeFolderAtomic} with a synchronous `fill`. */
export function writeFolderAtomicSync<T>(dir: string, fill: (tmp: string) => T, options: FolderWriteOptions = {}): T {
  const p = begin(dir, options);
  try {
    const result = fill(p.tmp);
    commit(p, options);
    return result;
  } catch (e) {
    throw fail(p, e);
  }
}
