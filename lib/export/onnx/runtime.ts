// Running exported models in ONNX Runtime for Node (onnxruntime-node, CPU). Loaded lazily, so
// importing the library does not load the native binary. `ortSession` is the library's one
// session factory: everything that runs ONNX Runtime (bench's ortRuntime too) gets its session here.
import { ConfigError, DataError, describe } from '../../errors';
import type { InferenceSession } from 'onnxruntime-node';
import { OnnxModel } from './to-onnx';
import { Dataset } from '../../data/dataset';
import { InputLayout, toTensors } from '../../data/tensors';

/** Options of {@link ortSession}. */
export interface OrtSessionOptions {
  /** Intra-op threads (default 1: the figure of one core). */
  readonly threads?: number;
  /** Graph optimizations (default 'all': QDQ fusion into QGemm / QLinearConv needs them). */
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Write the optimized graph here (to see what ONNX Runtime fused). */
  readonly optimizedModelFilePath?: string;
}

type Ort = typeof import('onnxruntime-node');
let ort: Ort | undefined;
/** The onnxruntime-node module. */
export function onnxRuntime(): Ort {
  ort ??= require('onnxruntime-node') as Ort;
  return ort;
}

/** An ONNX Runtime session over an exported model. The caller releases it (`await s.release()`). */
export async function ortSession(model: OnnxModel | Uint8Array, options: OrtSessionOptions = {}): Promise<InferenceSession> {
  const threads = options.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new ConfigError(`ortSession: threads a positive integer, got ${describe(threads)}. Use 1.`);
  const bytes = model instanceof Uint8Array ? model : model.bytes;
  try {
    return await onnxRuntime().InferenceSession.create(bytes, {
      intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3,
      graphOptimizationLevel: options.optimization ?? 'all',
      ...(options.optimizedModelFilePath ? { optimizedModelFilePath: options.optimizedModelFilePath } : {}),
    });
  } catch (e) {
    throw new DataError(`ortSession: an ONNX model ONNX Runtime accepts, got "${(e as Error).message}". Re-export the model; report the layer if it persists.`);
  }
}

/** Runs a single-input session on `data` of shape `dims` (batch first); returns the output's values and shape. */
export async function runOrt(session: InferenceSession, data: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: number[] }> {
  const { Tensor } = onnxRuntime();
  const feeds = { [session.inputNames[0] as string]: new Tensor('float32', data, [...dims]) };
  const out = await session.run(feeds);
  const t = out[session.outputNames[0] as string];
  if (!t) throw new DataError(`runOrt: an output from the session, got none. Check the model's output name.`);
  return { data: t.data as Float32Array, dims: [...t.dims] };
}

/** Options of {@link ortPredictLabels}. */
export interface OrtPredictOptions {
  readonly layout?: InputLayout;
  readonly batchSize?: number;
  /** Use the first `limit` examples. */
  readonly limit?: number;
}

/**
 * Predicted class of each example of `ds` by an ONNX Runtime session (argmax of the output),
 * and the accuracy against the labels.
 */
export async function ortPredictLabels(session: InferenceSession, ds: Dataset, options: OrtPredictOptions = {}): Promise<{ labels: Int32Array; accuracy: number }> {
  const n = Math.min(options.limit ?? ds.count, ds.count);
  const out = new Int32Array(n);
  const batchSize = options.batchSize ?? 1000;
  let correct = 0;
  for (let s = 0; s < n; s += batchSize) {
    const b = toTensors(ds, { layout: options.layout ?? 'flat', start: s, end: Math.min(n, s + batchSize) });
    const { data, dims } = await runOrt(session, b.x.dataSync() as Float32Array, b.x.shape);
    const classes = dims[1] as number;
    for (let i = 0; i < (dims[0] as number); i++) {
      let best = 0;
      for (let j = 1; j < classes; j++) if ((data[i * classes + j] as number) > (data[i * classes + best] as number)) best = j;
      out[s + i] = best;
      if (best === b.labels[i]) correct++;
    }
    b.x.dispose();
    b.y.dispose();
  }
  return { labels: out, accuracy: correct / Math.max(n, 1) };
}
