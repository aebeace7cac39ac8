// Benchmark: TensorFlow Lite INT8 vs fp32 beside ONNX Runtime INT8 vs fp32. The SimpleNet and CNN
// baselines, statically quantized (one plan for both runtimes), exported to .tflite (run in
// tfjs-tflite-node's TFLite 2.9 interpreter) and to ONNX QDQ (run in onnxruntime-node), at batch
// 1 and 32, with 1 and 2 threads, all runtimes interleaved round by round. The INT8 gain depends
// on the CPU's integer dot-product instructions: the flags are recorded. tfjs-tflite-node creates
// its interpreter without the XNNPACK delegate (the C library ships it, the binding does not add
// it), so TFLite runs its builtin CPU kernels here.
// Writes results/bench-tflite.json. Run: node --import tsx test/bench/tflite.bench.ts
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { saveResults } from '../../course/results';
import { machineInfo } from '../../lib/core/machine';
import { loadBaseline } from '../../course/models/baselines';
import { loadMnist } from '../../course/data/mnist';
import { toTensors } from '../../lib/data/tensors';
import { postTraining } from '../../lib/quantize/post-training';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { benchmark, BenchRow } from '../../lib/bench/harness';
import { BenchRuntime, ortRuntime, tfliteRuntime } from '../../lib/bench/runtimes';

const BATCHES = [1, 32];
const THREADS = [1, 2];

async function main(): Promise<void> {
  await initBackend('wasm');
  const mnist = loadMnist();
  const results: Record<string, unknown> = {};
  const allRows: BenchRow[] = [];
  const loadBefore = os.loadavg();
  for (const [name, inputShape] of [
    ['simplenet', [784]],
    ['cnn', [28, 28, 1]],
  ] as const) {
    const { model } = await loadBaseline(name);
    const { model: q } = await postTraining(model, mnist.train, {
      mode: 'static',
      calibrationCount: 1000,
    });
    const sample = toTensors(mnist.test, { inputShape: [...inputShape], start: 0, end: 32 });
    const input = sample.xs.dataSync() as Float32Array;
    const runtimes: BenchRuntime[] = THREADS.flatMap((threads) => [
      tfliteRuntime(model, { name: `tflite-fp32-t${threads}`, threads }),
      tfliteRuntime(q, { name: `tflite-int8-t${threads}`, threads }),
      ortRuntime(toOnnx(model), { name: `ort-fp32-t${threads}`, threads }),
      ortRuntime(toOnnx(q), { name: `ort-int8-t${threads}`, threads }),
    ]);
    const rows = await benchmark(runtimes, {
      model: name,
      batchSizes: BATCHES,
      rounds: 5,
      runs: 20,
      minTimeMs: 150,
      input,
    });
    allRows.push(...rows);
    const p50 = (runtime: string, b: number) =>
      rows.find((r) => r.runtime === runtime && r.batchSize === b)?.p50Ms as number;
    const figures: Record<string, unknown> = {};
    for (const threads of THREADS) {
      for (const b of BATCHES) {
        const t = (rt: string) => p50(`${rt}-t${threads}`, b);
        const cell = {
          tfliteFp32P50Ms: t('tflite-fp32'),
          tfliteInt8P50Ms: t('tflite-int8'),
          ortFp32P50Ms: t('ort-fp32'),
          ortInt8P50Ms: t('ort-int8'),
          tfliteInt8Speedup: t('tflite-fp32') / t('tflite-int8'),
          ortInt8Speedup: t('ort-fp32') / t('ort-int8'),
          tfliteInt8VsOrtInt8: t('ort-int8') / t('tflite-int8'),
        };
        figures[`threads${threads}Batch${b}`] = cell;
        console.log(
          `${name} threads ${threads} batch ${b}: TFLite fp32 ${cell.tfliteFp32P50Ms.toFixed(4)} ms, int8 ${cell.tfliteInt8P50Ms.toFixed(4)} ms ` +
            `(${cell.tfliteInt8Speedup.toFixed(2)}x); ORT fp32 ${cell.ortFp32P50Ms.toFixed(4)} ms, int8 ${cell.ortInt8P50Ms.toFixed(4)} ms (${cell.ortInt8Speedup.toFixed(2)}x)`,
        );
      }
    }
    const fp32Bytes = toTflite(model).report.sizeBytes;
    const int8Bytes = toTflite(q).report.sizeBytes;
    results[name] = {
      ...figures,
      tfliteFp32Bytes: fp32Bytes,
      tfliteInt8Bytes: int8Bytes,
      tfliteInt8SizeRatio: int8Bytes / fp32Bytes,
    };
    tf.dispose([sample.xs, sample.ys]);
    q.dispose();
    model.dispose();
  }
  const cpu = machineInfo();
  console.log(`CPU ${cpu.cpuModel}, ${cpu.cores} cores, flags ${cpu.cpuFlags.join(' ')}`);
  saveResults('bench-tflite', {
    ...results,
    rows: allRows.map(({ machine: _machine, ...r }) => r),
    cpuFlags: cpu.cpuFlags,
    cpuModel: cpu.cpuModel,
    // 1-minute load average before and after: other processes share the cores (2-thread rows suffer first).
    loadAverage: { before: loadBefore[0], after: os.loadavg()[0], cores: cpu.cores },
    note:
      'tfjs-tflite-node 0.0.2 (TFLite 2.9 C library, builtin CPU kernels: the binding adds no XNNPACK delegate) and onnxruntime-node 1.30; ' +
      'one static INT8 plan for both (.tflite full-integer, ONNX QDQ); medians over 5 interleaved rounds; speedup = fp32 p50 / int8 p50; ' +
      'batch sizes are fixed in each .tflite file (one export per batch size)',
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
