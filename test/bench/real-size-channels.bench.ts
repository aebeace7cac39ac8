// Benchmark: channel pruning on real-size networks, hardware-aware (the default) and not.
// ResNet50 at 224x224 (keras.applications layer for layer, seeded weights: speed does not depend
// on their values) and nsfwjs's MobileNetV2 1.0 at 224x224 (its real weights, from the npm
// package), each pruned to 70% ("p30") and 50% ("half") of its MACs with prune.channels'
// `macsRatio` and L1 importance, twice: with the default channel counts (target 'any': kept
// channels in multiples of every measured runtime's tile, see lib/prune/tile-table.ts) and with
// `roundTo: 1` (counts as the sparsity falls, "unaligned").
// Timed with the library's one harness (bench.benchmark: each pruned variant in interleaved
// rounds with the original, one pair at a time so that the two halves of a ratio are adjacent)
// on ONNX Runtime (onnxruntime-node, CPU) at batch 1 on 1 thread
// and at batch 8 on every core, and on tfjs-wasm at batch 1. A speed-up is the median over rounds
// of (original time / pruned time) in the same round, so load on this shared machine hits both.
// A default-pruned model's target is 'any', i.e. every runtime here: `cases` counts
// (architecture, fraction, runtime setting) and `notSlowerCount` those where it is not slower.
// Writes the `channels` section of results/bench-real-size.json (other sections are kept).
// Run: node --import tsx test/bench/real-size-channels.bench.ts [resnet50] [mobilenetv2]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { machineInfo } from '../../lib/core/machine';
import { resultsDir, saveResults } from '../../course/results';
import { BenchRow, benchmark } from '../../lib/bench/harness';
import { ortRuntime, tfjsRuntime } from '../../lib/bench/runtimes';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { channels, ChannelReport } from '../../lib/prune/channels';
import { MEASURED_TILES } from '../../lib/prune/tile-table';
import { tileOf } from '../../lib/prune/tiles';
import { profileModel } from '../../lib/profile/profile-model';
import { resNet50 } from '../fixtures/architectures';
import { loadNsfwMobileNetV2 } from '../fixtures/real-models';

const FRACTIONS = { p30: 0.7, half: 0.5 } as const; // MACs kept
const FILL_BATCH = 8;
const FILL_THREADS = os.cpus().length;
type Fraction = keyof typeof FRACTIONS;

const ARCHITECTURES: Record<string, { weights: string; load: () => Promise<tf.LayersModel> }> = {
  resnet50: {
    weights: 'seeded random (test/fixtures/architectures/resnet50.ts, keras.applications layer for layer)',
    load: async () => resNet50({ seed: 1 }),
  },
  mobilenetv2: {
    weights: 'nsfwjs@4.4.0 mobilenet_v2 (real weights, uint8-dequantized; its own 5-class head)',
    load: loadNsfwMobileNetV2,
  },
};

/** A model and its ONNX export (exported once, timed many times). */
interface Timed {
  readonly model: tf.LayersModel;
  readonly onnx: Uint8Array;
}

/** The runtime settings every model is timed on. */
const SETTINGS = [
  { key: 'ortBatch1', batch: 1, make: (m: Timed, label: string) => ortRuntime(m.onnx, { model: label }) },
  {
    key: `ortBatch${FILL_BATCH}`,
    batch: FILL_BATCH,
    make: (m: Timed, label: string) => ortRuntime(m.onnx, { model: label, threads: FILL_THREADS }),
  },
  { key: 'wasmBatch1', batch: 1, make: (m: Timed, label: string) => tfjsRuntime(m.model, 'wasm', { model: label }) },
] as const;
// Short slots and many rounds: the finer the interleaving, the closer in time each pair of a ratio.
const TIMING: Record<string, { rounds: number; minTimeMs: number; runs: number; warmupRuns: number }> = {
  ortBatch1: { rounds: 15, minTimeMs: 150, runs: 5, warmupRuns: 2 },
  [`ortBatch${FILL_BATCH}`]: { rounds: 9, minTimeMs: 300, runs: 3, warmupRuns: 1 },
  wasmBatch1: { rounds: 7, minTimeMs: 0, runs: 3, warmupRuns: 1 },
};

/** 'ortBatch1' -> 'ortSpeedupBatch1', 'wasmBatch1' -> 'wasmSpeedupBatch1'. */
const speedupKey = (setting: string) => setting.replace('Batch', 'SpeedupBatch');

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

interface Variant {
  readonly label: string;
  readonly fraction: Fraction;
  readonly aligned: boolean;
  readonly model: tf.LayersModel;
  readonly report: ChannelReport;
}

