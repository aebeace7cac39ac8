// The benchmark stage: every earlier stage's artifact that a requested runtime can run, timed by
// the library's one harness (bench), with one row per artifact, runtime, thread count and batch
// size. tfjs runtimes run the float tfjs models (a quantized model's simulation is not a
// deployment, so it is left out); ONNX Runtime runs the exported .onnx files, beside the original
// model exported to fp32 ONNX as the baseline an int8 speed-up is measured against.
import * as tf from '@tensorflow/tfjs';
import * as bench from '../bench';
import * as exporters from '../export';
import { BenchStage } from './recipe';
import { StageModel } from './stage-model';

/** Something to time: a stage's model in tfjs, or its ONNX bytes. */
export type BenchTarget =
  | { readonly label: string; readonly kind: 'tfjs'; readonly model: tf.LayersModel }
  | { readonly label: string; readonly kind: 'onnx'; readonly bytes: Uint8Array };

/** One timed cell of the report. */
export type BenchReportRow = bench.BenchRow & { readonly stage: string };

/** The baseline for ONNX Runtime: the original model in fp32 ONNX, when it exports. */
export function onnxBaseline(original: StageModel, warnings: string[]): BenchTarget | undefined {
  if (original.kind !== 'layers') return undefined;
  try {
    return { label: 'original', kind: 'onnx', bytes: exporters.toOnnx(original.model).bytes };
  } catch (e) {
    warnings.push(`bench: the original model has no fp32 ONNX baseline: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * Times the targets on the stage's runtimes, all in one interleaved benchmark (bench.benchmark:
 * round-robin rounds, so a shared machine's noise hits every artifact alike). `watching` sees each row
 * (a function, or `{onRow, onProgress}` with the rows done of the total).
 */
export async function runBench(
  stage: BenchStage,
  targets: readonly BenchTarget[],
  inputShape: readonly number[],
  seed: number,
  watching:
    | ((row: BenchReportRow) => void)
    | {
        /** Sees each row as it is measured. */
        readonly onRow?: (row: BenchReportRow) => void;
        /** Rows measured of the total (progress). */
        readonly onProgress?: (done: number, total: number) => void;
      } = {},
): Promise<BenchReportRow[]> {
  const watch = typeof watching === 'function' ? { onRow: watching } : watching;
  const runtimes = stage.runtimes ?? ['tfjs-wasm', 'ort'];
  const threads = stage.threads ?? [1];
  const shape = inputShape.map((d) => Math.max(d, 1));
  const list: bench.BenchRuntime[] = [];
  for (const t of targets) {
    if (t.kind === 'tfjs') {
      for (const r of runtimes.filter((x) => x.startsWith('tfjs-')))
        list.push(bench.tfjsRuntime(t.model, r.slice('tfjs-'.length), { model: t.label, inputShape: shape }));
    } else if (runtimes.includes('ort')) {
      for (const n of threads)
        list.push(bench.ortRuntime(t.bytes, { name: 'ort', threads: n, inputShape: shape, model: t.label }));
    }
  }
  if (!list.length) return [];
  const batchSizes = stage.batchSizes ?? [1, 32];
  const total = list.length * batchSizes.length;
  let done = 0;
  watch.onProgress?.(0, total);
  const rows = await bench.benchmark(list, {
    batchSizes,
    seed,
    ...(stage.rounds ? { rounds: stage.rounds } : {}),
    onRow: (r) => {
      watch.onRow?.({ ...r, stage: r.model });
      watch.onProgress?.(++done, total);
    },
  });
  return rows.map((r) => ({ ...r, stage: r.model }));
}
