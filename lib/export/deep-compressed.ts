// The Deep Compression file (Han et al. 2016, arXiv:1510.00149): every layer with a kernel in
// the registry stored as quantize's kernel codec writes it (CSR relative indices and shared-weight
// codes, both Huffman-coded, and the centroids), plus the layer's one other weight (its bias) as
// float32; web/dc-decoder.mjs decodes it in a page, readDeepCompressed here. Little-endian:
//   header   'TFDC' | u8 version (1) | u8 0 | u16 layers
//   layer    u16 n | kernel weight name (n bytes, utf8) | u8 rank | u32 dims[rank] | u8 indexBits | u32 entries
//            u16 c | f32 centroids[c] (codes 1..c; code 0 is the exact zero)
//            codes stream, gaps stream: u16 symbols | u8 code lengths[symbols] | u32 bitLength | u32 count | bits (MSB first)
//            u16 m | bias weight name (m bytes; 0: no bias) | u32 k | f32 bias[k]
// A model whose kernels are already shared (quantize.deepCompress's) is stored exactly.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, ExportError, describe } from '../errors';
import { requireLayersModel } from '../core/graph';
import { layerEntry } from '../core/layers';
import { IndexBits } from '../core/csr';
import { HuffmanEncoded } from '../quantize/huffman';
import { checkCoding, decodeKernel, EncodedKernel, encodeKernel } from '../quantize/deep-compress-codec';

const FN = 'exporters.toDeepCompressed';
/** The largest kernel a file may declare (2^27 float32 values, 512 MiB decoded). */
const MAX_KERNEL_VALUES = 2 ** 27;
/** The file's magic. */
export const DEEP_COMPRESSION_MAGIC = 'TFDC';

/** Options of {@link toDeepCompressed}. */
export interface DeepCompressedOptions {
  /** Bits per shared-weight code, in [2, 8]. Default 5. */
  readonly bits?: number;
  /** Bits of a relative index, 4 or 8. Default 8. */
  readonly indexBits?: IndexBits;
  /** k-means iterations and seed, for a kernel with more distinct values than codes. */
  readonly iterations?: number;
  readonly seed?: number;
}

/** What {@link toDeepCompressed} reports. */
export interface DeepCompressedReport {
  readonly sizeBytes: number;
  /** Float32 bytes of the weights the file holds. */
  readonly denseBytes: number;
  readonly layers: { name: string; kernel: string; bias?: string; entries: number; nonzeros: number; exact: boolean }[];
  /** Kernels with more distinct values than 2^bits - 1, clustered by k-means here (stored approximately). */
  readonly clustered: string[];
}

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
      throw new ExportError(`${FN}: a 16-bit count, got ${v}. Split the layer.`);
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
 * The Deep Compression file of `model`: every weight must be a registry kernel or its layer's one
 * other weight (fold BatchNormalization first). The model is not modified.
 * @example const {bytes, report} = exporters.toDeepCompressed((await quantize.deepCompress(model, {sparsity: 0.9})).model);
 */
export function toDeepCompressed(
  model: tf.LayersModel,
  options: DeepCompressedOptions = {},
): { bytes: Uint8Array; report: DeepCompressedReport } {
  requireLayersModel(model, FN);
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `${FN}: an options object such as {bits: 5}, got ${describe(options)}. Pass {} for the defaults.`,
    );
  const coding = {
    bits: options.bits ?? 5,
    indexBits: options.indexBits ?? 8,
    iterations: options.iterations ?? 30,
    seed: options.seed ?? 0,
  };
  checkCoding(FN, coding.bits, coding.indexBits);
  const w = new Writer();
  const rows: DeepCompressedReport['layers'] = [];
  const layers = model.layers.filter((l) => l.weights.length > 0);
  for (const c of DEEP_COMPRESSION_MAGIC) w.u8(c.charCodeAt(0));
  w.u8(1);
  w.u8(0);
  w.u16(layers.length);
  let denseBytes = 0;
  for (const layer of layers) {
    const index = layerEntry(layer.getClassName())?.kernel?.index;
    const others = layer.weights.filter((_, i) => i !== index);
    if (index === undefined || index >= layer.weights.length || others.length > 1)
      throw new ExportError(
        `${FN}: layers whose weights are a kernel and at most a bias, got "${layer.name}" (${layer.getClassName()}) with ${layer.weights.length} weights. ` +
          `Fold BatchNormalization into the kernels first (quantize.foldBatchNorm), or export another format.`,
      );
    const kv = layer.weights[index] as tf.LayerVariable;
    const values = kv.read().dataSync() as Float32Array;
    const enc: EncodedKernel = encodeKernel(values, kv.shape as number[], coding);
    w.text(kv.originalName);
    w.u8(enc.shape.length);
    enc.shape.forEach((d) => w.u32(d));
    w.u8(enc.indexBits);
    w.u32(enc.entries);
    w.u16(enc.centroids.length);
    w.f32s(enc.centroids);
    w.stream(enc.codes);
    w.stream(enc.gaps);
    const bias = others[0];
    const bv = bias ? (bias.read().dataSync() as Float32Array) : new Float32Array(0);
    w.text(bias ? bias.originalName : '');
    w.u32(bv.length);
    w.f32s(bv);
    denseBytes += 4 * (values.length + bv.length);
    rows.push({
      name: layer.name,
      kernel: kv.originalName,
      ...(bias ? { bias: bias.originalName } : {}),
      entries: enc.entries,
      nonzeros: enc.nonzeros,
      exact: enc.exact,
    });
  }
  const bytes = w.concat();
  return {
    bytes,
    report: {
      sizeBytes: bytes.length,
      denseBytes,
      layers: rows,
      clustered: rows.filter((r) => !r.exact).map((r) => r.name),
    },
  };
}

