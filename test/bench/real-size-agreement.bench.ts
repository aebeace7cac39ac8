// Benchmark: do the runtimes compute what the library's INT8 simulation computes, on real trained
// networks and real photographs? nsfwjs's MobileNetV2 (224) and InceptionV3 (299), statically
// quantized on the views of 6 real photographs (48 inputs), then run on the views of 12 others
// (96 inputs: test/fixtures/real-images.ts) four ways: fp32 (ONNX Runtime, the float model),
// the simulation (the quantized tfjs model), ONNX Runtime INT8 (QDQ export) and TFLite INT8
// (full-integer export, TFLite 2.9). Figures: the largest probability difference of each runtime
// from the simulation (the exporters' contract), and INT8's own error (simulation vs fp32:
// largest probability difference, top-1 agreement), and for MobileNetV2 the same with bias
// correction (quantize.postTraining's biasCorrection, Nagel et al. 2019) under int8.mobilenetv2.biasCorrected.
// Writes results/bench-real-size.json, keys int8.mobilenetv2.* and int8.inceptionv3.* (merged).
// Run: node --import tsx test/bench/real-size-agreement.bench.ts [mobilenetv2|inceptionv3 ...]   (MobileNetV2 ~6 min; InceptionV3 ~10 min idle, 25 min on 2 cores at load 12)
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/core/backend';
import { postTraining, PostTrainingOptions } from '../../lib/quantize/post-training';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { runTflite, tfliteInterpreter } from '../../lib/export/tflite/runtime';
import { loadNsfwInceptionV3, loadNsfwMobileNetV2 } from '../fixtures/real-models';
import { realImages } from '../fixtures/real-images';
import { saveRealSize } from './real-size-results';

const MODELS = {
  mobilenetv2: { load: loadNsfwMobileNetV2, size: 224, biasCorrection: true },
  inceptionv3: { load: loadNsfwInceptionV3, size: 299, biasCorrection: false },
} as const;
const CLASSES = 5;
/** Inputs per forward pass (tfjs, ONNX Runtime and the TFLite export alike). */
const BATCH = 8;

/** Largest |a - b| over all probabilities. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Fraction of rows whose arg-max agrees. */
function top1Agreement(a: Float32Array, b: Float32Array): number {
  const rows = a.length / CLASSES;
  let same = 0;
  for (let r = 0; r < rows; r++) {
    const argmax = (v: Float32Array) => {
      let k = 0;
      for (let c = 1; c < CLASSES; c++) if ((v[r * CLASSES + c] as number) > (v[r * CLASSES + k] as number)) k = c;
      return k;
    };
    if (argmax(a) === argmax(b)) same++;
  }
  return same / rows;
}

/** The model's probabilities on `xs`, BATCH inputs at a time. */
function predictTfjs(model: tf.LayersModel, xs: tf.Tensor4D): Float32Array {
  const out = new Float32Array(xs.shape[0] * CLASSES);
  for (let i = 0; i < xs.shape[0]; i += BATCH) {
    const n = Math.min(BATCH, xs.shape[0] - i);
    const y = tf.tidy(() => (model.predict(xs.slice([i], [n])) as tf.Tensor).dataSync() as Float32Array);
    out.set(y, i * CLASSES);
  }
  return out;
}

async function predictOrt(model: tf.LayersModel, xs: tf.Tensor4D, threads: number): Promise<Float32Array> {
  const session = await ortSession(toOnnx(model), { threads });
  const x = xs.dataSync() as Float32Array;
  const per = x.length / xs.shape[0];
  const out = new Float32Array(xs.shape[0] * CLASSES);
  for (let i = 0; i < xs.shape[0]; i += BATCH) {
    const n = Math.min(BATCH, xs.shape[0] - i);
    const y = await runOrt(session, x.subarray(i * per, (i + n) * per), [n, ...xs.shape.slice(1)]);
    out.set(y.data, i * CLASSES);
  }
  await session.release();
  return out;
}

/** The agreement figures of one quantization of `model`. */
async function measure(
  model: tf.LayersModel,
  calibration: { xs: tf.Tensor4D },
  options: PostTrainingOptions,
  evaluation: tf.Tensor4D,
  fp32: Float32Array,
): Promise<Record<string, number>> {
  const t0 = performance.now();
  const { model: q } = await postTraining(model, calibration, options);
  const quantizeSeconds = (performance.now() - t0) / 1000;
  const sim = predictTfjs(q, evaluation);
  const ort = await predictOrt(q, evaluation, 2);
  const tflite = runTflite(
    tfliteInterpreter(toTflite(q, { batchSize: BATCH }), { threads: 2 }),
    evaluation.dataSync() as Float32Array,
  );
  q.dispose();
  return {
    quantizeSeconds,
    ortVsSimMaxProbDiff: maxDiff(ort, sim),
    tfliteVsSimMaxProbDiff: maxDiff(tflite, sim),
    simVsFp32MaxProbDiff: maxDiff(sim, fp32),
    simTop1AgreementWithFp32: top1Agreement(sim, fp32),
    ortTop1AgreementWithFp32: top1Agreement(ort, fp32),
    tfliteTop1AgreementWithFp32: top1Agreement(tflite, fp32),
  };
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const names = (process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(MODELS)) as (keyof typeof MODELS)[];
  for (const name of names) {
    const spec = MODELS[name];
    if (!spec) throw new Error(`unknown model ${name}: use ${Object.keys(MODELS).join(', ')}`);
    const model = await spec.load();
    const calibration = await realImages('calibration', spec.size);
    const evaluation = await realImages('evaluation', spec.size);
    const fp32 = await predictOrt(model, evaluation.xs, 2);
    const fp32Tfjs = predictTfjs(model, evaluation.xs.slice([0], [BATCH]) as tf.Tensor4D);
    const base: PostTrainingOptions = {
      mode: 'static',
      calibrationCount: calibration.xs.shape[0],
      batchSize: BATCH,
    };
    const plain = await measure(model, { xs: calibration.xs }, base, evaluation.xs, fp32);
    console.log(`${name} static INT8 (minmax):`, plain);
    // Bias correction (Nagel et al. 2019) on the network it was proposed for: INT8's own error, with and without.
    const corrected = spec.biasCorrection
      ? await measure(model, { xs: calibration.xs }, { ...base, biasCorrection: true }, evaluation.xs, fp32)
      : undefined;
    if (corrected) console.log(`${name} static INT8 + bias correction:`, corrected);
    const result = {
      images: evaluation.xs.shape[0],
      photos: [...new Set(evaluation.names.map((n) => n.split('/')[0]))],
      calibrationImages: calibration.xs.shape[0],
      calibrationPhotos: [...new Set(calibration.names.map((n) => n.split('/')[0]))],
      inputSize: spec.size,
      fp32Reference: 'ONNX Runtime fp32 of the float model',
      ortFp32VsTfjsFp32MaxProbDiff: maxDiff(fp32.subarray(0, fp32Tfjs.length), fp32Tfjs),
      ...plain,
      ...(corrected ? { biasCorrected: corrected } : {}),
    };
    saveRealSize({ int8: { [name]: result } });
    tf.dispose([calibration.xs, evaluation.xs]);
    model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
