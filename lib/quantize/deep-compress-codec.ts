// One kernel in Deep Compression's storage (Han et al. 2016, arXiv:1510.00149, Sec. 2-4): the
// kernel, flattened row-major, as
//   1. CSR with narrow relative indices (core/csr.ts): the stored entries and the gap of each,
//      with a padding zero entry bridging a gap longer than 2^indexBits;
//   2. shared weights with code 0 reserved for the exact zeros (the padding entries): the
//      nonzeros' own distinct values when there are at most 2^bits - 1 of them (a kernel that is
//      already shared is stored exactly), else k-means' 2^bits - 1 centroids;
//   3. Huffman codes over the code stream and over the gap stream.
// Sizes are real encoded bytes; decodeKernel gives back exactly the values the codes stand for.
import { ConfigError, describe } from '../errors';
import { decodeCsr, encodeCsr, gapAt, IndexBits, packGaps } from '../core/csr';
import { decodeShared, kmeansCluster } from './kmeans';
import { huffmanDecode, huffmanEncode, HuffmanEncoded } from './huffman';

/** How a kernel is coded. */
export interface KernelCoding {
  /** Bits per shared-weight code (2^bits - 1 centroids plus the zero code), in [2, 8]. */
  readonly bits: number;
  /** Bits of a relative index: 4 (gaps up to 16) or 8 (gaps up to 256). */
  readonly indexBits: IndexBits;
  /** Lloyd iterations of k-means (when the kernel has more distinct values than codes). */
  readonly iterations: number;
  readonly seed: number;
}

/** One kernel's encoding. */
export interface EncodedKernel {
  readonly shape: number[];
  readonly nonzeros: number;
  /** Entries stored (nonzeros + padding zeros). */
  readonly entries: number;
  /** The shared values of codes 1.. (code 0 is the exact zero and is not stored). */
  readonly centroids: Float32Array;
  readonly codes: HuffmanEncoded;
  readonly gaps: HuffmanEncoded;
  readonly indexBits: IndexBits;
  /** True when the kernel's values were stored exactly (no k-means needed). */
  readonly exact: boolean;
  /** Bytes of the streams, code-length tables, centroids and a 12-byte header. */
  readonly bytes: number;
}

// Per kernel: entry count and the two stream lengths (uint32 each).
const HEADER_BYTES = 12;

/** Checks bits and indexBits; `fn` names the caller. */
export function checkCoding(fn: string, bits: unknown, indexBits: unknown): void {
  if (
    !(Number.isInteger(bits) && (bits as number) >= 2 && (bits as number) <= 8) ||
    (indexBits !== 4 && indexBits !== 8)
  )
    throw new ConfigError(
      `${fn}: bits an integer in [2, 8] and indexBits 4 or 8, got ${describe(bits)} and ${describe(indexBits)}. Use e.g. bits 4, indexBits 8.`,
    );
}

/** The sorted distinct nonzeros of `values`, or undefined when there are more than `max`. */
function distinctNonzeros(values: Float32Array, max: number): Float32Array | undefined {
  const seen = new Set<number>();
  for (const v of values) {
    if (v === 0) continue;
    seen.add(v);
    if (seen.size > max) return undefined;
  }
  return Float32Array.from([...seen].sort((a, b) => a - b));
}

/** Codes (0 = exact zero, i + 1 = centroids[i]) and centroids of the CSR entries. */
function shareEntries(
  values: Float32Array,
  c: KernelCoding,
): { indices: Uint16Array; centroids: Float32Array; exact: boolean } {
  const k = 2 ** c.bits - 1;
  const distinct = distinctNonzeros(values, k);
  if (distinct) {
    const at = new Map<number, number>();
    distinct.forEach((v, i) => at.set(v, i + 1));
    return {
      indices: Uint16Array.from(values, (v) => (v === 0 ? 0 : (at.get(v) as number))),
      centroids: distinct,
      exact: true,
    };
  }
  const s = kmeansCluster(values, [values.length], {
    bits: c.bits,
    seed: c.seed,
    iterations: c.iterations,
    reserveZero: true,
  });
  return { indices: s.indices, centroids: s.codebook.slice(1), exact: false };
}

/** Encodes one kernel (flattened row-major; `shape` its shape). */
export function encodeKernel(kernel: Float32Array, shape: readonly number[], c: KernelCoding): EncodedKernel {
  const csr = encodeCsr(kernel, 1, kernel.length, c.indexBits);
  const entries = csr.values.length;
  const shared =
    entries > 0
      ? shareEntries(csr.values, c)
      : { indices: new Uint16Array(0), centroids: new Float32Array(0), exact: true };
  const gapSymbols = Uint16Array.from({ length: entries }, (_, i) => gapAt(csr, i));
  // The code-length tables cover the symbols up to the largest one present.
  const codes = huffmanEncode(shared.indices, shared.centroids.length + 1);
  const gaps = huffmanEncode(
    gapSymbols,
    gapSymbols.reduce((m, g) => Math.max(m, g + 1), 1),
  );
  let zeros = 0;
  for (const v of csr.values) if (v === 0) zeros++;
  return {
    shape: [...shape],
    nonzeros: entries - zeros,
    entries,
    centroids: shared.centroids,
    codes,
    gaps,
    indexBits: c.indexBits,
    exact: shared.exact,
    bytes: HEADER_BYTES + codes.sizeBytes + gaps.sizeBytes + shared.centroids.byteLength,
  };
}

/** The dense kernel (row-major, its shape) an encoding stands for. */
export function decodeKernel(k: EncodedKernel): Float32Array {
  const indices = huffmanDecode(k.codes);
  const values = decodeShared({ codebook: Float32Array.from([0, ...k.centroids]), indices, shape: [indices.length] });
  const size = k.shape.reduce((a, b) => a * b, 1);
  return decodeCsr({
    rows: 1,
    cols: size,
    indexBits: k.indexBits,
    values,
    gaps: packGaps(huffmanDecode(k.gaps), k.indexBits),
    rowPtr: Uint32Array.from([0, values.length]),
  });
}