/**
 * The weights a Deep Compression file holds, by weight name (kernels dense, row-major, in their
 * shape). Hostile bytes give a DataError, never a read past the end.
 */
export function readDeepCompressed(bytes: Uint8Array): Map<string, { shape: number[]; values: Float32Array }> {
  const fn = 'exporters.readDeepCompressed';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  const need = (n: number) => {
    if (off + n > bytes.length)
      throw new DataError(
        `${fn}: a complete TFDC file, got ${bytes.length} bytes ending inside a record. Re-export the file.`,
      );
    const at = off;
    off += n;
    return at;
  };
  const u8 = () => view.getUint8(need(1));
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const raw = (n: number) => bytes.slice(need(n), off);
  const text = () => new TextDecoder().decode(raw(u16()));
  const f32s = (n: number) => {
    const at = need(4 * n);
    return Float32Array.from({ length: n }, (_, i) => view.getFloat32(at + 4 * i, true));
  };
  const stream = (): HuffmanEncoded => {
    const lengths = raw(u16());
    const bitLength = u32();
    const count = u32();
    // Every symbol takes at least one bit (a one-symbol code too): caps what a count can allocate.
    if (count > Math.max(bitLength, 0) || bitLength > 8 * (bytes.length - off))
      throw new DataError(
        `${fn}: a stream of at most ${bitLength} symbols within the file, got ${count} symbols in ${bitLength} bits. The file is damaged.`,
      );
    return { lengths, bitLength, count, bytes: raw(Math.ceil(bitLength / 8)), sizeBytes: 0 } as HuffmanEncoded;
  };
  const magic = String.fromCharCode(u8(), u8(), u8(), u8());
  const version = u8();
  u8();
  if (magic !== DEEP_COMPRESSION_MAGIC || version !== 1)
    throw new DataError(
      `${fn}: a TFDC version 1 file, got "${magic}" version ${version}. Pass a file toDeepCompressed wrote.`,
    );
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (let l = u16(); l > 0; l--) {
    const name = text();
    const shape = Array.from({ length: u8() }, () => u32());
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(size <= MAX_KERNEL_VALUES))
      throw new DataError(
        `${fn}: a kernel of at most ${MAX_KERNEL_VALUES} values, got shape [${shape.join(', ')}] for ${name}. The file is damaged or not one toDeepCompressed wrote.`,
      );
    const indexBits = u8();
    if (indexBits !== 4 && indexBits !== 8)
      throw new DataError(`${fn}: indexBits 4 or 8, got ${indexBits} in ${name}. The file is damaged.`);
    const entries = u32();
    const centroids = f32s(u16());
    const codes = stream();
    const gaps = stream();
    if (codes.count !== entries || gaps.count !== entries)
      throw new DataError(
        `${fn}: ${entries} codes and gaps in ${name}, got ${codes.count} and ${gaps.count}. The file is damaged.`,
      );
    const values = decodeKernel({
      shape,
      nonzeros: 0,
      entries,
      centroids,
      codes,
      gaps,
      indexBits,
      exact: true,
      bytes: 0,
    });
    out.set(name, { shape, values });
    const bias = text();
    const biasValues = f32s(u32());
    if (bias) out.set(bias, { shape: [biasValues.length], values: biasValues });
  }
  if (off !== bytes.length)
    throw new DataError(`${fn}: ${bytes.length} bytes of layers, got ${off} used. The file is damaged.`);
  return out;
}
