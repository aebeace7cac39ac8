// The models of the browser demo, built from the deployment chapter's two SimpleNets: the dense
// fp32 baseline as TensorFlow.js files; the pruned model in its Deep Compression encoding (CSR
// relative indices + shared weights + Huffman: pruning shows in the bytes downloaded); and the
// baseline exported to ONNX, fp32 and INT8 (static post-training quantization, QDQ), for
// onnxruntime-web. The fp32 ONNX separates what the runtime buys from what INT8 buys: each model
// names its reference and the one change between them, so every speed-up the page shows measures
// one effect (INT8 against fp32 in the same runtime; the runtime switch at the same precision).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../lib/errors';
import { DataSource } from '../lib/data/source';
import { modelToArtifacts } from '../lib/data/model-io';
import { OnnxModel, toOnnx } from '../lib/export/onnx/to-onnx';
import { postTraining } from '../lib/quantize/post-training';
import { DeepCompressionOptions, DeepCompressionReport, deepCompress } from './deep-compression';
import { encodeDeepCompression } from './deep-compression-file';
import { WebModel } from './web-demo';

/** Options of {@link webDemoModels}. */
export interface WebDemoModelsOptions {
  readonly baseline: tf.LayersModel;
  /** The pruned model (zeros in its Dense kernels), shipped in its Deep Compression encoding. */
  readonly pruned: tf.LayersModel;
  /** Calibration images for the INT8 model (static quantization). */
  readonly calibration: DataSource;
  /** Default 1,000. */
  readonly calibrationCount?: number;
  readonly baselineLabel?: string;
  readonly prunedLabel?: string;
  /** Default: deepCompress's (5-bit shared weights, 8-bit relative indices). */
  readonly deepCompression?: DeepCompressionOptions;
}

/** The demo's models and what building them measured. */
export interface WebDemoModels {
  /** In page order: the baseline first, each model after the reference its speed-up is measured against. */
  readonly models: WebModel[];
  /** The pruned model as decoded from its Deep Compression file: what the page runs (the caller disposes it). */
  readonly decoded: tf.LayersModel;
  readonly onnxFp32: OnnxModel;
  readonly onnxInt8: OnnxModel;
  readonly deepCompression: DeepCompressionReport;
  /** Bytes of the Deep Compression file. */
  readonly encodedBytes: number;
}

/**
 * Builds the demo's four models (keys `baseline`, `pruned-dc`, `onnx-fp32`, `onnx-int8`). The
 * inputs are borrowed; the caller owns `decoded`.
 * @example const demo = await webDemoModels({baseline, pruned, calibration: mnist.train}); prepareWebModels(dir, demo.models, mnist.test);
 */
export async function webDemoModels(options: WebDemoModelsOptions): Promise<WebDemoModels> {
  if (!(options?.baseline instanceof tf.LayersModel) || !(options.pruned instanceof tf.LayersModel)) {
    throw new ConfigError(
      `webDemoModels: {baseline, pruned} tf.LayersModels, got ${describe(options?.baseline)} and ${describe(options?.pruned)}. Pass the deployment models.`,
    );
  }
  const calibrationCount = options.calibrationCount ?? 1000;
  const dc = await deepCompress(options.pruned, options.deepCompression);
  try {
    const encoded = encodeDeepCompression(dc.model, options.deepCompression);
    const q = await postTraining(options.baseline, options.calibration, {
      mode: 'static',
      calibrationCount,
    });
    let onnxInt8: OnnxModel;
    try {
      onnxInt8 = toOnnx(q.model);
    } finally {
      q.model.dispose();
    }
    const onnxFp32 = toOnnx(options.baseline);
    const baselineLabel = options.baselineLabel ?? 'SimpleNet fp32 (dense)';
    const models: WebModel[] = [
      {
        key: 'baseline',
        label: baselineLabel,
        note: 'TensorFlow.js files, float32',
        artifacts: await modelToArtifacts(options.baseline),
      },
      {
        key: 'pruned-dc',
        kind: 'tfjs-deep-compression',
        label: options.prunedLabel ?? 'SimpleNet pruned',
        artifacts: await modelToArtifacts(dc.model),
        encoded,
        dense: await modelToArtifacts(options.pruned),
        reference: 'baseline',
        change:
          'pruning, shipped in its Deep Compression file (decoded to dense weights: the same arithmetic), both in TensorFlow.js',
        note: `Deep Compression: ${dc.report.bits}-bit shared weights, ${dc.report.indexBits}-bit relative indices, Huffman; decoded in the page`,
      },
      {
        key: 'onnx-fp32',
        kind: 'onnx',
        label: `${baselineLabel}, ONNX`,
        note: 'the same weights, exported to ONNX float32',
        onnx: onnxFp32,
        reference: 'baseline',
        change: 'runtime switch: TensorFlow.js -> onnxruntime-web, both float32',
      },
      {
        key: 'onnx-int8',
        kind: 'onnx',
        label: 'SimpleNet INT8 (ONNX QDQ)',
        note: `static post-training quantization, ${calibrationCount} calibration images`,
        onnx: onnxInt8,
        reference: 'onnx-fp32',
        change: 'quantization: float32 -> static INT8, both in onnxruntime-web',
      },
    ];
    return { models, decoded: dc.model, onnxFp32, onnxInt8, deepCompression: dc.report, encodedBytes: encoded.length };
  } catch (e) {
    dc.model.dispose();
    throw e;
  }
}