async function measure(name: string): Promise<Record<string, unknown>> {
  const spec = ARCHITECTURES[name];
  if (!spec) throw new Error(`unknown architecture ${name}: use ${Object.keys(ARCHITECTURES).join(', ')}`);
  const model = await spec.load();
  const profiled = await profileModel(model);
  const variants: Variant[] = [];
  try {
    for (const fraction of Object.keys(FRACTIONS) as Fraction[]) {
      for (const aligned of [true, false]) {
        const t0 = performance.now();
        const { model: pruned, report } = await channels(model, {
          macsRatio: FRACTIONS[fraction],
          ...(aligned ? {} : { roundTo: 1 }),
        });
        variants.push({
          label: `${fraction}-${aligned ? 'aligned' : 'unaligned'}`,
          fraction,
          aligned,
          model: pruned,
          report,
        });
        console.log(
          `${name} ${fraction} ${aligned ? `default (roundTo ${report.roundTo})` : 'roundTo 1'}: sparsity ${report.sparsity.toFixed(4)}, ` +
            `MACs kept ${report.macsRatio.toFixed(4)}, params kept ${report.paramsRatio.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
        );
      }
    }
    const original: Timed = { model, onnx: toOnnx(model).bytes };
    const timed = new Map(variants.map((v) => [v.label, { model: v.model, onnx: toOnnx(v.model).bytes }]));
    // setting -> variant -> {own, base}: round medians of the variant and of the original beside it.
    const pairs: Record<string, Record<string, { own: BenchRow; base: BenchRow }>> = {};
    for (const setting of SETTINGS) {
      const t0 = performance.now();
      pairs[setting.key] = {};
      for (const v of variants) {
        const [base, own] = await benchmark(
          [setting.make(original, 'original'), setting.make(timed.get(v.label) as Timed, v.label)],
          { batchSizes: [setting.batch], seed: 1, ...TIMING[setting.key] },
        );
        (pairs[setting.key] as Record<string, { own: BenchRow; base: BenchRow }>)[v.label] = {
          own: own as BenchRow,
          base: base as BenchRow,
        };
      }
      console.log(
        `${name} ${setting.key}: ${variants.map((v) => `${v.label} ${pairs[setting.key]?.[v.label]?.own.p50Ms.toFixed(2)} ms (original ${pairs[setting.key]?.[v.label]?.base.p50Ms.toFixed(2)})`).join(', ')} ` +
          `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
    }
    const pair = (setting: string, label: string) => pairs[setting]?.[label] as { own: BenchRow; base: BenchRow };
    const speedup = (setting: string, label: string) => {
      const { own, base } = pair(setting, label);
      return median(own.roundP50Ms.map((t, i) => (base.roundP50Ms[i] as number) / t));
    };
    const figures = (v: Variant) => ({
      requestedMacsRatio: FRACTIONS[v.fraction],
      macsRatio: v.report.macsRatio,
      paramsRatio: v.report.paramsRatio,
      sparsity: v.report.sparsity,
      roundTo: v.report.roundTo,
      ...(v.report.target ? { target: v.report.target } : {}),
      ...Object.fromEntries(
        SETTINGS.flatMap((s) => [
          [`${s.key}Ms`, pair(s.key, v.label).own.p50Ms],
          [speedupKey(s.key), speedup(s.key, v.label)],
        ]),
      ),
    });
    const out: Record<string, unknown> = {
      weights: spec.weights,
      inputShape: (model.inputs[0] as tf.SymbolicTensor).shape.slice(1),
      macs: profiled.totals.macs,
      params: profiled.totals.params,
      // The original's p50: the median over the pairs it was timed in.
      original: Object.fromEntries(
        SETTINGS.map((s) => [`${s.key}Ms`, median(variants.map((v) => pair(s.key, v.label).base.p50Ms))]),
      ),
    };
    for (const fraction of Object.keys(FRACTIONS) as Fraction[]) {
      const aligned = variants.find((v) => v.fraction === fraction && v.aligned) as Variant;
      const unaligned = variants.find((v) => v.fraction === fraction && !v.aligned) as Variant;
      out[fraction] = { ...figures(aligned), unaligned: figures(unaligned) };
    }
    return out;
  } finally {
    model.dispose();
    variants.forEach((v) => v.model.dispose());
  }
}

/** The `channels` section already in this run's results file (kept for architectures not re-run). */
function previousSection(): Record<string, unknown> {
  const file = path.join(resultsDir(), 'bench-real-size.json');
  if (!fs.existsSync(file)) return {};
  try {
    return (
      (JSON.parse(fs.readFileSync(file, 'utf8')) as { metrics?: { channels?: Record<string, unknown> } }).metrics
        ?.channels ?? {}
    );
  } catch {
    return {};
  }
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(ARCHITECTURES);
  const section: Record<string, unknown> = { ...previousSection() };
  for (const name of names) section[name] = await measure(name);
  const settings = SETTINGS.map((s) => s.key);
  const speedups = Object.keys(ARCHITECTURES)
    .filter((a) => section[a])
    .flatMap((a) =>
      (Object.keys(FRACTIONS) as Fraction[]).flatMap((f) => {
        const row = (section[a] as Record<string, Record<string, number>>)[f] ?? {};
        return settings.map((s) => ({ at: `${a}.${f}.${s}`, speedup: row[speedupKey(s)] as number }));
      }),
    );
  const slower = speedups.filter((x) => !(x.speedup >= 1)).map((x) => x.at);
  Object.assign(section, {
    method: 'prune.channels, macsRatio, importance l1; default counts (target any) vs roundTo 1',
    target: 'any',
    roundTo: tileOf('any'),
    tiles: MEASURED_TILES,
    fillBatch: { batchSize: FILL_BATCH, ortThreads: FILL_THREADS },
    timing: TIMING,
    cases: speedups.length,
    notSlowerCount: speedups.length - slower.length,
    slower,
    machine: machineInfo(),
  });
  saveResults('bench-real-size', { channels: section });
  console.log(
    `cases ${speedups.length}, not slower ${speedups.length - slower.length}${slower.length ? `; slower: ${slower.join(', ')}` : ''}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
