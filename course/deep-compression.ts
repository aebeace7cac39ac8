// The combined row of the comparison table, after Deep Compression (Han et al. 2016,
// arXiv:1510.00149), composed from the library's own coders. Each Dense kernel of a pruned model,
// flattened row-major, is stored as:
//   1. prune's CSR coder (one row): the stored entries and the relative index (gap) of each,
//      with a padding zero entry bridging a gap longer than 2^indexBits;
//   2. quantize's k-means weight sharing with code 0 reserved for the exact zeros (the padding
//      entries), so 2^bits - 1 centroids are learned for the nonzeros;
//   3. quantize's Huffman coder over the code stream and over the gap stream.
// Sizes are real encoded bytes, and the model is rebuilt from the decoded streams, so accuracy
// is measured on what the file holds.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, UnsupportedLayerError, describe } from '../lib/errors';
import { decodeCsr, encodeCsr, gapAt, IndexBits, packGaps } from '../lib/core/csr';
import { decodeShared, kmeansCluster } from '../lib/quantize/weight-sharing';
import { huffmanDecode, huffmanEncode, HuffmanEncoded } from '../lib/quantize/huffman';
import { artifactsToModel, modelToArtifacts } from '../lib/data/model-io';

/** Options for {@link deepCompress}. */
export interface DeepCompressionOptions {
  /** Bits per shared-weight code (2^bits - 1 centroids plus the zero code), in [2, 8]. Default 5. */
  readonly bits?: number;
  /** Bits of a relative index: 4 (gaps up to 16) or 8 (gaps up to 256). Default 8. */
  readonly indexBits?: IndexBits;
  /** Lloyd iterations of k-means. Default 30. */
  readonly iterations?: number;
  /** Seed of k-means (its linear initialization does not draw from it). Default 0. */
  readonly seed?: number;
}

/** One layer's encoding. */
export interface CompressedLayer {
  readonly name: string;
  readonly shape: number[];
  readonly nonzeros: number;
  /** Entries stored (nonzeros + padding zeros). */
  readonly entries: number;
  /** The shared values of codes 1.. (code 0 is the exact zero and is not stored). */
  readonly centroids: Float32Array;
  readonly codes: HuffmanEncoded;
  readonly gaps: HuffmanEncoded;
  readonly indexBits: IndexBits;
  readonly bias: Float32Array | undefined;
  readonly bytes: number;
}

/** The report of {@link deepCompress}. */
export interface DeepCompressionReport {
  readonly layers: {
    name: string;
    nonzeros: number;
    entries: number;
    bytes: number;
    codeBitsPerEntry: number;
    gapBitsPerEntry: number;
  }[];
  /** Dense float32 bytes of all weights (kernels and biases). */
  readonly denseBytes: number;
  /** Encoded bytes (streams, code-length tables, centroids, float32 biases, headers). */
  readonly compressedBytes: number;
  readonly compressionRatio: number;
  readonly bits: number;
  readonly indexBits: IndexBits;
}

// Per layer: entry count and the two stream lengths (uint32 each).
const HEADER_BYTES = 12;

function encodeLayer(
  name: string,
  kernel: Float32Array,
  shape: number[],
  bias: Float32Array | undefined,
  options: Required<DeepCompressionOptions>,
): CompressedLayer {
  const csr = encodeCsr(kernel, 1, kernel.length, options.indexBits);
  const entries = csr.values.length;
  const shared =
    entries > 0
      ? kmeansCluster(csr.values, [entries], {
          bits: options.bits,
          seed: options.seed,
          iterations: options.iterations,
          reserveZero: true,
        })
      : { codebook: new Float32Array(1), indices: new Uint16Array(0) }; // an all-zero kernel stores nothing
  const gapSymbols = Uint16Array.from({ length: entries }, (_, i) => gapAt(csr, i));
  // The code-length tables cover the symbols up to the largest one present.
  const codes = huffmanEncode(shared.indices, shared.codebook.length);
  const gaps = huffmanEncode(
    gapSymbols,
    gapSymbols.reduce((m, g) => Math.max(m, g + 1), 1),
  );
  const centroids = shared.codebook.slice(1);
  const bytes = HEADER_BYTES + codes.sizeBytes + gaps.sizeBytes + centroids.byteLength + (bias ? bias.byteLength : 0);
  return {
    name,
    shape,
    nonzeros: entries - countZeros(csr.values),
    entries,
    centroids,
    codes,
    gaps,
    indexBits: options.indexBits,
    bias,
    bytes,
  };
}

