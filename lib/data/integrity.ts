// Integrity checks of data files: existence, byte size and sha256, each failing with a
// DataError that names the file and the fix.
import { DataError } from '../errors';
import { sha256 } from '../core/hash';
import { readRegularFile } from '../core/read-file';

/** What a data file must be. */
export interface FileExpectation {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** Reads a file and checks its size and hash. `fix` says how to repair it. */
export function readVerified(expect: FileExpectation, fix: string): Buffer {
  // A regular file, refused before reading when it is longer than expected.
  const read = readRegularFile(expect.file, {
    fn: 'readVerified',
    what: 'the data file',
    maxBytes: expect.bytes,
    tooLargeAdvice: fix,
  });
  const data = Buffer.from(read.buffer, read.byteOffset, read.byteLength);
  if (data.length !== expect.bytes) {
    throw new DataError(
      `readVerified: ${expect.bytes} bytes in ${expect.file}, got ${data.length} (${data.length < expect.bytes ? 'truncated' : 'too long'}). ${fix}`,
      expect.file,
    );
  }
  const hash = sha256(data);
  if (hash !== expect.sha256) {
    throw new DataError(
      `readVerified: sha256 ${expect.sha256} for ${expect.file}, got ${hash} (corrupt or modified). ${fix}`,
      expect.file,
    );
  }
  return data;
}
