// Atomic file writes: write to a temporary file in the same folder, flush it to disk, then
// rename over the target and flush the folder, so a crash (even kill -9 or a power cut) never
// leaves a half-written model, cache entry or result file: the old bytes or the new ones.
import * as fs from 'fs';
import * as path from 'path';

/** fsync of a file or folder (folders: makes a rename or a new entry durable). */
export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
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
