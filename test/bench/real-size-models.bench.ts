// Benchmark: distillation, architecture search and a combination at full size, timed on the
// target runtime (ONNX Runtime, CPU) with the library's harness in interleaved rounds. Seeded
// random weights: these rows measure speed and size; accuracy comes from trained models (the
// course's notebooks), since training ImageNet-size networks does not fit this machine.
//   kd:       the classic teacher/student pair by architecture, ResNet50 (teacher) -> MobileNetV2
//             1.0 (student), both at 224: what the student costs against the teacher. The change
//             is the architecture, in one runtime and precision (ORT fp32).
//   nas:      a MobileNetV2 space (width, resolution, expansion, depth) searched under a latency
//             budget (a quarter of the full network's latency) measured in ORT: candidates drawn
//             with a seed, each timed on the target,
//             the Pareto front of (latency, MACs) kept, and the largest network (MACs, the capacity
//             proxy of a search without training) within the budget chosen; then timed against
//             the full MobileNetV2 1.0 at 224 in paired rounds.
//   combined: the distilled architecture and static INT8 together (MobileNetV2 INT8 in ORT)
//             against the ResNet50 teacher in ORT fp32: two changes at once, named as such.
// Writes results/bench-real-size.json, keys kd.resnet50ToMobilenetv2.*, nas.*, combined.resnet50ToMobilenetv2Int8.* (merged).
// Run: node --import tsx test/bench/real-size-models.bench.ts   (~10 min on 2 loaded cores)
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { Rng } from '../../lib/core/rng';
import { postTraining } from '../../lib/quantize/post-training';
import { toOnnx, OnnxModel } from '../../lib/export/onnx/to-onnx';
import { benchmark, BenchRow } from '../../lib/bench/harness';
import { ortRuntime, tfjsRuntime } from '../../lib/bench/runtimes';
import { paretoFront } from '../../lib/nas/pareto';
import { profileModel } from '../../lib/profile/profile-model';
import { MOBILENET_V2_STAGES, mobileNetStyle, InvertedResidualStage } from '../../course/models/mobilenet-style';
import { mobileNetV2, resNet50 } from '../fixtures/architectures';
import { saveRealSize } from './real-size-results';

const BATCH = 8;
const THREADS = 2;
/** Each round: at least 3 runs and 300 ms per runtime (a round of 3 short runs is mostly noise on a shared machine). */
const TIMING = { rounds: 7, warmupRuns: 1, runs: 3, minTimeMs: 300 };

const p50 = (rows: readonly BenchRow[], model: string, runtime: string, batch: number): number =>
  rows.find((r) => r.model === model && r.runtime === runtime && r.batchSize === batch)?.p50Ms ?? NaN;

async function distillationAndCombined(): Promise<Record<string, Record<string, unknown>>> {
  const teacher = resNet50({ seed: 1 });
  const student = mobileNetV2({ seed: 1 });
  const calibration = tf.randomUniform([8, 224, 224, 3], -1, 1, 'float32', 1);
  const { model: studentInt8 } = await postTraining(
    student,
    { xs: calibration },
    {
      mode: 'static',
      calibrationCount: 8,
      batchSize: 4,
    },
  );
  calibration.dispose();
  const onnx = { teacher: toOnnx(teacher), student: toOnnx(student), studentInt8: toOnnx(studentInt8) };
  const runtimes = (threads: number) => [
    ortRuntime(onnx.teacher, { name: 'ort-fp32', model: 'resnet50', threads }),
    ortRuntime(onnx.student, { name: 'ort-fp32', model: 'mobilenetv2', threads }),
    ortRuntime(onnx.studentInt8, { name: 'ort-int8', model: 'mobilenetv2', threads }),
  ];
  const one = await benchmark(
    [
      ...runtimes(1),
      tfjsRuntime(teacher, 'wasm', { model: 'resnet50' }),
      tfjsRuntime(student, 'wasm', { model: 'mobilenetv2' }),
    ],
    { ...TIMING, batchSizes: [1] },
  );
  const batched = await benchmark(runtimes(THREADS), { ...TIMING, rounds: 3, batchSizes: [BATCH] });
  const rows = [...one, ...batched];
  const kd = {
    teacher: 'ResNet50 224x224',
    student: 'MobileNetV2 1.0 224x224',
    weights: 'seeded random (speed and size only)',
    teacherParams: teacher.countParams(),
    studentParams: student.countParams(),
    sizeRatio: onnx.student.report.sizeBytes / onnx.teacher.report.sizeBytes,
    speedup: p50(one, 'resnet50', 'ort-fp32', 1) / p50(one, 'mobilenetv2', 'ort-fp32', 1),
    speedupBatched: p50(batched, 'resnet50', 'ort-fp32', BATCH) / p50(batched, 'mobilenetv2', 'ort-fp32', BATCH),
    speedupTfjsBatch1: p50(one, 'resnet50', 'tfjs-wasm', 1) / p50(one, 'mobilenetv2', 'tfjs-wasm', 1),
    runtime: 'ort-fp32 (batch 1 on one thread; batched on two)',
    batchedBatchSize: BATCH,
    p50Ms: Object.fromEntries(rows.map((r) => [`${r.model}/${r.runtime}@${r.batchSize}x${r.threads}t`, r.p50Ms])),
  };
  const combined = {
    what: 'ResNet50 fp32 (teacher) -> MobileNetV2 1.0 static INT8: distillation and quantization together, both in ORT',
    sizeRatio: onnx.studentInt8.report.sizeBytes / onnx.teacher.report.sizeBytes,
    speedup: p50(one, 'resnet50', 'ort-fp32', 1) / p50(one, 'mobilenetv2', 'ort-int8', 1),
    speedupBatched: p50(batched, 'resnet50', 'ort-fp32', BATCH) / p50(batched, 'mobilenetv2', 'ort-int8', BATCH),
  };
  console.log('kd', kd, 'combined', combined);
  teacher.dispose();
  student.dispose();
  studentInt8.dispose();
  return { kd: { resnet50ToMobilenetv2: kd }, combined: { resnet50ToMobilenetv2Int8: combined } };
}

