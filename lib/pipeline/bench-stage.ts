// The benchmark stage: every earlier stage's artifact that a requested runtime can run, timed by
// the library's one harness (bench), with one row per artifact, runtime, thread count and batch
// size. tfjs runtimes run the float tfjs models (a quantized model's simulation is not a
// deployment, so it is left out); ONNX Runtime runs the exported .onnx files, beside the original
// model exported to fp32 ONNX as the baseline an int8 speed-up is measured against. An artifact
// slower than the original on the same runtime gets a warning (a channel-pruned model whose
// counts fall off the runtime's tiles can be).
import * as tf from '@tensorflow/tfjs';
import * as bench from '../bench';
import * as exporters from '../export';
import { PRUNE_TARGETS, PruneTarget, tileOf } from '../prune/tiles';
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

/** An artifact is reported slower when its median per-round time ratio to the original exceeds this. */
export const SLOWER_MARGIN = 1.05;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/**
 * One warning per row of an artifact that ran slower than the original on the same runtime,
 * threads and batch size: the median over the interleaved rounds of (artifact time / original
 * time) above {@link SLOWER_MARGIN}, so load that hits a round hits both sides of its ratio.
 * @example slowerThanOriginal(rows) // ['01-prune-channels-0.3 ran slower than the original on ort ...']
 */
export function slowerThanOriginal(rows: readonly BenchReportRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.stage === 'original') continue;
    const base = rows.find(
      (b) =>
        b.stage === 'original' && b.runtime === r.runtime && b.threads === r.threads && b.batchSize === r.batchSize,
    );
    if (!base) continue;
    const n = Math.min(r.roundP50Ms.length, base.roundP50Ms.length);
    const ratios = Array.from({ length: n }, (_, i) => (r.roundP50Ms[i] as number) / (base.roundP50Ms[i] as number));
    const ratio = n ? median(ratios) : r.p50Ms / base.p50Ms;
    if (!(ratio > SLOWER_MARGIN)) continue;
    const target = PRUNE_TARGETS.find((t) => t === r.runtime) as PruneTarget | undefined;
    out.push(
      `${r.stage} ran slower than the original on ${r.runtime} (${r.threads} thread${r.threads === 1 ? '' : 's'}, batch ${r.batchSize}): ` +
        `p50 ${r.p50Ms.toFixed(3)} ms against ${base.p50Ms.toFixed(3)} ms (${ratio.toFixed(2)}x the time, median of interleaved rounds). ` +
        (target
          ? `If it was channel-pruned, prune for this runtime (target "${target}": kept channels in multiples of ${tileOf(target)}) so its channel counts run fast there.`
          : `If it was channel-pruned, prune with the target runtime named so its channel counts run fast there.`),
    );
  }
  return out;
}
