// An ONNX model on fixed feeds as a runtime of the benchmark harness (bench.benchmark times runtimes
// in interleaved rounds). ONNX-in models take named, typed, multi-input feeds in their own layout
// (an image batch, an audio chunk with its recurrent state), so the runtime runs the feeds it was
// given and ignores the harness's generated row-major input: time it at batch size 1.
import type { InferenceSession } from 'onnxruntime-node';
import { ConfigError, describe } from '../errors';
import type { BenchRuntime } from '../bench/runtimes';
import { ortSession } from '../export/onnx/runtime';
import { OnnxFeeds, ortFeeds, runSession } from './feeds';

/** Options of {@link ortFeedsRuntime}. */
export interface OrtFeedsRuntimeOptions {
  /** Runtime name, e.g. 'ort-int8'. Default 'ort'. */
  readonly name?: string;
  /** The model or variant, labelling its rows. */
  readonly model?: string;
  /** Intra-op threads (default 1). */
  readonly threads?: number;
}

/**
 * ONNX Runtime (node, CPU) running `bytes` on `feeds`, for bench.benchmark at batch size 1.
 * @example await bench.benchmark([ortFeedsRuntime(fp32, feeds, {name: 'fp32'}), ortFeedsRuntime(int8, feeds, {name: 'int8'})], {batchSizes: [1]})
 */
export function ortFeedsRuntime(
  bytes: Uint8Array,
  feeds: OnnxFeeds,
  options: OrtFeedsRuntimeOptions = {},
): BenchRuntime {
  const threads = options.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1))
    throw new ConfigError(`onnx.ortFeedsRuntime: threads a positive integer, got ${describe(threads)}. Use 1.`);
  let session: InferenceSession | undefined;
  let tensors: InferenceSession.FeedsType | undefined;
  return {
    name: options.name ?? 'ort',
    ...(options.model !== undefined ? { model: options.model } : {}),
    threads,
    inputShape: [1],
    async activate() {
      session ??= await ortSession(bytes, { threads });
      tensors ??= ortFeeds(session, feeds, 'onnx.ortFeedsRuntime');
    },
    async run(_x: Float32Array, batch: number) {
      if (!session || !tensors)
        throw new ConfigError(
          `onnx.ortFeedsRuntime: an activated runtime, got none. Call activate() first (the harness does).`,
        );
      if (batch !== 1)
        throw new ConfigError(
          `onnx.ortFeedsRuntime: batch size 1 (the feeds carry their own batch), got ${batch}. Use batchSizes: [1].`,
        );
      const out = await runSession(session, tensors, 'onnx.ortFeedsRuntime');
      for (const t of Object.values(out)) t.dispose?.();
      return undefined;
    },
    async dispose() {
      await session?.release();
      session = undefined;
      tensors = undefined;
    },
  };
}
