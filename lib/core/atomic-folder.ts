// Folders written as one unit (a model: model.json + its weight files; a registry version). The
// new folder is filled under a hidden temporary name beside the target, flushed to disk (files,
// then the folder), and renamed into place, so a reader (or a process started after kill -9)
// sees the old folder or the new one, never model.json of one with the weights of the other.
//   new target:       rename(tmp, dir)                      one atomic step
//   exclusive:        rename(tmp, dir) fails when dir holds anything: exactly one writer wins
//   replacing:        rename(dir, old); rename(tmp, dir); remove old
// A crash between the two renames of a replacement leaves `old` (whole) and no `dir`: the next
// writer or reader of `dir` (or of a sibling) renames `old` back (the interrupted save never
// returned, so the old folder is the committed one). Temporary folders of processes that no
// longer run are removed then too. Names: `.<base>.tmp-<pid>-<thread>-<random>` and `.<base>.old-<pid>-<thread>-<random>`.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { threadId } from 'worker_threads';
import { ConfigError, DataError } from '../errors';
import { fsyncPath } from './atomic';

/** Options of {@link writeFolderAtomic}. */
export interface FolderWriteOptions {
  /** The function named in errors. Default 'writeFolderAtomic'. */
  readonly caller?: string;
  /**
   * Refuse a target that exists and is not empty, atomically (two writers of one target: exactly
   * one succeeds). The error thrown then; default a ConfigError naming the folder.
   */
  readonly exclusive?: boolean | (() => Error);
  /**
   * When replacing: the names in the old folder to keep in the new one (hard-linked, or copied
   * where links fail), e.g. the files that are not part of the model. Default: none.
   */
  readonly carryOver?: (oldDir: string) => readonly string[];
}

const STALE = /^\.(.+)\.(tmp|old)-(\d+)-(\d+)-[0-9a-f]+$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const code = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? 'an error';

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
    if (st.isDirectory()) {
      throw new ConfigError(`${fn}: a folder holding files only, got the sub-folder ${from}. Save the model into a folder of its own.`);
    }
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

function tempName(parent: string, base: string, kind: 'tmp' | 'old'): string {
  return path.join(parent, `.${base}.${kind}-${process.pid}-${threadId}-${randomBytes(6).toString('hex')}`);
}

/**
 * Writes the folder `dir` as one unit: `fill(tmp)` writes its files into a fresh temporary folder
 * beside it; then it is flushed and renamed into place (see the file header). On any failure
 * the temporary folder is removed and `dir` is as it was.
 * @example writeFolderAtomic('/models/a', (tmp) => fs.writeFileSync(`${tmp}/model.json`, json));
 */
export function writeFolderAtomic(dir: string, fill: (tmp: string) => void, options: FolderWriteOptions = {}): void {
  const fn = options.caller ?? 'writeFolderAtomic';
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  try {
    fs.mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new DataError(`${fn}: a folder (or a path where one can be made) at ${parent}, got ${code(e)}. Pass a folder path whose parents are folders.`, parent);
  }
  recoverFolder(target);
  const exists = (): Error => (typeof options.exclusive === 'function' ? options.exclusive()
    : new ConfigError(`${fn}: a new folder at ${target}, got one that exists and is not empty. Write to another folder, or remove it first.`));
  const nonEmpty = (): boolean => {
    try {
      return fs.readdirSync(target).length > 0;
    } catch {
      return fs.existsSync(target);
    }
  };
  if (options.exclusive && nonEmpty()) throw exists();
  const tmp = tempName(parent, base, 'tmp');
  const olds: string[] = [];
  try {
    fs.mkdirSync(tmp);
    fill(tmp);
    for (let attempt = 0; ; attempt++) {
      if (!options.exclusive && options.carryOver && fs.existsSync(target)) carry(target, tmp, options.carryOver(target), fn);
      fsyncTree(tmp);
      try {
        fs.renameSync(tmp, target); // succeeds when the target is absent or an empty folder
        break;
      } catch (e) {
        if (code(e) !== 'ENOTEMPTY' && code(e) !== 'EEXIST' && code(e) !== 'ENOTDIR' && code(e) !== 'EISDIR') throw e;
        if (options.exclusive) throw exists();
        if (attempt >= 4) throw e;
      }
      if (!fs.lstatSync(target).isDirectory()) {
        throw new ConfigError(`${fn}: a folder (or nothing) at ${target}, got a file. Remove it or pick another path.`);
      }
      const old = tempName(parent, base, 'old');
      try {
        fs.renameSync(target, old);
      } catch (e) {
        if (code(e) !== 'ENOENT') throw e; // another writer moved it: try again
        continue;
      }
      olds.push(old);
      try {
        fs.renameSync(tmp, target);
        break;
      } catch (e) {
        if (code(e) !== 'ENOTEMPTY' && code(e) !== 'EEXIST') throw e; // another writer got there in between: again
      }
    }
    fsyncPath(parent);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Undo a half-done replacement: put the old folder back when the new one did not land.
    if (olds.length && !fs.existsSync(target)) fs.renameSync(olds.pop() as string, target);
    throw e instanceof Error && !(e as NodeJS.ErrnoException).code ? e
      : new DataError(`${fn}: the folder ${target} written, got ${code(e)} (${(e as Error).message}). Check the disk and permissions; ${target} is unchanged.`, target);
  } finally {
    for (const old of olds) fs.rmSync(old, { recursive: true, force: true });
  }
  if (olds.length) fsyncPath(parent);
}
