// NumPy `.npy` arrays (the format `np.save` writes; versions 1.0, 2.0 and 3.0), read into typed
// arrays and tensors, and written (for tests and tools that hand data to Python users). The format
// is small: a magic string, a version, a header length, a Python dict literal
// `{'descr': '<f4', 'fortran_order': False, 'shape': (n, 28, 28, 1), }` padded with spaces, then
// the raw values. We parse it ourselves: the npm parsers checked (npyjs 1.2.0, numpy-parser 1.2.3)
// neither check the value count against the shape nor reject big-endian or unaligned data, and
// npyjs brings a fetch dependency. Hostile files are expected: the size is capped before reading,
// the header is parsed as the three known keys only, the byte count must equal shape x item size,
// and every failure is a DataError naming the file. Little-endian, C order only.
import { DataError, describe } from '../errors';
import { ReadFileOptions, readRegularFile, readRegularFileAsync } from '../core/read-file';

/** Element types of the arrays read and written (after conversion: int64 -> int32, float64 -> float32 on request). */
export type NpyDtype =
  'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

/** A parsed array: values in C (row-major) order. 64-bit integers are converted to int32 (checked to fit). */
export interface NpyArray {
  /** The dtype stored in the file. */
  readonly dtype: NpyDtype;
  readonly shape: number[];
  readonly data:
    Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;
}