/** A point of the MobileNetV2 space. */
interface Candidate {
  readonly alpha: number;
  readonly resolution: number;
  readonly expansion: number;
  readonly depth: 'full' | 'short';
}
const SPACE = {
  alpha: [0.35, 0.5, 0.75, 1],
  resolution: [128, 160, 192, 224],
  expansion: [3, 4, 6],
  depth: ['full', 'short'] as const,
};
/** 'short' drops one block from every stage that repeats (Keras's 1,2,3,4,3,3,1 -> 1,1,2,3,2,2,1). */
function stagesOf(c: Candidate): InvertedResidualStage[] {
  return MOBILENET_V2_STAGES.map(([t, ch, n, s], i) => [
    i === 0 ? t : c.expansion,
    ch,
    c.depth === 'short' ? Math.max(1, n - 1) : n,
    s,
  ]);
}
const nameOf = (c: Candidate) => `a${c.alpha}-r${c.resolution}-t${c.expansion}-${c.depth}`;
const build = (c: Candidate) =>
  mobileNetStyle({ seed: 1, alpha: c.alpha, inputShape: [c.resolution, c.resolution, 3], stages: stagesOf(c) });

async function architectureSearch(): Promise<Record<string, unknown>> {
  const reference: Candidate = { alpha: 1, resolution: 224, expansion: 6, depth: 'full' };
  const rng = new Rng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)] as T;
  const seen = new Set<string>([nameOf(reference)]);
  const candidates: Candidate[] = [];
  while (candidates.length < 16) {
    const c: Candidate = {
      alpha: pick(SPACE.alpha),
      resolution: pick(SPACE.resolution),
      expansion: pick(SPACE.expansion),
      depth: pick(SPACE.depth),
    };
    if (!seen.has(nameOf(c))) {
      seen.add(nameOf(c));
      candidates.push(c);
    }
  }
  // Every candidate and the reference timed on the target (ORT fp32, batch 1, one thread) in the same rounds.
  const all = [reference, ...candidates];
  const onnx = new Map<string, OnnxModel>();
  const macs = new Map<string, number>();
  for (const c of all) {
    const m = build(c);
    macs.set(nameOf(c), (await profileModel(m)).totals.macs);
    onnx.set(nameOf(c), toOnnx(m));
    m.dispose();
  }
  const rows = await benchmark(
    all.map((c) => ortRuntime(onnx.get(nameOf(c)) as OnnxModel, { name: 'ort-fp32', model: nameOf(c) })),
    { rounds: 3, warmupRuns: 1, runs: 3, minTimeMs: 200, batchSizes: [1] },
  );
  const latency = (c: Candidate) => p50(rows, nameOf(c), 'ort-fp32', 1);
  const budgetMs = 0.25 * latency(reference);
  const measured = candidates.map((c) => ({
    ...c,
    name: nameOf(c),
    latencyMs: latency(c),
    macs: macs.get(nameOf(c)) as number,
  }));
  const front = paretoFront(measured, [
    { name: 'latencyMs', value: (c) => c.latencyMs, maximize: false },
    { name: 'macs', value: (c) => c.macs, maximize: true },
  ]);
  const feasible = front.filter((c) => c.latencyMs <= budgetMs).sort((a, b) => b.macs - a.macs);
  const chosen = feasible[0];
  if (!chosen) throw new Error(`no candidate within the budget of ${budgetMs} ms`);
  // The chosen network against the reference, paired, with more rounds.
  const final = await benchmark(
    [
      ortRuntime(onnx.get(nameOf(reference)) as OnnxModel, { name: 'ort-fp32', model: 'reference' }),
      ortRuntime(onnx.get(chosen.name) as OnnxModel, { name: 'ort-fp32', model: 'chosen' }),
    ],
    { ...TIMING, rounds: 9, batchSizes: [1] },
  );
  const result = {
    space: SPACE,
    reference: {
      ...reference,
      name: nameOf(reference),
      macs: macs.get(nameOf(reference)),
      latencyMs: latency(reference),
    },
    target: 'ort-fp32, batch 1, one thread',
    budgetMs,
    budgetRule: "a quarter of the reference's latency, measured in the same rounds",
    objective: 'largest MACs (capacity proxy; no training at full size) on the Pareto front within the budget',
    candidates: measured,
    front: front.map((c) => c.name),
    chosen: {
      ...chosen,
      sizeRatio:
        (onnx.get(chosen.name) as OnnxModel).report.sizeBytes /
        (onnx.get(nameOf(reference)) as OnnxModel).report.sizeBytes,
      macsRatio: chosen.macs / (macs.get(nameOf(reference)) as number),
      speedupOnTarget: p50(final, 'reference', 'ort-fp32', 1) / p50(final, 'chosen', 'ort-fp32', 1),
    },
  };
  console.log('nas chosen', result.chosen, 'budget', budgetMs);
  return result;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const parts = process.argv.slice(2);
  if (!parts.length || parts.includes('kd')) saveRealSize(await distillationAndCombined());
  if (!parts.length || parts.includes('nas')) saveRealSize({ nas: await architectureSearch() });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
