// The Deep Compression file the browser demo downloads and decodes in the page with
// web/dc-decoder.mjs: the library's exporter (exporters.toDeepCompressed, whose header gives the
// layout) applied to deepCompress's model.
import * as tf from '@tensorflow/tfjs';
import { toDeepCompressed, DeepCompressedOptions } from '../lib/export/deep-compressed';

/** File name extension and magic of the encoding. */
export const DEEP_COMPRESSION_MAGIC = 'TFDC';

/**
 * The bytes of a deep-compressed model (deepCompress's `model`, stored exactly), each kernel and
 * bias under its weight name (the names in the model's weight specs).
 * @example const bytes = encodeDeepCompression((await deepCompress(pruned)).model); // what the page downloads
 */
export function encodeDeepCompression(model: tf.LayersModel, options: DeepCompressedOptions = {}): Uint8Array {
  return toDeepCompressed(model, options).bytes;
}
