// The combined row of the comparison table, after Deep Compression (Han et al. 2016,
// arXiv:1510.00149): a pruned Dense model's kernels stored as (1) relative indices of the nonzeros
// (gaps of `indexBits`, with filler entries when a gap overflows), (2) per-layer shared weights
// (k-means with linear initialization, 2^bits centroids, code 0 reserved for an exact zero), and
// (3) Huffman coding of both streams. Sizes are of real encoded bytes, and the model is rebuilt
// from the decoded streams so accuracy is measured on what the file holds.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, UnsupportedLayerError, describe } from '../errors';
import { huffmanDecode, huffmanEncode, HuffmanEncoded } from '../quantize/huffman';

/** Options for {@link deepCompress}. */
export interface DeepCompressionOptions {
  /** Bits per shared-weight code (2^bits - 1 centroids plus the zero code). Default 5. */
  readonly bits?: number;
  /** Bits of a relative index (gap). Default 5 (Han et al. use 5 for fc layers). */
  readonly indexBits?: number;
  /** Lloyd iterations of k-means. Default 20. */
  readonly iterations?: number;
}

/** One layer's encoding. */
export interface CompressedLayer {
  readonly name: string;
  readonly shape: number[];
  readonly nonzeros: number;
  /** Entries stored (nonzeros + fillers). */
  readonly entries: number;
  readonly centroids: Float32Array;
  readonly codes: HuffmanEncoded;
  readonly gaps: HuffmanEncoded;
  readonly bias: Float32Array | undefined;
  readonly bytes: number;
}

/** The report of {@link deepCompress}. */
export interface DeepCompressionReport {
  readonly layers: { name: string; nonzeros: number; entries: number; bytes: number; codeBitsPerEntry: number; gapBitsPerEntry: number }[];
  /** Dense float32 bytes of all weights (kernels and biases). */
  readonly denseBytes: number;
  /** Encoded bytes (streams, tables, codebooks, float32 biases). */
  readonly compressedBytes: number;
  readonly compressionRatio: number;
  readonly bits: number;
  readonly indexBits: number;
}

/** k-means on 1-D values with linear initialization over [min, max]. */
export function kmeans1d(values: Float32Array, k: number, iterations: number): { centroids: Float32Array; assign: Uint16Array } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const c = new Float32Array(k);
  for (let j = 0; j < k; j++) c[j] = k === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * j) / (k - 1);
  const assign = new Uint16Array(values.length);
  for (let it = 0; it < iterations; it++) {
    const sorted = Array.from(c.keys()).sort((a, b) => (c[a] as number) - (c[b] as number));
    const sums = new Float64Array(k);
    const counts = new Float64Array(k);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      let best = sorted[0] as number;
      let bd = Infinity;
      for (const j of sorted) { const d = Math.abs(v - (c[j] as number)); if (d < bd) { bd = d; best = j; } }
      assign[i] = best;
      sums[best] = (sums[best] as number) + v;
      counts[best] = (counts[best] as number) + 1;
    }
    for (let j = 0; j < k; j++) if ((counts[j] as number) > 0) c[j] = (sums[j] as number) / (counts[j] as number);
  }
  return { centroids: c, assign };
}

function encodeLayer(name: string, kernel: Float32Array, shape: number[], bias: Float32Array | undefined, bits: number, indexBits: number, iterations: number): CompressedLayer {
  const maxGap = (1 << indexBits) - 1;
  const nz: number[] = [];
  for (let i = 0; i < kernel.length; i++) if (kernel[i] !== 0) nz.push(i);
  const { centroids, assign } = kmeans1d(Float32Array.from(nz, (i) => kernel[i] as number), (1 << bits) - 1, iterations);
  const codes: number[] = [];
  const gaps: number[] = [];
  let prev = -1;
  nz.forEach((idx, n) => {
    let gap = idx - prev - 1;
    while (gap > maxGap) { gaps.push(maxGap); codes.push(0); gap -= maxGap + 1; } // filler: an exact zero entry
    gaps.push(gap);
    codes.push((assign[n] as number) + 1);
    prev = idx;
  });
  const c = huffmanEncode(codes, 1 << bits);
  const g = huffmanEncode(gaps, maxGap + 1);
  const bytes = c.sizeBytes + g.sizeBytes + centroids.length * 4 + (bias ? bias.length * 4 : 0) + 8; // 8: entry count + shape header
  return { name, shape, nonzeros: nz.length, entries: codes.length, centroids, codes: c, gaps: g, bias, bytes };
}

