// Content digests of the files a run read (a model folder, a data folder, a .npy file), so a
// report can say exactly which inputs produced it. A file's digest is its sha256; a folder's is
// the sha256 of its `sha256sum`-style listing (one "<sha256>  <relative path>" line per file,
// sorted by path, hidden files included, links not followed), which changes when any byte,
// name or file changes.
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { DataError } from '../errors';

function fileSha256(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

function listing(root: string, dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) listing(root, p, out);
    else if (e.isFile()) out.push(`${fileSha256(p)}  ${path.relative(root, p).split(path.sep).join('/')}`);
  }
}

/**
 * sha256 of a file, or of a folder's sorted listing of file digests.
 * @example pathSha256('model') // the same hex string on any machine for the same files
 */
export function pathSha256(p: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    throw new DataError(
      `pathSha256: a file or folder at ${p}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. Check the path.`,
      p,
    );
  }
  if (st.isFile()) return fileSha256(p);
  const lines: string[] = [];
  listing(p, p, lines);
  lines.sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : a.slice(66) > b.slice(66) ? 1 : 0));
  return createHash('sha256')
    .update(lines.map((l) => `${l}\n`).join(''))
    .digest('hex');
}
