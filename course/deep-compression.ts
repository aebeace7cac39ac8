// The combined row of the comparison table, after Deep Compression (Han et al. 2016,
// arXiv:1510.00149): the library's technique, quantize.deepCompress (pruning already done by the
// caller, so sparsity 0 keeps the model's zeros; k-means sharing with code 0 for the zeros;
// Huffman-coded codes and relative indices). Sizes are real encoded bytes, and the model holds
// exactly what the file (exporters.toDeepCompressed) stores, so accuracy is measured on it.
import * as tf from '@tensorflow/tfjs';
import { IndexBits } from '../lib/core/csr';
import { deepCompress as deepCompressModel } from '../lib/quantize';

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

/** The report of {@link deepCompress} (the keys results/*.json keep). */
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

/**
 * Deep-compresses the kernels of a (pruned) model with quantize.deepCompress and reports the
 * sizes in the course's keys. The input is borrowed; the caller owns the returned model.
 * @example const {model, report} = await deepCompress(pruned, {bits: 4}); report.compressionRatio
 */
export async function deepCompress(
  model: tf.LayersModel,
  options: DeepCompressionOptions = {},
): Promise<{ model: tf.LayersModel; report: DeepCompressionReport }> {
  const { model: out, report } = await deepCompressModel(model, options);
  return {
    model: out,
    report: {
      layers: report.layers.map((l) => ({
        name: l.name,
        nonzeros: l.nonzeros,
        entries: l.entries,
        bytes: l.bytes,
        codeBitsPerEntry: l.codeBitsPerEntry,
        gapBitsPerEntry: l.gapBitsPerEntry,
      })),
      denseBytes: report.denseBytes,
      compressedBytes: report.compressedBytes,
      compressionRatio: report.compressionRatio,
      bits: report.bits,
      indexBits: report.indexBits,
    },
  };
}
