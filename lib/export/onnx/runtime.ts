// Running exported models in ONNX Runtime for Node (onnxruntime-node, CPU). Loaded lazily, so
// importing the library does not load the native binary.
import { ConfigError, DataError, describe } from '../../errors';
import type { InferenceSession } from 'onnxruntime-node';
import { OnnxModel } from './to-onnx';

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
