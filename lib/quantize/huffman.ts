// Canonical Huffman coding of integer symbols (Deep Compression's last stage, Han et al. 2016,
// arXiv:1510.00149): a real encoder and decoder, so the coded size is a measured byte count.
// The stored form is the code length of each symbol (one byte each) plus the packed bit stream.
import { ConfigError, DataError, describe } from '../errors';

/** A Huffman-coded stream. */
export interface HuffmanEncoded {
  /** Code length (bits) of each symbol 0..n-1; 0 for symbols that never occur. */
  readonly lengths: Uint8Array;
  /** The packed bits, most significant bit first. */
  readonly bytes: Uint8Array;
  readonly bitLength: number;
  /** Number of symbols encoded. */
  readonly count: number;
  /** Stored size: lengths table + bit stream. */
  readonly sizeBytes: number;
}

const MAX_LENGTH = 30;

/**
 * Code lengths of a Huffman code for the frequencies (0 for absent symbols). Two-queue
 * construction (sorted leaves, then merged nodes in creation order): O(n log n).
 */
export function huffmanLengths(freqs: ArrayLike<number>): Uint8Array {
  const n = freqs.length;
  const lengths = new Uint8Array(n);
  const leaves = Array.from({ length: n }, (_, s) => s)
    .filter((s) => (freqs[s] as number) > 0)
    .sort((a, b) => (freqs[a] as number) - (freqs[b] as number) || a - b);
  if (leaves.length === 1) lengths[leaves[0] as number] = 1;
  if (leaves.length <= 1) return lengths;
  // Nodes 0..m-1 are leaves (in sorted order), m.. are merged nodes; parent[] links them.
  const m = leaves.length;
  const weight = new Float64Array(2 * m - 1);
  const parent = new Int32Array(2 * m - 1).fill(-1);
  leaves.forEach((s, i) => {
    weight[i] = freqs[s] as number;
  });
  let leaf = 0;
  let merged = m;
  let next = m;
  const take = (): number => {
    if (leaf < m && (merged >= next || (weight[leaf] as number) <= (weight[merged] as number))) return leaf++;
    return merged++;
  };
  while (next < 2 * m - 1) {
    const a = take();
    const b = take();
    weight[next] = (weight[a] as number) + (weight[b] as number);
    parent[a] = next;
    parent[b] = next;
    next++;
  }
  const depth = new Int32Array(2 * m - 1);
  for (let i = 2 * m - 3; i >= 0; i--) depth[i] = (depth[parent[i] as number] as number) + 1;
  leaves.forEach((s, i) => {
    const d = depth[i] as number;
    if (d > MAX_LENGTH)
      throw new ConfigError(
        `huffmanEncode: codes of at most ${MAX_LENGTH} bits, got ${d} for symbol ${s}. Use fewer symbols.`,
      );
    lengths[s] = d;
  });
  return lengths;
}

/** Canonical codes from lengths: shorter codes first, ties by symbol. */
function canonical(lengths: Uint8Array): {
  codes: Uint32Array;
  order: number[];
  firstCode: number[];
  countAt: number[];
  offset: number[];
} {
  const order = Array.from(lengths.keys())
    .filter((s) => (lengths[s] as number) > 0)
    .sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  const codes = new Uint32Array(lengths.length);
  const firstCode = new Array<number>(MAX_LENGTH + 2).fill(0);
  const countAt = new Array<number>(MAX_LENGTH + 2).fill(0);
  const offset = new Array<number>(MAX_LENGTH + 2).fill(0);
  for (const s of order) countAt[lengths[s] as number]!++;
  let code = 0;
  let idx = 0;
  for (let len = 1; len <= MAX_LENGTH; len++) {
    code = (code + (countAt[len - 1] as number)) << 1;
    if (len === 1) code = 0;
    firstCode[len] = code;
    offset[len] = idx;
    idx += countAt[len] as number;
  }
  const next = firstCode.slice();
  for (const s of order) codes[s] = next[lengths[s] as number]!++;
  return { codes, order, firstCode, countAt, offset };
}

/**
 * Huffman-encodes `symbols` (integers in [0, nSymbols)).
 * @example huffmanEncode([0, 0, 0, 1], 2).bitLength // 4 (one bit each)
 */
export function huffmanEncode(symbols: ArrayLike<number>, nSymbols: number): HuffmanEncoded {
  if (!(Number.isInteger(nSymbols) && nSymbols >= 1 && nSymbols <= 65536)) {
    throw new ConfigError(`huffmanEncode: nSymbols an integer in [1, 65536], got ${describe(nSymbols)}. Pass 2^bits.`);
  }
  const freqs = new Float64Array(nSymbols);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i] as number;
    if (!(Number.isInteger(s) && s >= 0 && s < nSymbols))
      throw new DataError(
        `huffmanEncode: symbols in [0, ${nSymbols}), got ${describe(s)} at index ${i}. Pass cluster indices.`,
      );
    freqs[s] = (freqs[s] as number) + 1;
  }
  const lengths = huffmanLengths(freqs);
  const { codes } = canonical(lengths);
  let bitLength = 0;
  for (let i = 0; i < symbols.length; i++) bitLength += lengths[symbols[i] as number] as number;
  const bytes = new Uint8Array(Math.ceil(bitLength / 8));
  let pos = 0;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i] as number;
    const len = lengths[s] as number;
    const code = codes[s] as number;
    for (let b = len - 1; b >= 0; b--, pos++) if ((code >>> b) & 1) bytes[pos >>> 3]! |= 0x80 >>> (pos & 7);
  }
  return { lengths, bytes, bitLength, count: symbols.length, sizeBytes: lengths.length + bytes.length };
}

/** Decodes a stream written by {@link huffmanEncode}. */
export function huffmanDecode(encoded: HuffmanEncoded): Uint16Array {
  const { order, firstCode, countAt, offset } = canonical(encoded.lengths);
  const out = new Uint16Array(encoded.count);
  let pos = 0;
  for (let i = 0; i < encoded.count; i++) {
    let code = 0;
    let len = 0;
    for (;;) {
      if (pos >= encoded.bitLength)
        throw new DataError(
          `huffmanDecode: ${encoded.count} symbols in ${encoded.bitLength} bits, got the stream exhausted at symbol ${i}. The stream is truncated.`,
        );
      code = (code << 1) | (((encoded.bytes[pos >>> 3] as number) >>> (7 - (pos & 7))) & 1);
      pos++;
      len++;
      const k = code - (firstCode[len] as number);
      if ((countAt[len] as number) > 0 && k >= 0 && k < (countAt[len] as number)) {
        out[i] = order[(offset[len] as number) + k] as number;
        break;
      }
      if (len > MAX_LENGTH)
        throw new DataError(
          `huffmanDecode: codes of at most ${MAX_LENGTH} bits, got an invalid code at symbol ${i}. The stream is corrupt.`,
        );
    }
  }
  return out;
}
