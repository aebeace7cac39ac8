// Benchmark: static INT8 at full size, in the runtimes that have int8 kernels. MobileNetV2 1.0,
// ResNet50 and EfficientNet-B0 at 224x224 (the repository's keras.applications builders, seeded
// random weights: speed does not depend on the values), quantized statically (calibrated on 8
// random inputs in the model's input range), exported to ONNX (QDQ) and TFLite (full integer),
// and timed with the library's harness in interleaved rounds beside their fp32 exports and
// tfjs-wasm: at batch 1 on one thread, and at batch 8 on two threads (the machine's two cores).
// Each speed-up names one change:
//   quantization:   ORT fp32 / ORT int8, TFLite fp32 / TFLite int8 (same runtime, same threads)
//   runtime switch: tfjs-wasm fp32 / ORT fp32 (same precision; batch 1, one thread each)
// Writes results/bench-real-size.json, keys int8.<model>.* (merged with the agreement bench's).
// Run: node --import tsx test/bench/real-size-int8.bench.ts [mobilenetv2|resnet50|efficientnetb0 ...]
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { postTraining } from '../../lib/quantize/post-training';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { benchmark, BenchRow } from '../../lib/bench/harness';
import { ortRuntime, tfjsRuntime, tfliteRuntime } from '../../lib/bench/runtimes';
import { efficientNetB0, mobileNetV2, resNet50 } from '../fixtures/architectures';
import { saveRealSize } from './real-size-results';

const MODELS: Record<string, { build: () => tf.LayersModel; range: [number, number] }> = {
  mobilenetv2: { build: () => mobileNetV2({ seed: 1 }), range: [-1, 1] },
  resnet50: { build: () => resNet50({ seed: 1 }), range: [-1, 1] },
  efficientnetb0: { build: () => efficientNetB0({ seed: 1 }), range: [0, 255] },
};
/** The batched configuration: a batch that keeps both cores busy, on two threads. */
const BATCH = 8;
const THREADS = 2;
const CALIBRATION = 8;

const p50 = (rows: readonly BenchRow[], runtime: string, batch: number): number =>
  rows.find((r) => r.runtime === runtime && r.batchSize === batch)?.p50Ms ?? NaN;

async function main(): Promise<void> {
  await initBackend('wasm');
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(MODELS);
  for (const name of names) {
    const spec = MODELS[name];
    if (!spec) throw new Error(`unknown model ${name}: use ${Object.keys(MODELS).join(', ')}`);
    const model = spec.build();
    const shape = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
    const calibration = tf.randomUniform([CALIBRATION, ...shape], spec.range[0], spec.range[1], 'float32', 1);
    const t0 = performance.now();
    const { model: q, report } = await postTraining(
      model,
      { xs: calibration },
      {
        mode: 'static',
        calibrationCount: CALIBRATION,
        batchSize: 4,
      },
    );
    const quantizeSeconds = (performance.now() - t0) / 1000;
    calibration.dispose();
    const fp32Onnx = toOnnx(model);
    const int8Onnx = toOnnx(q);
    // One example in the model's input range, repeated to fill each batch.
    const input = tf.tidy(
      () => tf.randomUniform([1, ...shape], spec.range[0], spec.range[1], 'float32', 2).dataSync() as Float32Array,
    );
    // Each round runs a runtime at least 3 times and for at least 300 ms (tens of runs for a
    // few-millisecond model): on a shared machine a round of 3 short runs is mostly noise.
    const timing = { input, rounds: 7, warmupRuns: 1, runs: 3, minTimeMs: 300 };
    const one = await benchmark(
      [
        tfjsRuntime(model, 'wasm'),
        ortRuntime(fp32Onnx, { name: 'ort-fp32' }),
        ortRuntime(int8Onnx, { name: 'ort-int8' }),
        tfliteRuntime(model, { name: 'tflite-fp32' }),
        tfliteRuntime(q, { name: 'tflite-int8' }),
      ],
      { ...timing, model: name, batchSizes: [1] },
    );
    const batched = await benchmark(
      [
        ortRuntime(fp32Onnx, { name: 'ort-fp32', threads: THREADS }),
        ortRuntime(int8Onnx, { name: 'ort-int8', threads: THREADS }),
        tfliteRuntime(model, { name: 'tflite-fp32', threads: THREADS }),
        tfliteRuntime(q, { name: 'tflite-int8', threads: THREADS }),
      ],
      { ...timing, rounds: 3, model: name, batchSizes: [BATCH] },
    );
    const rows = [...one, ...batched];
    const result = {
      params: model.countParams(),
      inputShape: shape,
      weights: 'seeded random (speed only)',
      quantizeSeconds,
      calibrationImages: CALIBRATION,
      onnxFp32Bytes: fp32Onnx.report.sizeBytes,
      onnxInt8Bytes: int8Onnx.report.sizeBytes,
      tfliteFp32Bytes: toTflite(model).report.sizeBytes,
      tfliteInt8Bytes: toTflite(q).report.sizeBytes,
      planSizeRatio: report.sizeRatio,
      batchedBatchSize: BATCH,
      batchedThreads: THREADS,
      p50Ms: Object.fromEntries(rows.map((r) => [`${r.runtime}@${r.batchSize}x${r.threads}t`, r.p50Ms])),
      ortSpeedupBatch1: p50(one, 'ort-fp32', 1) / p50(one, 'ort-int8', 1),
      ortSpeedupBatched: p50(batched, 'ort-fp32', BATCH) / p50(batched, 'ort-int8', BATCH),
      tfliteSpeedupBatch1: p50(one, 'tflite-fp32', 1) / p50(one, 'tflite-int8', 1),
      tfliteSpeedupBatched: p50(batched, 'tflite-fp32', BATCH) / p50(batched, 'tflite-int8', BATCH),
      runtimeSwitchOrtFp32VsTfjsBatch1: p50(one, 'tfjs-wasm', 1) / p50(one, 'ort-fp32', 1),
      runtimeSwitchTfliteFp32VsTfjsBatch1: p50(one, 'tfjs-wasm', 1) / p50(one, 'tflite-fp32', 1),
      rows: rows.map((r) => ({
        runtime: r.runtime,
        batchSize: r.batchSize,
        threads: r.threads,
        p50Ms: r.p50Ms,
        roundP50Ms: r.roundP50Ms,
      })),
    };
    const { rows: _rows, ...shown } = result;
    console.log(name, JSON.stringify(shown, null, 1));
    saveRealSize({ int8: { [name]: result } });
    q.dispose();
    model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
