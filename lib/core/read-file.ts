// The one safe-open primitive: reading a whole file that may be hostile, from a folder that a user
// or a client controls. Every reader of such files (data readers, model loaders, the static
// server, the CLI) goes through it:
//   1. with a `root`, the path must lie inside it (lexically, and after resolving links);
//   2. the file is opened without following a final symlink (O_NOFOLLOW) and without blocking
//      (O_NONBLOCK: opening a FIFO or a device returns at once instead of hanging);
//   3. after opening, the open descriptor itself is checked: a regular file, at most `maxBytes`,
//      (with `same`) still the file seen before, and (with a root, on Linux) still inside the
//      root, so a swap between the check and the open is caught;
//   4. at most `maxBytes` are read, even if the file grows meanwhile.
// A link inside the root that points to a file inside the root is read (the link is resolved
// first, then its target opened with O_NOFOLLOW); one that points outside is refused.
// `openRegularFile` stops after step 3 and hands over the descriptor, for readers that stream
// (hashing) or that check several files' sizes before reading any (model weights).
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';

/** What {@link readRegularFile} names in its errors, and its limits. */
export interface ReadFileOptions {
  /** The calling function, e.g. 'readNpy'. */
  readonly fn: string;
  /** What the file should be, e.g. 'a .npy file'. */
  readonly what: string;
  readonly maxBytes: number;
  /** How to get past the size cap, e.g. 'Raise maxBytes if the file is trusted.' */
  readonly tooLargeAdvice: string;
  /** The folder the file must stay inside (after links are resolved). */
  readonly root?: string;
  /** The file must still be this one (device, inode and size seen by an earlier open). */
  readonly same?: FileIdentity;
  /** Read into this buffer (its length must be the file's size) instead of a new one. */
  readonly into?: Uint8Array;
}

/** Which file an open descriptor is, and its size. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
}

/** A checked, open regular file: close `fd` when done. */
export interface OpenedFile extends FileIdentity {
  readonly fd: number;
}

const code = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? 'an error';
const FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/** True when `p` is `root` or lies under it (both absolute and resolved). */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

function fail(o: ReadFileOptions, file: string, got: string, fix = 'Check the path.'): never {
  throw new DataError(`${o.fn}: ${o.what} at ${file}, got ${got}. ${fix}`, file);
}

/** Resolves `file` (and checks it against the root) with `realpath`; returns the path to open. */
function* target(file: string, o: ReadFileOptions): Generator<string, { real: string; root?: string }, string> {
  const abs = path.resolve(file);
  let root: string | undefined;
  if (o.root !== undefined) {
    try {
      root = yield o.root;
    } catch (e) {
      fail(o, file, `a root folder ${o.root} that cannot be resolved (${code(e)})`);
    }
    if (!isInside(path.resolve(o.root), abs) && !isInside(root, abs)) {
      fail(o, file, `a path outside ${o.root}`, 'Keep files inside their folder.');
    }
  }
  let real: string;
  try {
    real = yield abs;
  } catch (e) {
    return fail(o, file, code(e));
  }
  if (root !== undefined && !isInside(root, real)) {
    fail(o, file, `a link to ${real}, outside ${o.root}`, 'Copy the file into the folder instead of linking it.');
  }
  return { real, ...(root !== undefined ? { root } : {}) };
}

function resolveSync(file: string, o: ReadFileOptions): { real: string; root?: string } {
  const plan = target(file, o);
  let r = plan.next();
  while (!r.done) {
    let v: string;
    try {
      v = fs.realpathSync(r.value);
    } catch (e) {
      r = plan.throw(e);
      continue;
    }
    r = plan.next(v);
  }
  return r.value;
}

async function resolveAsync(file: string, o: ReadFileOptions): Promise<{ real: string; root?: string }> {
  const plan = target(file, o);
  let r = plan.next();
  while (!r.done) {
    let v: string;
    try {
      v = await fs.promises.realpath(r.value);
    } catch (e) {
      r = plan.throw(e);
      continue;
    }
    r = plan.next(v);
  }
  return r.value;
}