/** Limits of {@link readNpy}. */
export interface NpyReadOptions {
  /** Largest file read, in bytes (checked before reading). Default 2 GiB. */
  readonly maxBytes?: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
type Bad = (what: string, got: unknown) => DataError;

/**
 * Each dtype by its descr code (without the byte order): item bytes, and the values of a buffer
 * (64-bit integers are converted to int32, checked to fit, so they are read but not written).
 */
const DESCR: Record<
  string,
  { dtype: NpyDtype; bytes: number; read: (raw: ArrayBuffer, bad: Bad) => NpyArray['data'] }
> = {
  f4: { dtype: 'float32', bytes: 4, read: (raw) => new Float32Array(raw) },
  f8: { dtype: 'float64', bytes: 8, read: (raw) => new Float64Array(raw) },
  i1: { dtype: 'int8', bytes: 1, read: (raw) => new Int8Array(raw) },
  u1: { dtype: 'uint8', bytes: 1, read: (raw) => new Uint8Array(raw) },
  i2: { dtype: 'int16', bytes: 2, read: (raw) => new Int16Array(raw) },
  u2: { dtype: 'uint16', bytes: 2, read: (raw) => new Uint16Array(raw) },
  i4: { dtype: 'int32', bytes: 4, read: (raw) => new Int32Array(raw) },
  u4: { dtype: 'uint32', bytes: 4, read: (raw) => new Uint32Array(raw) },
  i8: { dtype: 'int64', bytes: 8, read: (raw, bad) => int64ToInt32(new BigInt64Array(raw), bad) },
  u8: { dtype: 'uint64', bytes: 8, read: (raw, bad) => int64ToInt32(new BigUint64Array(raw), bad) },
  b1: { dtype: 'bool', bytes: 1, read: (raw) => new Uint8Array(raw) },
};

type Literal = string | boolean | number[];

/** Parses the header's dict literal: string keys; values a quoted string, True/False, or a tuple of integers. */
function parseHeaderDict(text: string, bad: (what: string, got: unknown) => DataError): Record<string, Literal> {
  const out: Record<string, Literal> = {};
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const expect = (c: string) => {
    ws();
    if (text[i] !== c) throw bad(`'${c}' at character ${i} of the header`, text.slice(i, i + 12));
    i++;
  };
  const str = (): string => {
    ws();
    const q = text[i];
    if (q !== "'" && q !== '"') throw bad(`a quoted string at character ${i} of the header`, text.slice(i, i + 12));
    const end = text.indexOf(q, i + 1);
    if (end < 0) throw bad('a closed string in the header', text.slice(i, i + 12));
    const s = text.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const value = (): Literal => {
    ws();
    if (text.startsWith('True', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('False', i)) {
      i += 5;
      return false;
    }
    if (text[i] === '(') {
      i++;
      const dims: number[] = [];
      for (;;) {
        ws();
        if (text[i] === ')') {
          i++;
          return dims;
        }
        const m = /^(\d{1,15})L?/.exec(text.slice(i));
        if (!m) throw bad('non-negative integers in the shape tuple', text.slice(i, i + 12));
        dims.push(Number(m[1]));
        i += m[0].length;
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== ')') throw bad("',' or ')' in the shape tuple", text.slice(i, i + 12));
      }
    }
    return str();
  };
  expect('{');
  for (;;) {
    ws();
    if (text[i] === '}') {
      i++;
      break;
    }
    const key = str();
    expect(':');
    if (key in out) throw bad('each header key once', key);
    out[key] = value();
    ws();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw bad("',' or '}' in the header", text.slice(i, i + 12));
  }
  if (text.slice(i).trim() !== '') throw bad('only spaces after the header dict', text.slice(i, i + 12));
  return out;
}

function int64ToInt32(big: BigInt64Array | BigUint64Array, bad: Bad): Int32Array {
  const out = new Int32Array(big.length);
  for (let k = 0; k < big.length; k++) {
    const v = big[k] as bigint;
    if (v > 2147483647n || v < -2147483648n)
      throw bad('64-bit integers that fit in int32 (tfjs has no int64)', `${v} at index ${k}`);
    out[k] = Number(v);
  }
  return out;
}

/**
 * Parses the bytes of a `.npy` file. `file` names it in error messages.
 * @example parseNpy(encodeNpy({dtype: 'float32', shape: [2], data: Float32Array.of(1, 2)})).shape // [2]
 */
export function parseNpy(bytes: Uint8Array, file = '<memory>'): NpyArray {
  const fn = 'parseNpy';
  const bad = (what: string, got: unknown) =>
    new DataError(
      `${fn}: ${what} in ${file}, got ${typeof got === 'string' ? JSON.stringify(got) : describe(got)}. ` +
        `Save the array with numpy.save (little-endian, C order), e.g. np.save(f, np.ascontiguousarray(x, dtype='<f4')).`,
      file,
    );
  if (bytes.length < 10 || !MAGIC.every((b, k) => bytes[k] === b))
    throw bad(
      'a .npy file (magic \\x93NUMPY)',
      `${bytes.length} bytes starting ${Buffer.from(bytes.subarray(0, 6)).toString('latin1')}`,
    );
  const major = bytes[6] as number;
  if (major < 1 || major > 3) throw bad('format version 1.0, 2.0 or 3.0', `${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw bad('a complete header length', `${bytes.length} bytes`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes + headerLen;
  if (start > bytes.length) throw bad(`a header of ${headerLen} bytes`, `a file of ${bytes.length} bytes (truncated)`);
  const header = Buffer.from(bytes.subarray(8 + lenBytes, start)).toString(major === 3 ? 'utf8' : 'latin1');
  const dict = parseHeaderDict(header, bad);
  const keys = Object.keys(dict).sort().join(',');
  if (keys !== 'descr,fortran_order,shape')
    throw bad("header keys 'descr', 'fortran_order' and 'shape'", Object.keys(dict).join(', '));
  const descr = dict.descr;
  const shape = dict.shape;
  if (typeof descr !== 'string') throw bad("'descr' a dtype string such as '<f4'", descr);
  if (!Array.isArray(shape)) throw bad("'shape' a tuple of integers", shape);
  if (dict.fortran_order !== false) throw bad('C order (fortran_order False)', dict.fortran_order);
  const m = /^([<|=]?)([a-z]\d+)$/.exec(descr);
  const kind = m ? DESCR[m[2] as string] : undefined;
  if (!m || !kind)
    throw bad(
      `a little-endian dtype among ${Object.keys(DESCR)
        .map((k) => `'<${k}'`)
        .join(', ')}`,
      descr,
    );
  if (m[1] === '' && kind.bytes > 1) throw bad('an explicit byte order in descr', descr);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count * kind.bytes))
    throw bad('a shape whose size fits in memory', `(${shape.join(', ')})`);
  const dataBytes = bytes.length - start;
  if (dataBytes !== count * kind.bytes) {
    throw bad(
      `${count * kind.bytes} data bytes for shape (${shape.join(', ')}) of ${descr}`,
      `${dataBytes} (${dataBytes < count * kind.bytes ? 'truncated' : 'trailing bytes'})`,
    );
  }
  // Copy: the values may sit at an offset that is not a multiple of the item size.
  const data = kind.read(bytes.slice(start).buffer, bad);
  return { dtype: kind.dtype, shape: [...shape], data };
}

function readOptions(options: NpyReadOptions, fn: string): ReadFileOptions {
  return {
    fn,
    what: 'a .npy file',
    maxBytes: options.maxBytes ?? 2 * 1024 ** 3,
    tooLargeAdvice: 'Raise maxBytes if the file is trusted and fits in memory.',
  };
}

/** Reads and parses a `.npy` file (a regular file, its size checked before reading). */
export function readNpy(file: string, options: NpyReadOptions = {}): NpyArray {
  return parseNpy(readRegularFile(file, readOptions(options, 'readNpy')), file);
}

/** {@link readNpy} with the read on libuv's threads (the parse, a header and a copy, stays on the caller's). */
export async function readNpyAsync(file: string, options: NpyReadOptions = {}): Promise<NpyArray> {
  return parseNpy(await readRegularFileAsync(file, readOptions(options, 'readNpy')), file);
}

/** The descr each dtype is written with (little-endian; 64-bit integers are not written: they are read as int32). */
const CODES: Partial<Record<NpyDtype, string>> = Object.fromEntries(
  Object.entries(DESCR)
    .filter(([, d]) => d.dtype !== 'int64' && d.dtype !== 'uint64')
    .map(([code, d]) => [d.dtype, `${d.bytes > 1 ? '<' : '|'}${code}`]),
);

/**
 * Encodes an array as a version 1.0 `.npy` file (header padded to 64 bytes, as numpy does).
 * @example fs.writeFileSync('x.npy', encodeNpy({dtype: 'uint8', shape: [2, 2], data: Uint8Array.of(0, 1, 2, 3)}));
 */
export function encodeNpy(array: NpyArray): Uint8Array {
  const code = CODES[array.dtype];
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (!code || count !== array.data.length) {
    throw new DataError(
      `encodeNpy: a dtype among ${Object.keys(CODES).join(', ')} and ${count} values for shape [${array.shape.join(', ')}], got ${describe(array.dtype)} with ${array.data.length} values. Pass matching data.`,
    );
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${code}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + array.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), total);
  return out;
}
