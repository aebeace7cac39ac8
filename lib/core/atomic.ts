// Atomic file writes: write to a temporary file in the same folder, then rename over the
// target, so a crash never leaves a half-written model, cache entry or result file.
import * as fs from 'fs';
import * as path from 'path';

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
