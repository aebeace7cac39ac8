// Reading one whole file that may be hostile: a regular file (not a folder, FIFO or device, which
// could block or never end), its size checked against a cap before any byte is read.
import * as fs from 'fs';
import { DataError } from '../errors';

/** What {@link readRegularFile} names in its errors. */
export interface ReadFileOptions {
  /** The calling function, e.g. 'readNpy'. */
  readonly fn: string;
  /** What the file should be, e.g. 'a .npy file'. */
  readonly what: string;
  readonly maxBytes: number;
  /** How to get past the size cap, e.g. 'Raise maxBytes if the file is trusted.' */
  readonly tooLargeAdvice: string;
}

/**
 * The bytes of `file`, a regular file of at most `maxBytes`; DataError otherwise.
 * @example readRegularFile('x.npy', {fn: 'readNpy', what: 'a .npy file', maxBytes: 2 ** 31, tooLargeAdvice: 'Raise maxBytes.'})
 */
export function readRegularFile(file: string, o: ReadFileOptions): Uint8Array {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'not a regular file' });
    size = st.size;
  } catch (e) {
    throw new DataError(`${o.fn}: ${o.what} at ${file}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. Check the path.`, file);
  }
  if (size > o.maxBytes) throw new DataError(`${o.fn}: ${o.what} of at most ${o.maxBytes} bytes, got ${size} in ${file}. ${o.tooLargeAdvice}`, file);
  return new Uint8Array(fs.readFileSync(file));
}
