// Benchmark: the INT8 speed path. The SimpleNet baseline exported to ONNX as fp32, static INT8
// (QDQ, which ONNX Runtime fuses into QGemm) and dynamic INT8 (DynamicQuantizeMatMul), timed in
// onnxruntime-node with one thread at batch 1 and 256, interleaved in the same run. The INT8
// gain depends on the CPU's integer dot-product instructions (VNNI): the flags are recorded.
// Writes results/bench-quantization.json. Run: node --import tsx test/bench/quantization.bench.ts
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { saveResults } from '../../course/results';
import { machineInfo } from '../../lib/core/machine';
import { loadBaseline } from '../../course/models/baselines';
import { loadMnist } from '../../course/data/mnist';
import { toTensors } from '../../lib/data/tensors';
import { postTraining } from '../../lib/quantize/post-training';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { benchmark } from '../../lib/bench/harness';
import { ortRuntime } from '../../lib/bench/runtimes';

async function main(): Promise<void> {
  await initBackend('wasm');
  const { model } = await loadBaseline('simplenet');
  const mnist = loadMnist();
  const { model: qStatic } = await postTraining(model, mnist.train, {
    mode: 'static',
    calibrationCount: 1000,
  });
  const { model: qDynamic } = await postTraining(model, { mode: 'dynamic' });
  const sample = toTensors(mnist.test, { inputShape: [784], start: 0, end: 256 });
  const input = sample.xs.dataSync() as Float32Array;
  const models = { fp32: toOnnx(model), int8Static: toOnnx(qStatic), int8Dynamic: toOnnx(qDynamic) };
  const rows = await benchmark(
    Object.entries(models).map(([v, m]) => ortRuntime(m, { name: `ort-${v}`, model: v, threads: 1 })),
    { batchSizes: [1, 256], rounds: 7, runs: 30, minTimeMs: 300, input },
  );
  const p50 = (v: string, b: number) => rows.find((r) => r.model === v && r.batchSize === b)?.p50Ms as number;
  const figures: Record<string, unknown> = {};
  for (const b of [1, 256]) {
    const fp32 = p50('fp32', b);
    const s = fp32 / p50('int8Static', b);
    const d = fp32 / p50('int8Dynamic', b);
    console.log(
      `batch ${b}: ORT fp32 p50 ${fp32.toFixed(4)} ms, int8 static (QDQ) ${p50('int8Static', b).toFixed(4)} ms (${s.toFixed(2)}x), ` +
        `int8 dynamic ${p50('int8Dynamic', b).toFixed(4)} ms (${d.toFixed(2)}x)`,
    );
    figures[`batch${b}`] = {
      fp32P50Ms: fp32,
      int8StaticP50Ms: p50('int8Static', b),
      int8DynamicP50Ms: p50('int8Dynamic', b),
      int8StaticSpeedup: s,
      int8DynamicSpeedup: d,
    };
  }
  const cpu = machineInfo();
  console.log(`CPU ${cpu.cpuModel}, flags ${cpu.cpuFlags.join(' ')}`);
  saveResults('bench-quantization', {
    ort: {
      int8SpeedupBatch1: p50('fp32', 1) / p50('int8Static', 1),
      int8SpeedupBatch256: p50('fp32', 256) / p50('int8Static', 256),
      dynamicSpeedupBatch1: p50('fp32', 1) / p50('int8Dynamic', 1),
      dynamicSpeedupBatch256: p50('fp32', 256) / p50('int8Dynamic', 256),
      threads: 1,
      ...figures,
      sizeBytes: Object.fromEntries(Object.entries(models).map(([k, m]) => [k, m.report.sizeBytes])),
    },
    cpuFlags: cpu.cpuFlags,
    cpuModel: cpu.cpuModel,
    note: 'onnxruntime-node, one intra-op thread, medians over 7 interleaved rounds; speedup = fp32 p50 / int8 p50',
  });
  tf.dispose([sample.xs, sample.ys]);
  qStatic.dispose();
  qDynamic.dispose();
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
