// The Deep Compression encoding of deep-compression.ts as one file, so a pruned model ships in
// its compressed bytes (the browser demo downloads it and decodes it in the page with
// web/dc-decoder.mjs). Little-endian; per Dense kernel: CSR relative indices and shared-weight
// codes, both Huffman-coded, the centroids, and the float32 bias.
//   header   'TFDC' | u8 version (1) | u8 0 | u16 layers
//   layer    u16 n | kernel weight name (n bytes, utf8) | u8 rank | u32 dims[rank] | u8 indexBits | u32 entries
//            u16 c | f32 centroids[c] (codes 1..c; code 0 is the exact zero)
//            codes stream, gaps stream: u16 symbols | u8 code lengths[symbols] | u32 bitLength | u32 count | bits (MSB first)
//            u16 m | bias weight name (m bytes; 0: no bias) | u32 k | f32 bias[k]
import { ConfigError } from '../lib/errors';
import { HuffmanEncoded } from '../lib/quantize/huffman';
import { CompressedLayer } from './deep-compression';

/** File name extension and magic of the encoding. */
export const DEEP_COMPRESSION_MAGIC = 'TFDC';

class Writer {
  private readonly parts: Uint8Array[] = [];
  bytes = 0;
  private push(n: number, set: (v: DataView) => void): void {
    const b = new Uint8Array(n);
    set(new DataView(b.buffer));
    this.parts.push(b);
    this.bytes += n;
  }
  u8(v: number): void {
    this.push(1, (d) => d.setUint8(0, v));
  }
  u16(v: number): void {
    if (!(Number.isInteger(v) && v >= 0 && v < 65536))
      throw new ConfigError(`encodeDeepCompression: a 16-bit count, got ${v}. Split the layer.`);
    this.push(2, (d) => d.setUint16(0, v, true));
  }
  u32(v: number): void {
    this.push(4, (d) => d.setUint32(0, v, true));
  }
  raw(b: Uint8Array): void {
    this.parts.push(b.slice());
    this.bytes += b.length;
  }
  f32s(a: Float32Array): void {
    this.push(4 * a.length, (d) => a.forEach((x, i) => d.setFloat32(4 * i, x, true)));
  }
  text(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u16(b.length);
    this.raw(b);
  }
  stream(h: HuffmanEncoded): void {
    this.u16(h.lengths.length);
    this.raw(h.lengths);
    this.u32(h.bitLength);
    this.u32(h.count);
    this.raw(h.bytes);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.bytes);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

/**
 * The bytes of deep-compressed layers (deepCompress's `layers`), each kernel stored under its
 * weight name `<layer>/kernel` and bias `<layer>/bias` (the names in the model's weight specs).
 * @example const bytes = encodeDeepCompression((await deepCompress(pruned)).layers); // what the page downloads
 */
export function encodeDeepCompression(layers: readonly CompressedLayer[]): Uint8Array {
  const w = new Writer();
  for (const c of DEEP_COMPRESSION_MAGIC) w.u8(c.charCodeAt(0));
  w.u8(1);
  w.u8(0);
  w.u16(layers.length);
  for (const l of layers) {
    w.text(`${l.name}/kernel`);
    w.u8(l.shape.length);
    l.shape.forEach((d) => w.u32(d));
    w.u8(l.indexBits);
    w.u32(l.entries);
    w.u16(l.centroids.length);
    w.f32s(l.centroids);
    w.stream(l.codes);
    w.stream(l.gaps);
    w.text(l.bias ? `${l.name}/bias` : '');
    w.u32(l.bias ? l.bias.length : 0);
    if (l.bias) w.f32s(l.bias);
  }
  return w.concat();
}
