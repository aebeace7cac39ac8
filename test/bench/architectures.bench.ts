// Benchmark: the counts and the ONNX fidelity the issue "Any model, any data" asks for, into
// results/bench-models.json beside the MobileNetV2-style INT8 figures (models.bench.ts):
//   architectures: each full-size Keras architecture's parameters (vs keras.applications'
//     total) and MACs (vs the paper's multiply-adds; the counting rules are in
//     test/architectures/architectures.test.ts), with the time to build and profile it;
//   realModel: the MNIST CNN shipped inside the npm package mnist-react-tfjs (trained by its
//     author, not here): MNIST test accuracy in tfjs and in onnxruntime-node from its fp32 ONNX
//     export, and max |ORT - tfjs| over the 10,000 test images' scores.
// Run: node --import tsx test/bench/architectures.bench.ts
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { saveResults } from '../../course/results';
import { loadMnist } from '../../course/data/mnist';
import { toTensors } from '../../lib/data/tensors';
import { profileModel } from '../../lib/profile/profile-model';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { ARCHITECTURES } from '../fixtures/architectures/catalog';
import { MNIST_CNN, loadMnistCnn } from '../fixtures/real-models';

const argmax = (v: ArrayLike<number>, i: number, k: number): number => {
  let best = 0;
  for (let j = 1; j < k; j++) if ((v[i * k + j] as number) > (v[i * k + best] as number)) best = j;
  return best;
};

async function architectures(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const arch of ARCHITECTURES) {
    const t0 = performance.now();
    const model = arch.build();
    const report = await profileModel(model);
    const seconds = (performance.now() - t0) / 1000;
    const convDense = report.layers
      .filter((l) => ['Conv2D', 'DepthwiseConv2D', 'Dense'].includes(l.className))
      .reduce((a, l) => a + (l.macs ?? 0), 0);
    out[arch.name] = {
      params: report.totals.params,
      kerasParams: arch.kerasParams,
      paramsMissingInTfjs: arch.missingParams,
      paramsEqualKeras: report.totals.params === arch.kerasParams - arch.missingParams,
      macs: report.totals.macs,
      convDenseMacs: convDense,
      paperMacs: arch.paperMacs,
      macsRatio: report.totals.macs / arch.paperMacs,
      convDenseMacsRatio: convDense / arch.paperMacs,
      paperSource: arch.paperSource,
      buildAndProfileSeconds: seconds,
    };
    console.log(
      `${arch.name}: ${report.totals.params} params (Keras ${arch.kerasParams}), ${report.totals.macs} MACs, ${(report.totals.macs / arch.paperMacs).toFixed(3)}x the paper's; ${seconds.toFixed(1)} s`,
    );
    model.dispose();
  }
  return out;
}

async function realModel(): Promise<Record<string, unknown>> {
  const model = await loadMnistCnn();
  const test = loadMnist().test;
  const onnx = toOnnx(model);
  const session = await ortSession(onnx.bytes);
  let maxAbsDiff = 0;
  let tfjsCorrect = 0;
  let ortCorrect = 0;
  let agree = 0;
  const batch = 500;
  try {
    for (let start = 0; start < test.count; start += batch) {
      const end = Math.min(test.count, start + batch);
      const { xs, ys } = toTensors(test, { inputShape: MNIST_CNN.inputShape, start, end });
      const want = tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync() as Float32Array);
      const got = await runOrt(session, xs.dataSync() as Float32Array, xs.shape);
      tf.dispose([xs, ys]);
      const k = want.length / (end - start);
      for (let i = 0; i < want.length; i++)
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs((want[i] as number) - (got.data[i] as number)));
      for (let i = 0; i < end - start; i++) {
        const label = test.labels[start + i];
        const a = argmax(want, i, k);
        const b = argmax(got.data, i, k);
        if (a === label) tfjsCorrect++;
        if (b === label) ortCorrect++;
        if (a === b) agree++;
      }
    }
  } finally {
    await session.release();
    model.dispose();
  }
  const r = {
    package: MNIST_CNN.packageName,
    version: MNIST_CNN.packageVersion,
    licence: MNIST_CNN.licence,
    params: MNIST_CNN.expectedParams,
    onnxSizeBytes: onnx.report.sizeBytes,
    tfjsAccuracy: tfjsCorrect / test.count,
    ortFp32Accuracy: ortCorrect / test.count,
    ortFp32Top1Agreement: agree / test.count,
    onnxFp32MaxAbsDiff: maxAbsDiff,
    images: test.count,
  };
  console.log(
    `${r.package}@${r.version}: tfjs ${r.tfjsAccuracy}, ORT fp32 ${r.ortFp32Accuracy}, max |ORT - tfjs| ${maxAbsDiff.toExponential(2)}`,
  );
  return r;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  saveResults('bench-models', { realModel: await realModel(), architectures: await architectures() });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