/** Rebuilds a dense kernel from a layer's decoded streams. */
export function decodeLayer(layer: CompressedLayer): Float32Array {
  const out = new Float32Array(layer.shape.reduce((a, b) => a * b, 1));
  const codes = huffmanDecode(layer.codes);
  const gaps = huffmanDecode(layer.gaps);
  let pos = -1;
  for (let i = 0; i < codes.length; i++) {
    pos += (gaps[i] as number) + 1;
    const code = codes[i] as number;
    if (code > 0) out[pos] = layer.centroids[code - 1] as number;
  }
  return out;
}

/**
 * Deep-compresses the Dense kernels of a (pruned) model, decodes them back into a new model and
 * reports the sizes. The input is borrowed; the caller owns the returned model.
 * @example const {model, report} = await deepCompress(pruned, {bits: 5}); report.compressionRatio
 */
export async function deepCompress(model: tf.LayersModel, options: DeepCompressionOptions = {}): Promise<{ model: tf.LayersModel; layers: CompressedLayer[]; report: DeepCompressionReport }> {
  const bits = options.bits ?? 5;
  const indexBits = options.indexBits ?? 5;
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 8) || !(Number.isInteger(indexBits) && indexBits >= 2 && indexBits <= 12)) {
    throw new ConfigError(`deepCompress: bits in [2, 8] and indexBits in [2, 12], got ${describe(bits)} and ${describe(indexBits)}. Use e.g. bits 5, indexBits 5.`);
  }
  const layers: CompressedLayer[] = [];
  let denseBytes = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer' || layer.getWeights().length === 0) continue;
    if (cls !== 'Dense') {
      throw new UnsupportedLayerError(`deepCompress: Dense layers only, got layer "${layer.name}" of class ${cls}. Use it on MLPs such as SimpleNet.`, layer.name, cls);
    }
    const [k, b] = layer.getWeights();
    const kernel = (k as tf.Tensor).dataSync() as Float32Array;
    const bias = b ? Float32Array.from(b.dataSync()) : undefined;
    denseBytes += kernel.length * 4 + (bias ? bias.length * 4 : 0);
    layers.push(encodeLayer(layer.name, kernel, (k as tf.Tensor).shape, bias, bits, indexBits, options.iterations ?? 20));
  }
  const artifacts = await new Promise<tf.io.ModelArtifacts>((resolve) => {
    void model.save(tf.io.withSaveHandler(async (a) => { resolve(a); return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  });
  const rebuilt = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs, weightData: artifacts.weightData }));
  for (const l of layers) {
    const target = rebuilt.getLayer(l.name);
    const weights = [tf.tensor(decodeLayer(l), l.shape), ...(l.bias ? [tf.tensor(l.bias)] : [])];
    target.setWeights(weights);
    weights.forEach((w) => w.dispose());
  }
  const compressedBytes = layers.reduce((a, l) => a + l.bytes, 0);
  return {
    model: rebuilt,
    layers,
    report: {
      layers: layers.map((l) => ({ name: l.name, nonzeros: l.nonzeros, entries: l.entries, bytes: l.bytes, codeBitsPerEntry: l.codes.bitLength / l.entries, gapBitsPerEntry: l.gaps.bitLength / l.entries })),
      denseBytes, compressedBytes, compressionRatio: denseBytes / compressedBytes, bits, indexBits,
    },
  };
}
