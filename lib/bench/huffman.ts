// Huffman coding of small-alphabet symbol streams (the last stage of Deep Compression, Han et al.
// 2016, arXiv:1510.00149): canonical codes from symbol counts, a real bit-packed encoder and the
// decoder that inverts it, so the reported size is the size of bytes that decode.
import { ConfigError, describe } from '../errors';

/** An encoded stream: packed bits, the bit count, and the code length per symbol (the table). */
export interface HuffmanStream {
  readonly bytes: Uint8Array;
  readonly bitLength: number;
  readonly count: number;
  /** Code length per symbol 0..alphabet-1 (0 = unused); canonical codes are rebuilt from it. */
  readonly codeLengths: Uint8Array;
}

function codeLengthsFrom(counts: readonly number[]): Uint8Array {
  const lengths = new Uint8Array(counts.length);
  type Node = { w: number; syms: number[] };
  let nodes: Node[] = counts.map((w, s) => ({ w, syms: [s] })).filter((n) => n.w > 0);
  if (nodes.length === 1) { lengths[(nodes[0] as Node).syms[0] as number] = 1; return lengths; }
  while (nodes.length > 1) {
    nodes.sort((a, b) => a.w - b.w);
    const [a, b] = nodes.splice(0, 2) as [Node, Node];
    for (const s of [...a.syms, ...b.syms]) lengths[s] = (lengths[s] as number) + 1;
    nodes = [...nodes, { w: a.w + b.w, syms: [...a.syms, ...b.syms] }];
  }
  return lengths;
}

/** Canonical codes (as integers, MSB first) from code lengths. */
function canonical(lengths: Uint8Array): { codes: Uint32Array; order: number[] } {
  const order = Array.from(lengths.keys()).filter((s) => (lengths[s] as number) > 0).sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  const codes = new Uint32Array(lengths.length);
  let code = 0;
  let prev = 0;
  for (const s of order) {
    const len = lengths[s] as number;
    code <<= len - prev;
    codes[s] = code;
    code++;
    prev = len;
  }
  return { codes, order };
}

/**
 * Huffman-encodes `symbols` (integers in [0, alphabet)).
 * @example huffmanEncode([0, 0, 0, 1], 2).bitLength // 4 (one bit each)
 */
export function huffmanEncode(symbols: ArrayLike<number>, alphabet: number): HuffmanStream {
  if (!(Number.isInteger(alphabet) && alphabet >= 1 && alphabet <= 65536)) throw new ConfigError(`huffmanEncode: alphabet in [1, 65536], got ${describe(alphabet)}. Use 2^bits.`);
  const counts = new Array<number>(alphabet).fill(0);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i] as number;
    if (!(Number.isInteger(s) && s >= 0 && s < alphabet)) throw new ConfigError(`huffmanEncode: symbols in [0, ${alphabet}), got ${describe(s)} at ${i}. Pass integer codes.`);
    counts[s] = (counts[s] as number) + 1;
  }
  const codeLengths = codeLengthsFrom(counts);
  const { codes } = canonical(codeLengths);
  let bits = 0;
  for (let i = 0; i < symbols.length; i++) bits += codeLengths[symbols[i] as number] as number;
  const bytes = new Uint8Array(Math.ceil(bits / 8));
  let pos = 0;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i] as number;
    const len = codeLengths[s] as number;
    const code = codes[s] as number;
    for (let b = len - 1; b >= 0; b--, pos++) if ((code >>> b) & 1) bytes[pos >> 3] = (bytes[pos >> 3] as number) | (0x80 >> (pos & 7));
  }
  return { bytes, bitLength: bits, count: symbols.length, codeLengths };
}

/** Decodes a stream made by {@link huffmanEncode}. */
export function huffmanDecode(stream: HuffmanStream): Uint32Array {
  const { codes, order } = canonical(stream.codeLengths);
  const table = new Map<string, number>();
  for (const s of order) table.set(`${stream.codeLengths[s]}:${codes[s]}`, s);
  const out = new Uint32Array(stream.count);
  let pos = 0;
  for (let i = 0; i < stream.count; i++) {
    let code = 0;
    let len = 0;
    for (;;) {
      if (pos >= stream.bitLength) throw new ConfigError(`huffmanDecode: ${stream.count} symbols in ${stream.bitLength} bits, got the bits exhausted at symbol ${i}. The stream is damaged.`);
      code = (code << 1) | (((stream.bytes[pos >> 3] as number) >> (7 - (pos & 7))) & 1);
      pos++;
      len++;
      const s = table.get(`${len}:${code}`);
      if (s !== undefined) { out[i] = s; break; }
    }
  }
  return out;
}

/** Bytes a stream occupies when stored: packed bits + one byte per code length. */
export function huffmanBytes(stream: HuffmanStream): number {
  return stream.bytes.length + stream.codeLengths.length;
}