function countZeros(values: Float32Array): number {
  let n = 0;
  for (const v of values) if (v === 0) n++;
  return n;
}

/** Rebuilds a dense kernel (row-major, the layer's shape) from a layer's decoded streams. */
export function decodeLayer(layer: CompressedLayer): Float32Array {
  const indices = huffmanDecode(layer.codes);
  const values = decodeShared({
    codebook: Float32Array.from([0, ...layer.centroids]),
    indices,
    shape: [indices.length],
  });
  const size = layer.shape.reduce((a, b) => a * b, 1);
  return decodeCsr({
    rows: 1,
    cols: size,
    indexBits: layer.indexBits,
    values,
    gaps: packGaps(huffmanDecode(layer.gaps), layer.indexBits),
    rowPtr: Uint32Array.from([0, values.length]),
  });
}

function resolve(options: DeepCompressionOptions): Required<DeepCompressionOptions> {
  const o = {
    bits: options.bits ?? 5,
    indexBits: options.indexBits ?? 8,
    iterations: options.iterations ?? 30,
    seed: options.seed ?? 0,
  };
  if (!(Number.isInteger(o.bits) && o.bits >= 2 && o.bits <= 8) || (o.indexBits !== 4 && o.indexBits !== 8)) {
    throw new ConfigError(
      `deepCompress: bits in [2, 8] and indexBits 4 or 8, got ${describe(o.bits)} and ${describe(o.indexBits)}. Use e.g. bits 4, indexBits 8.`,
    );
  }
  return o;
}

/**
 * Deep-compresses the Dense kernels of a (pruned) model, decodes them back into a new model and
 * reports the sizes. The input is borrowed; the caller owns the returned model.
 * @example const {model, report} = await deepCompress(pruned, {bits: 4}); report.compressionRatio
 */
export async function deepCompress(
  model: tf.LayersModel,
  options: DeepCompressionOptions = {},
): Promise<{ model: tf.LayersModel; layers: CompressedLayer[]; report: DeepCompressionReport }> {
  const o = resolve(options);
  const layers: CompressedLayer[] = [];
  let denseBytes = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer' || layer.getWeights().length === 0) continue;
    if (cls !== 'Dense') {
      throw new UnsupportedLayerError(
        `deepCompress: Dense layers only, got layer "${layer.name}" of class ${cls}. Use it on MLPs such as SimpleNet.`,
        layer.name,
        cls,
      );
    }
    const [k, b] = layer.getWeights() as [tf.Tensor, tf.Tensor | undefined];
    const kernel = k.dataSync() as Float32Array;
    const bias = b ? Float32Array.from(b.dataSync()) : undefined;
    denseBytes += kernel.byteLength + (bias ? bias.byteLength : 0);
    layers.push(encodeLayer(layer.name, kernel, k.shape, bias, o));
  }
  const rebuilt = await artifactsToModel(await modelToArtifacts(model));
  for (const l of layers) {
    const weights = [tf.tensor(decodeLayer(l), l.shape), ...(l.bias ? [tf.tensor(l.bias)] : [])];
    rebuilt.getLayer(l.name).setWeights(weights);
    tf.dispose(weights);
  }
  const compressedBytes = layers.reduce((a, l) => a + l.bytes, 0);
  return {
    model: rebuilt,
    layers,
    report: {
      layers: layers.map((l) => ({
        name: l.name,
        nonzeros: l.nonzeros,
        entries: l.entries,
        bytes: l.bytes,
        codeBitsPerEntry: l.codes.bitLength / l.entries,
        gapBitsPerEntry: l.gaps.bitLength / l.entries,
      })),
      denseBytes,
      compressedBytes,
      compressionRatio: denseBytes / compressedBytes,
      bits: o.bits,
      indexBits: o.indexBits,
    },
  };
}
