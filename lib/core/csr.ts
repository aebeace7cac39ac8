// Compressed sparse row storage with narrow relative indices, as in Deep Compression (Han et
// al. 2016, arXiv:1510.00149, Fig. 2): each stored entry keeps its value (fp32) and the gap to
// the previous entry of its row in `indexBits` bits (gap - 1 is stored, so 4 bits reach gaps of
// 1..16). A gap longer than that is bridged by a padding entry whose value is zero.
// Layout: a matrix [rows, cols]; a Dense kernel [in, out] is stored as is (row = input unit);
// a conv kernel [kh, kw, inC, outC] as [kh*kw*inC, outC].
import { ConfigError, ShapeError, describe } from '../errors';

/** Bits per relative index. */
export type IndexBits = 4 | 8;

/** A CSR matrix with narrow relative indices (plain data). */
export interface CsrEncoding {
  readonly rows: number;
  readonly cols: number;
  readonly indexBits: IndexBits;
  /** Values of the stored entries (nonzeros and padding zeros), row by row. */
  readonly values: Float32Array;
  /** (gap - 1) of each stored entry, packed `indexBits` bits each (low nibble first for 4 bits). */
  readonly gaps: Uint8Array;
  /** Offsets into `values` where each row starts, length rows + 1. */
  readonly rowPtr: Uint32Array;
}

function packedLength(entries: number, bits: IndexBits): number {
  return bits === 8 ? entries : Math.ceil(entries / 2);
}

/**
 * Encodes a dense row-major matrix.
 * @example encodeCsr(new Float32Array([0, 2, 0, 0, 0, 3]), 2, 3, 4) // values [2, 3], gaps (gap-1) [1, 2]
 */
export function encodeCsr(dense: Float32Array, rows: number, cols: number, indexBits: IndexBits = 4): CsrEncoding {
  if (indexBits !== 4 && indexBits !== 8)
    throw new ConfigError(
      `encodeCsr: indexBits 4 or 8, got ${describe(indexBits)}. Use 4 for fully-connected layers (Deep Compression uses 5) or 8 for conv.`,
    );
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0) || rows * cols !== dense.length) {
    throw new ShapeError(
      `encodeCsr: rows * cols = dense.length, got ${rows} x ${cols} for ${dense.length} values. Pass the matrix's shape.`,
    );
  }
  const maxGap = 2 ** indexBits;
  const values: number[] = [];
  const gaps: number[] = [];
  const rowPtr = new Uint32Array(rows + 1);
  for (let r = 0; r < rows; r++) {
    let prev = -1;
    for (let c = 0; c < cols; c++) {
      const v = dense[r * cols + c] as number;
      if (v === 0) continue;
      while (c - prev > maxGap) {
        // bridge a long gap with padding zeros
        prev += maxGap;
        values.push(0);
        gaps.push(maxGap - 1);
      }
      values.push(v);
      gaps.push(c - prev - 1);
      prev = c;
    }
    rowPtr[r + 1] = values.length;
  }
  return { rows, cols, indexBits, values: Float32Array.from(values), gaps: packGaps(gaps, indexBits), rowPtr };
}

/**
 * Packs (gap - 1) values `indexBits` bits each, as {@link CsrEncoding.gaps} stores them (low nibble first for 4 bits).
 * @example packGaps([1, 2, 15], 4) // Uint8Array [0x21, 0x0f]
 */
export function packGaps(gaps: ArrayLike<number>, indexBits: IndexBits): Uint8Array {
  const packed = new Uint8Array(packedLength(gaps.length, indexBits));
  for (let i = 0; i < gaps.length; i++) {
    const g = gaps[i] as number;
    if (!(Number.isInteger(g) && g >= 0 && g < 2 ** indexBits))
      throw new ConfigError(
        `packGaps: gaps in [0, ${2 ** indexBits}), got ${describe(g)} at index ${i}. Store gap - 1 of each entry.`,
      );
    if (indexBits === 8) packed[i] = g;
    else packed[i >> 1] = (packed[i >> 1] as number) | (g << ((i & 1) * 4));
  }
  return packed;
}

/** The (gap - 1) of stored entry `i`. */
export function gapAt(enc: CsrEncoding, i: number): number {
  return enc.indexBits === 8 ? (enc.gaps[i] as number) : ((enc.gaps[i >> 1] as number) >> ((i & 1) * 4)) & 15;
}

/** Decodes to a dense row-major Float32Array of rows * cols. */
export function decodeCsr(enc: CsrEncoding): Float32Array {
  const out = new Float32Array(enc.rows * enc.cols);
  for (let r = 0; r < enc.rows; r++) {
    let c = -1;
    for (let i = enc.rowPtr[r] as number; i < (enc.rowPtr[r + 1] as number); i++) {
      c += gapAt(enc, i) + 1;
      out[r * enc.cols + c] = enc.values[i] as number;
    }
  }
  return out;
}

/** Bytes of the encoding: fp32 values, packed indices, uint32 row pointers, 12 header bytes. */
export function csrBytes(enc: CsrEncoding): number {
  return 12 + enc.values.byteLength + enc.gaps.byteLength + enc.rowPtr.byteLength;
}

/** The encoding as one byte string (header rows, cols, bits; rowPtr; gaps; values), e.g. to gzip. */
export function serializeCsr(enc: CsrEncoding): Uint8Array {
  const out = new Uint8Array(csrBytes(enc));
  const view = new DataView(out.buffer);
  view.setUint32(0, enc.rows, true);
  view.setUint32(4, enc.cols, true);
  view.setUint32(8, enc.indexBits, true);
  let off = 12;
  for (const part of [enc.rowPtr, enc.gaps, enc.values]) {
    out.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), off);
    off += part.byteLength;
  }
  return out;
}

/** Reads {@link serializeCsr}'s bytes back. */
export function deserializeCsr(bytes: Uint8Array): CsrEncoding {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows = view.getUint32(0, true);
  const cols = view.getUint32(4, true);
  const indexBits = view.getUint32(8, true) as IndexBits;
  const copy = (off: number, len: number) => bytes.slice(off, off + len).buffer;
  const rowPtr = new Uint32Array(copy(12, 4 * (rows + 1)));
  const entries = rowPtr[rows] as number;
  const gapsOff = 12 + 4 * (rows + 1);
  const gapLen = packedLength(entries, indexBits);
  const gaps = new Uint8Array(copy(gapsOff, gapLen));
  const values = new Float32Array(copy(gapsOff + gapLen, 4 * entries));
  return { rows, cols, indexBits, values, gaps, rowPtr };
}
