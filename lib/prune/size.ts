// Why a pruned model file is not smaller: zeros stored densely still take 4 bytes each. This
// measures a model three ways: dense fp32 bytes (the tfjs weights file), gzip of those bytes
// (what a web server sends), and the CSR encoding of csr.ts for every prunable kernel.
import * as zlib from 'zlib';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { prunableLayers, kernelOf } from './prunable';
import { CsrEncoding, IndexBits, csrBytes, encodeCsr, serializeCsr } from '../core/csr';

/** Sizes of one model, in bytes. */
export interface SizeReport {
  /** fp32 weights as tfjs stores them. */
  readonly denseBytes: number;
  /** gzip (level 9) of the dense weight bytes. */
  readonly gzipBytes: number;
  /** Prunable kernels in CSR, other weights dense fp32. */
  readonly sparseBytes: number;
  /** gzip of the sparse encoding. */
  readonly sparseGzipBytes: number;
  readonly indexBits: IndexBits;
  /** sparseBytes / denseBytes. */
  readonly sparseBytesRatio: number;
  readonly layers: { name: string; denseBytes: number; sparseBytes: number; storedEntries: number; nonzeros: number }[];
}

/** A kernel as a matrix: Dense [in, out]; conv [kh, kw, inC, outC] -> [kh*kw*inC, outC]. */
export function kernelMatrix(kernel: tf.Tensor): { data: Float32Array; rows: number; cols: number } {
  const cols = kernel.shape[kernel.rank - 1] ?? 1;
  return { data: kernel.dataSync() as Float32Array, rows: kernel.size / cols, cols };
}

/** The CSR encodings of a model's prunable kernels, by layer name. */
export function encodeModel(model: tf.LayersModel, indexBits: IndexBits = 4): Record<string, CsrEncoding> {
  const out: Record<string, CsrEncoding> = {};
  for (const l of prunableLayers(model, 'encodeModel')) {
    const m = kernelMatrix(kernelOf(l).read());
    out[l.name] = encodeCsr(m.data, m.rows, m.cols, indexBits);
  }
  return out;
}

function weightBytes(t: tf.Tensor): Uint8Array {
  const v = t.dataSync() as Float32Array;
  return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

function gzip(parts: Uint8Array[]): number {
  return zlib.gzipSync(Buffer.concat(parts), { level: 9 }).length;
}

/**
 * Dense, gzip and sparse sizes of `model`'s weights (topology JSON excluded).
 * @example sizeReport(pruned90).sparseBytesRatio // about 0.13 at 90% sparsity
 */
export function sizeReport(model: tf.LayersModel, options: { indexBits?: IndexBits } = {}): SizeReport {
  const indexBits = options.indexBits ?? 4;
  if (indexBits !== 4 && indexBits !== 8)
    throw new ConfigError(`sizeReport: indexBits 4 or 8, got ${describe(indexBits)}. Use 4 or 8.`);
  const kernels = new Map(prunableLayers(model, 'sizeReport').map((l) => [kernelOf(l).read(), l.name]));
  const enc = encodeModel(model, indexBits);
  const denseParts: Uint8Array[] = [];
  const sparseParts: Uint8Array[] = [];
  const layers: SizeReport['layers'] = [];
  for (const w of model.weights) {
    const t = w.read();
    const bytes = weightBytes(t);
    denseParts.push(bytes);
    const name = kernels.get(t);
    const e = name !== undefined ? enc[name] : undefined;
    if (name !== undefined && e) {
      sparseParts.push(serializeCsr(e));
      let nz = 0;
      for (const v of e.values) if (v !== 0) nz++;
      layers.push({
        name,
        denseBytes: bytes.length,
        sparseBytes: csrBytes(e),
        storedEntries: e.values.length,
        nonzeros: nz,
      });
    } else {
      sparseParts.push(bytes);
    }
  }
  const denseBytes = denseParts.reduce((a, p) => a + p.length, 0);
  const sparseBytes = sparseParts.reduce((a, p) => a + p.length, 0);
  return {
    denseBytes,
    gzipBytes: gzip(denseParts),
    sparseBytes,
    sparseGzipBytes: gzip(sparseParts),
    indexBits,
    sparseBytesRatio: denseBytes ? sparseBytes / denseBytes : 0,
    layers,
  };
}
