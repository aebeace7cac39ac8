// Benchmark: post-training quantization of the full-size Keras architectures (MobileNetV2 224,
// ResNet50 224, InceptionV3 299, EfficientNet-B0 224; seeded random weights, so accuracy is not
// the point) in every mode, exported to ONNX and run in onnxruntime-node against the quantized
// tfjs model: how long quantization takes, the batch size calibration ran at, the
// convolutions ONNX Runtime runs in int8, and max |ORT - tfjs| in steps of the output grid.
// Writes results/bench-models.json (key `architecturesInt8`). Slow (tens of minutes on 2 cores).
// Run: node --import tsx test/bench/int8-architectures.bench.ts [mobilenet|resnet|inception|efficientnet ...]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { saveResults } from '../../course/results';
import { postTraining } from '../../lib/quantize/post-training';
import { planOf } from '../../lib/quantize/plan';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { inspectOnnx } from '../../lib/export/onnx/inspect';
import { efficientNetB0, inceptionV3, mobileNetV2, resNet50 } from '../fixtures/architectures';

const BUILDERS: Record<string, { build: () => tf.LayersModel; range: [number, number] }> = {
  mobilenet: { build: () => mobileNetV2({ seed: 1 }), range: [-1, 1] },
  resnet: { build: () => resNet50({ seed: 1 }), range: [-1, 1] },
  inception: { build: () => inceptionV3({ seed: 1 }), range: [-1, 1] },
  efficientnet: { build: () => efficientNetB0({ seed: 1 }), range: [0, 255] },
};
const CALIBRATION_IMAGES = 32;

async function main(): Promise<void> {
  await initBackend('wasm');
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(BUILDERS);
  const out: Record<string, unknown> = {};
  const file = path.join(os.tmpdir(), `tfjs-compress-int8-arch-${process.pid}.onnx`);
  for (const name of names) {
    const spec = BUILDERS[name];
    if (!spec) throw new Error(`unknown architecture ${name}: use ${Object.keys(BUILDERS).join(', ')}`);
    const model = spec.build();
    const shape = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
    const calibration = tf.randomUniform([CALIBRATION_IMAGES, ...shape], spec.range[0], spec.range[1], 'float32', 1);
    const x = tf.randomUniform([2, ...shape], spec.range[0], spec.range[1], 'float32', 2);
    const modes: Record<string, unknown> = {};
    for (const mode of ['static', 'dynamic', 'weight-only'] as const) {
      const t0 = performance.now();
      const { model: q, report } = await postTraining(
        model,
        { xs: calibration },
        {
          mode,
          calibrationCount: CALIBRATION_IMAGES,
        },
      );
      const quantizeSeconds = (performance.now() - t0) / 1000;
      const onnx = toOnnx(q);
      const session = await ortSession(onnx, { optimizedModelFilePath: file });
      const got = await runOrt(session, x.dataSync() as Float32Array, x.shape);
      await session.release();
      const want = tf.tidy(() => (q.predict(x) as tf.Tensor).dataSync());
      let maxAbsDiff = 0;
      for (let i = 0; i < want.length; i++)
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs((want[i] as number) - (got.data[i] as number)));
      const ops = inspectOnnx(file).ops;
      const step = planOf(q)?.activations.predictions?.scale[0];
      modes[mode] = {
        quantizeSeconds,
        maxAbsDiff,
        ...(step ? { maxAbsDiffInOutputSteps: maxAbsDiff / step } : {}),
        sizeBytes: report.sizeBytes,
        floatSizeBytes: report.floatSizeBytes,
        onnxInitializerBytes: inspectOnnx(onnx.bytes).initializerBytes,
        calibrationBatchSize: report.memory?.batchSize,
        ortQLinearConvs: ops['com.microsoft.QLinearConv'] ?? 0,
        ortFloatConvs: (ops.Conv ?? 0) + (ops['com.microsoft.FusedConv'] ?? 0) + (ops['com.microsoft.nchwc.Conv'] ?? 0),
      };
      console.log(
        `${name} ${mode}: ${quantizeSeconds.toFixed(1)} s, max |ORT - tfjs| ${maxAbsDiff.toExponential(2)}${step ? ` (${(maxAbsDiff / step).toFixed(2)} output steps)` : ''}, ` +
          `${report.sizeBytes} of ${report.floatSizeBytes} bytes, QLinearConv ${ops['com.microsoft.QLinearConv'] ?? 0}, calibration batch ${report.memory?.batchSize}`,
      );
      q.dispose();
    }
    out[name] = { params: model.countParams(), calibrationImages: CALIBRATION_IMAGES, modes };
    tf.dispose([calibration, x]);
    model.dispose();
  }
  if (fs.existsSync(file)) fs.rmSync(file);
  saveResults('bench-models', { architecturesInt8: out });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
