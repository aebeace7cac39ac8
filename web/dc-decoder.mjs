// Decodes the Deep Compression file the library writes (lib/export/deep-compressed.ts has
// the layout) back into float32 weights, in the browser (or Node): canonical Huffman decoding of
// the shared-weight codes and of the relative indices, the codebook lookup, and the CSR walk
// that puts each stored value at its position. Plain ES module, no dependencies.

const MAX_BITS = 30;

/** Reads one canonical-Huffman stream: code lengths, then the packed bits (most significant first). */
function readStream(view, at) {
  let off = at;
  const symbols = view.getUint16(off, true); off += 2;
  const lengths = new Uint8Array(view.buffer, view.byteOffset + off, symbols); off += symbols;
  const bitLength = view.getUint32(off, true); off += 4;
  const count = view.getUint32(off, true); off += 4;
  const bits = new Uint8Array(view.buffer, view.byteOffset + off, Math.ceil(bitLength / 8)); off += bits.length;
  return { stream: { lengths, bitLength, count, bits }, next: off };
}

/** Decodes a stream into its symbols (the same canonical code as lib/quantize/huffman.ts: shorter codes first, ties by symbol). */
export function huffmanSymbols({ lengths, bitLength, count, bits }) {
  const perLength = new Array(MAX_BITS + 2).fill(0);
  for (const l of lengths) if (l > 0) perLength[l]++;
  const sorted = [];
  for (let len = 1; len <= MAX_BITS; len++) for (let s = 0; s < lengths.length; s++) if (lengths[s] === len) sorted.push(s);
  const first = new Array(MAX_BITS + 2).fill(0); // first code of each length
  const index = new Array(MAX_BITS + 2).fill(0); // position in `sorted` of that code's symbol
  for (let len = 1, code = 0, seen = 0; len <= MAX_BITS; len++) {
    code = len === 1 ? 0 : (code + perLength[len - 1]) << 1;
    first[len] = code;
    index[len] = seen;
    seen += perLength[len];
  }
  const out = new Uint16Array(count);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    let code = 0;
    for (let len = 1; ; len++) {
      if (pos >= bitLength || len > MAX_BITS) throw new Error(`dc-decoder: a Huffman stream of ${count} symbols, got it ending at symbol ${i}`);
      code = (code << 1) | ((bits[pos >> 3] >> (7 - (pos & 7))) & 1);
      pos++;
      const k = code - first[len];
      if (perLength[len] > 0 && k >= 0 && k < perLength[len]) {
        out[i] = sorted[index[len] + k];
        break;
      }
    }
  }
  return out;
}

/**
 * Decodes a whole file: a Map from weight name (`<layer>/kernel`, `<layer>/bias`) to its float32
 * values, kernels dense and row-major in their layer's shape.
 */
export function decodeDeepCompression(buffer) {
  const view = new DataView(buffer instanceof ArrayBuffer ? buffer : buffer.buffer, buffer.byteOffset ?? 0, buffer.byteLength);
  const magic = String.fromCharCode(view.getUint8(0), view.getUint8(1), view.getUint8(2), view.getUint8(3));
  if (magic !== 'TFDC' || view.getUint8(4) !== 1) throw new Error(`dc-decoder: a TFDC version 1 file, got "${magic}" version ${view.getUint8(4)}`);
  const layers = view.getUint16(6, true);
  const text = (at) => {
    const n = view.getUint16(at, true);
    return { value: new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + at + 2, n)), next: at + 2 + n };
  };
  const floats = (at, n) => Float32Array.from({ length: n }, (_, i) => view.getFloat32(at + 4 * i, true));
  const weights = new Map();
  let off = 8;
  for (let l = 0; l < layers; l++) {
    const name = text(off); off = name.next;
    const rank = view.getUint8(off); off += 1;
    let size = 1;
    for (let d = 0; d < rank; d++, off += 4) size *= view.getUint32(off, true);
    const indexBits = view.getUint8(off); off += 1;
    const entries = view.getUint32(off, true); off += 4;
    const centroidCount = view.getUint16(off, true); off += 2;
    const codebook = new Float32Array(centroidCount + 1); // code 0: the exact zero
    codebook.set(floats(off, centroidCount), 1); off += 4 * centroidCount;
    const codes = readStream(view, off); off = codes.next;
    const gaps = readStream(view, off); off = gaps.next;
    const codeSymbols = huffmanSymbols(codes.stream);
    const gapSymbols = huffmanSymbols(gaps.stream);
    if (codeSymbols.length !== entries || gapSymbols.length !== entries) throw new Error(`dc-decoder: ${entries} entries in ${name.value}, got ${codeSymbols.length} codes and ${gapSymbols.length} gaps`);
    const kernel = new Float32Array(size);
    for (let i = 0, c = -1; i < entries; i++) {
      c += gapSymbols[i] + 1; // the stored gap is (distance to the previous entry) - 1, at most 2^indexBits - 1
      if (gapSymbols[i] >= 2 ** indexBits || c >= size) throw new Error(`dc-decoder: relative indices inside ${size} weights in ${name.value}, got position ${c}`);
      kernel[c] = codebook[codeSymbols[i]];
    }
    weights.set(name.value, kernel);
    const bias = text(off); off = bias.next;
    const biasCount = view.getUint32(off, true); off += 4;
    if (bias.value) weights.set(bias.value, floats(off, biasCount));
    off += 4 * biasCount;
  }
  if (off !== view.byteLength) throw new Error(`dc-decoder: ${view.byteLength} bytes of layers, got ${off} used`);
  return weights;
}

/** The float32 weight data of `specs` (tfjs weight specs, in order) from decoded weights. */
export function weightData(specs, weights) {
  const parts = specs.map((s) => {
    const w = weights.get(s.name);
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (!w || w.length !== n || s.dtype !== 'float32') throw new Error(`dc-decoder: float32 weight ${s.name} of ${n} values, got ${w ? w.length : 'none'}`);
    return w;
  });
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out.buffer;
}
