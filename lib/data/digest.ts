// Content digests of the files a run read (a model folder, a data folder, a .npy file), so a
// report can say exactly which inputs produced it. A file's digest is its sha256; a folder's is
// the sha256 of its `sha256sum`-style listing (one "<sha256>  <relative path>" line per file,
// sorted by path, hidden files included, links not followed), which changes when any byte,
// name or file changes. Files are opened through the safe-open primitive (a FIFO or device is a
// DataError, never a hang) and streamed; `pathSha256Async` keeps the event loop free.
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { DataError } from '../errors';
import { ReadFileOptions, openRegularFile, openRegularFileAsync } from '../core/read-file';

const CHUNK = 1 << 20;
const opts = (root?: string): ReadFileOptions => ({
  fn: 'pathSha256',
  what: 'a regular file',
  maxBytes: Number.MAX_SAFE_INTEGER,
  tooLargeAdvice: '',
  ...(root ? { root } : {}),
});

function fileSha256(file: string, root?: string): string {
  const h = createHash('sha256');
  const { fd } = openRegularFile(file, opts(root));
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

async function fileSha256Async(file: string, root?: string): Promise<string> {
  const h = createHash('sha256');
  const { handle } = await openRegularFileAsync(file, opts(root));
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let r = await handle.read(buf, 0, CHUNK); r.bytesRead > 0; r = await handle.read(buf, 0, CHUNK))
      h.update(buf.subarray(0, r.bytesRead));
  } finally {
    await handle.close();
  }
  return h.digest('hex');
}

const line = (root: string, p: string, sha: string) => `${sha}  ${path.relative(root, p).split(path.sep).join('/')}`;

function listing(root: string, dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) listing(root, p, out);
    else if (e.isFile()) out.push(line(root, p, fileSha256(p, root)));
  }
}

async function listingAsync(root: string, dir: string, out: string[]): Promise<void> {
  for (const e of await fs.promises.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await listingAsync(root, p, out);
    else if (e.isFile()) out.push(line(root, p, await fileSha256Async(p, root)));
  }
}

function digestOf(lines: string[]): string {
  lines.sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : a.slice(66) > b.slice(66) ? 1 : 0));
  return createHash('sha256')
    .update(lines.map((l) => `${l}\n`).join(''))
    .digest('hex');
}

function kindOf(st: fs.Stats, p: string): 'file' | 'folder' {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'folder';
  throw new DataError(
    `pathSha256: a file or folder at ${p}, got something else (a FIFO, socket or device). Check the path.`,
    p,
  );
}

function missing(p: string, e: unknown): DataError {
  return new DataError(
    `pathSha256: a file or folder at ${p}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. Check the path.`,
    p,
  );
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
    throw missing(p, e);
  }
  if (kindOf(st, p) === 'file') return fileSha256(p);
  const root = fs.realpathSync(p);
  const lines: string[] = [];
  listing(root, root, lines);
  return digestOf(lines);
}

/**
 * {@link pathSha256} with every read on libuv's threads (a folder of 100,000 images does not block the event loop).
 * @example await pathSha256Async('data/calibration')
 */
export async function pathSha256Async(p: string): Promise<string> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(p);
  } catch (e) {
    throw missing(p, e);
  }
  if (kindOf(st, p) === 'file') return fileSha256Async(p);
  const root = await fs.promises.realpath(p);
  const lines: string[] = [];
  await listingAsync(root, root, lines);
  return digestOf(lines);
}
