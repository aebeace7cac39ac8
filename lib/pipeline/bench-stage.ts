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

/** Times the targets on the stage's runtimes. `onRow` sees each row as it is measured. */
export async function runBench(stage: BenchStage, targets: readonly BenchTarget[], inputShape: readonly number[], seed: number,
  onRow?: (row: BenchReportRow) => void): Promise<BenchReportRow[]> {
  const runtimes = stage.runtimes ?? ['tfjs-wasm', 'ort'];
  const threads = stage.threads ?? [1];
  const shape = inputShape.map((d) => Math.max(d, 1));
  const list: { stage: string; rt: bench.BenchRuntime }[] = [];
  for (const t of targets) {
    if (t.kind === 'tfjs') {
      for (const r of runtimes.filter((x) => x.startsWith('tfjs-'))) list.push({ stage: t.label, rt: bench.tfjsRuntime(t.model, r.slice('tfjs-'.length)) });
    } else if (runtimes.includes('ort')) {
      for (const n of threads) list.push({ stage: t.label, rt: bench.ortRuntime(t.bytes, { name: `ort`, threads: n, inputShape: shape }) });
    }
  }
  const rows: BenchReportRow[] = [];
  for (const { stage: label, rt } of list) {
    const measured = await bench.benchmarkRuntimes([rt], {
      model: label, inputSize: shape.reduce((a, b) => a * b, 1), batchSizes: stage.batchSizes ?? [1, 32], seed,
      ...(stage.rounds ? { runs: stage.rounds * 10 } : {}),
    });
    for (const r of measured) {
      const row = { ...r, stage: label };
      rows.push(row);
      onRow?.(row);
    }
  }
  return rows;
}
