// Running exported models in ONNX Runtime for Node (onnxruntime-node, CPU). Loaded lazily, so
// importing the library does not load the native binary. `ortSession` is the library's one
// session factory: everything that runs ONNX Runtime (bench's ortRuntime too) gets its session here.
import { ConfigError, DataError, describe } from '../../errors';
import type { InferenceSession } from 'onnxruntime-node';
import { OnnxModel } from './to-onnx';
import { DataSource, batchesOf } from '../../data/source';

/** Options of {@link ortSession}. */
export interface OrtSessionOptions {
  /** Intra-op threads (default 1: the figure of one core). */
  readonly threads?: number;
  /** Graph optimizations (default 'all': QDQ fusion into QGemm / QLinearConv needs them). */
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Write the optimized graph here (to see what ONNX Runtime fused). */
  readonly optimizedModelFilePath?: string;
  /** Record every node's run (op, shapes, time) in a JSON trace whose path starts with this prefix (ONNX Runtime's profiler). */
  readonly profileFilePrefix?: string;
}

type Ort = typeof import('onnxruntime-node');
let ort: Ort | undefined;
/** The onnxruntime-node module. */
export function onnxRuntime(): Ort {
  ort ??= require('onnxruntime-node') as Ort;
  return ort;
}

/** An ONNX Runtime session over an exported model. The caller releases it (`await s.release()`). */
export async function ortSession(
  model: OnnxModel | Uint8Array,
  options: OrtSessionOptions = {},
): Promise<InferenceSession> {
  const threads = options.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1))
    throw new ConfigError(`ortSession: threads a positive integer, got ${describe(threads)}. Use 1.`);
  const bytes = model instanceof Uint8Array ? model : model.bytes;
  try {
    return await onnxRuntime().InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: 3,
      graphOptimizationLevel: options.optimization ?? 'all',
      ...(options.optimizedModelFilePath ? { optimizedModelFilePath: options.optimizedModelFilePath } : {}),
      ...(options.profileFilePrefix ? { enableProfiling: true, profileFilePrefix: options.profileFilePrefix } : {}),
    });
  } catch (e) {
    throw new DataError(
      `ortSession: an ONNX model ONNX Runtime accepts, got "${(e as Error).message}". Re-export the model; report the layer if it persists.`,
    );
  }
}

/** Runs a single-input session on `data` of shape `dims` (batch first); returns the output's values and shape. */
export async function runOrt(
  session: InferenceSession,
  data: Float32Array,
  dims: readonly number[],
): Promise<{ data: Float32Array; dims: number[] }> {
  const { Tensor } = onnxRuntime();
  const feeds = { [session.inputNames[0] as string]: new Tensor('float32', data, [...dims]) };
  const out = await session.run(feeds);
  const t = out[session.outputNames[0] as string];
  if (!t) throw new DataError(`runOrt: an output from the session, got none. Check the model's output name.`);
  return { data: t.data as Float32Array, dims: [...t.dims] };
}

/** The session's first input shape without the batch dimension (-1 where free), when the model declares it. */
export function sessionInputShape(session: InferenceSession): number[] | undefined {
  const meta = session.inputMetadata?.[0] as { isTensor?: boolean; shape?: readonly (number | string)[] } | undefined;
  if (!meta?.isTensor || !meta.shape?.length) return undefined;
  return meta.shape.slice(1).map((d) => (typeof d === 'number' && d > 0 ? d : -1));
}

/** Options of {@link ortPredictLabels}. */
export interface OrtPredictOptions {
  /** Input shape without the batch dimension (as exported, NHWC for images); default the data's own. */
  readonly inputShape?: readonly number[];
  readonly batchSize?: number;
  /** Use the first `limit` examples. */
  readonly limit?: number;
}

/**
 * Predicted class of each example by an ONNX Runtime session (argmax of the output), and the
 * accuracy against the labels when the data has them (NaN otherwise).
 */
export async function ortPredictLabels(
  session: InferenceSession,
  data: DataSource,
  options: OrtPredictOptions = {},
): Promise<{ labels: Int32Array; accuracy: number }> {
  const parts: Int32Array[] = [];
  let correct = 0;
  let labelled = 0;
  const inputShape = options.inputShape ?? sessionInputShape(session);
  for await (const b of batchesOf(data, {
    batchSize: options.batchSize ?? 1000,
    limit: options.limit,
    inputShape,
    caller: 'ortPredictLabels',
  })) {
    const { data: out, dims } = await runOrt(session, (await b.xs.data()) as Float32Array, b.xs.shape);
    const classes = dims[1] as number;
    const truth = b.ys ? await b.ys.data() : undefined;
    const labels = new Int32Array(dims[0] as number);
    for (let i = 0; i < labels.length; i++) {
      let best = 0;
      for (let j = 1; j < classes; j++)
        if ((out[i * classes + j] as number) > (out[i * classes + best] as number)) best = j;
      labels[i] = best;
      if (truth) {
        let t = 0;
        for (let j = 1; j < classes; j++)
          if ((truth[i * classes + j] as number) > (truth[i * classes + t] as number)) t = j;
        if (t === best) correct++;
        labelled++;
      }
    }
    parts.push(labels);
  }
  const labels = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    labels.set(p, o);
    o += p.length;
  }
  return { labels, accuracy: labelled ? correct / labelled : NaN };
}
