// Atomic writes: a file or a whole folder goes to a temporary name in the same folder, then is renamed over the
// target, so a crash never leaves a half-written model, cache entry or result file.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../errors';

/** Writes `data` to `file` atomically, creating the folder when missing. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes a JSON value atomically, pretty-printed, with a final newline. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Options of {@link writeFolderAtomic}. */
export interface FolderWriteOptions {
  /** Replace an existing target folder (default: refuse). */
  readonly force?: boolean;
  /** The function named in error messages. */
  readonly caller?: string;
}

function fsyncPath(p: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on folders; the rename below is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function fsyncTree(p: string): void {
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    const q = path.join(p, e.name);
    if (e.isDirectory()) fsyncTree(q);
    else if (e.isFile()) fsyncPath(q);
  }
  fsyncPath(p);
}

/**
 * Writes a whole folder atomically: `fill` writes into a fresh temporary folder next to `target`,
 * every file is fsynced, then the folder is renamed to `target` (an existing target is refused
 * unless `force`, and then swapped out only after the new folder is complete). When `fill`
 * throws, the temporary folder is removed and `target` is left as it was: never a partial output.
 * @example await writeFolderAtomic('out/model', async (dir) => { await saveModel(model, dir); });
 */
export async function writeFolderAtomic<T>(target: string, fill: (dir: string) => Promise<T> | T, options: FolderWriteOptions = {}): Promise<T> {
  const fn = options.caller ?? 'writeFolderAtomic';
  const abs = path.resolve(target);
  if (fs.existsSync(abs) && !options.force) {
    throw new ConfigError(`${fn}: an output folder that does not exist yet, got ${target}, which exists. Choose another folder, or pass --force (force: true) to replace it.`);
  }
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = fs.mkdtempSync(`${abs}.tmp-${process.pid}-`);
  let result: T;
  try {
    result = await fill(tmp);
    fsyncTree(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = fs.existsSync(abs) ? `${abs}.old-${process.pid}-${Date.now()}` : undefined;
  if (old) fs.renameSync(abs, old);
  try {
    fs.renameSync(tmp, abs);
  } catch (e) {
    if (old) fs.renameSync(old, abs);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  fsyncPath(path.dirname(abs));
  if (old) fs.rmSync(old, { recursive: true, force: true });
  return result;
}