/** Checks an open descriptor: a regular file within the cap, the same file, still inside the root. */
function checkOpen(fd: number, file: string, root: string | undefined, o: ReadFileOptions): FileIdentity {
  const st = fs.fstatSync(fd);
  if (!st.isFile())
    fail(o, file, st.isDirectory() ? 'a folder' : 'something that is not a regular file (a FIFO, socket or device)');
  if (o.same && (o.same.dev !== st.dev || o.same.ino !== st.ino || o.same.size !== st.size))
    fail(o, file, 'a file that changed while it was read', 'Read it again.');
  if (st.size > o.maxBytes) {
    throw new DataError(
      `${o.fn}: ${o.what} of at most ${o.maxBytes} bytes, got ${st.size} in ${file}. ${o.tooLargeAdvice}`,
      file,
    );
  }
  if (o.into && o.into.length !== st.size)
    fail(o, file, `${st.size} bytes where ${o.into.length} were expected`, 'Read it again.');
  if (root !== undefined && process.platform === 'linux') {
    let opened: string | undefined;
    try {
      opened = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      opened = undefined; // no /proc: the checks before opening stand
    }
    if (opened !== undefined && !isInside(root, opened))
      fail(o, file, `a file that moved outside the folder while it was opened`);
  }
  return { dev: st.dev, ino: st.ino, size: st.size };
}

function openFlagsError(o: ReadFileOptions, file: string, e: unknown): never {
  const c = code(e);
  return fail(o, file, c === 'ELOOP' ? 'a symbolic link swapped in while it was opened' : c);
}

/**
 * Opens `file` with every check of {@link readRegularFile} (nothing read yet); the caller closes `fd`.
 * @example const f = openRegularFile(p, o); try { ... fs.readSync(f.fd, ...) } finally { fs.closeSync(f.fd); }
 */
export function openRegularFile(file: string, o: ReadFileOptions): OpenedFile {
  const { real, root } = resolveSync(file, o);
  let fd: number;
  try {
    fd = fs.openSync(real, FLAGS);
  } catch (e) {
    return openFlagsError(o, file, e);
  }
  try {
    return { fd, ...checkOpen(fd, file, root, o) };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** As {@link openRegularFile}, resolving and opening on libuv's threads; the caller closes `handle`. */
export async function openRegularFileAsync(
  file: string,
  o: ReadFileOptions,
): Promise<FileIdentity & { readonly handle: fs.promises.FileHandle }> {
  const { real, root } = await resolveAsync(file, o);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(real, FLAGS);
  } catch (e) {
    return openFlagsError(o, file, e);
  }
  try {
    return { handle, ...checkOpen(handle.fd, file, root, o) };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

function shortRead(o: ReadFileOptions, file: string, done: number, size: number): never {
  return fail(o, file, `${done} of ${size} bytes (the file shrank while it was read)`, 'Read it again.');
}

/**
 * The bytes of `file`: a regular file of at most `maxBytes`, inside `root` when given; DataError otherwise.
 * Never blocks on a FIFO or device, never reads past the cap.
 * @example readRegularFile('x.npy', {fn: 'readNpy', what: 'a .npy file', maxBytes: 2 ** 31, tooLargeAdvice: 'Raise maxBytes.'})
 */
export function readRegularFile(file: string, o: ReadFileOptions): Uint8Array {
  const { fd, size } = openRegularFile(file, o);
  try {
    const out = o.into ?? new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, out, done, Math.min(size - done, 1 << 30), done);
      if (n === 0) break;
      done += n;
    }
    if (o.into && done !== size) shortRead(o, file, done, size);
    return done === size ? out : out.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * As {@link readRegularFile}, without blocking the event loop (resolving and reading run in libuv's threads).
 * @example const bytes = await readRegularFileAsync('imgs/a.png', {root: 'imgs', fn: 'loadImageFolder', what: 'an image', maxBytes: 1 << 25, tooLargeAdvice: 'Resize it.'})
 */
export async function readRegularFileAsync(file: string, o: ReadFileOptions): Promise<Uint8Array> {
  const { handle, size } = await openRegularFileAsync(file, o);
  try {
    const out = o.into ?? new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(out, done, Math.min(size - done, 1 << 30), done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (o.into && done !== size) shortRead(o, file, done, size);
    return done === size ? out : out.subarray(0, done);
  } finally {
    await handle.close();
  }
}
