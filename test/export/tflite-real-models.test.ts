// The runtimes compute what the library's INT8 simulation computes, on real trained networks with
// real weights (nsfwjs's MobileNetV2 at 224 and InceptionV3 at 299) and a real photograph (eight
// views of autocannon's film still): the TFLite INT8 export (TFLite 2.9) and the ONNX INT8 export
// (ONNX Runtime) each stay within 0.05 in probability of the simulated quantized model. Before the
// per-tensor FULLY_CONNECTED scale was read from the weights, InceptionV3's dense layer with dead
// units had every weight rounded to zero in TFLite: one constant output, 0.39 away.
// Slow: InceptionV3 at 299x299 is ~6 G multiply-adds per image (about a minute here).
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { postTraining } from '../../lib/quantize/post-training';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { runTflite, tfliteInterpreter } from '../../lib/export/tflite/runtime';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { loadNsfwInceptionV3, loadNsfwMobileNetV2, realPhotoBatch } from '../fixtures/real-models';

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

describe('export: INT8 runtimes agree with the simulation on real networks (nsfwjs, a real photo)', () => {
  for (const [name, load, size] of [
    ['MobileNetV2', loadNsfwMobileNetV2, 224],
    ['InceptionV3', loadNsfwInceptionV3, 299],
  ] as const) {
    it(`${name} at ${size}: TFLite INT8 and ONNX Runtime INT8 within 0.05 of the simulated model's probabilities`, async function () {
      this.timeout(900000);
      const model = await load();
      const photos = realPhotoBatch(size);
      const before = tf.memory().numTensors;
      const { model: q } = await postTraining(
        model,
        { xs: photos },
        {
          mode: 'static',
          calibrationCount: 8,
          batchSize: 8,
        },
      );
      const sim = tf.tidy(() => (q.predict(photos) as tf.Tensor).dataSync() as Float32Array);
      const x = photos.dataSync() as Float32Array;
      const tflite = runTflite(tfliteInterpreter(toTflite(q, { batchSize: 8 })), x);
      const session = await ortSession(toOnnx(q));
      const ort = (await runOrt(session, x, photos.shape)).data;
      await session.release();
      q.dispose();
      expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
      const tfliteDiff = maxDiff(tflite, sim);
      const ortDiff = maxDiff(ort, sim);
      console.log(
        `      ${name}: max |TFLite - simulation| ${tfliteDiff.toFixed(4)}, max |ORT - simulation| ${ortDiff.toFixed(4)}`,
      );
      // Not one constant output: the eight views get different probabilities in TFLite too.
      expect(
        maxDiff(tflite.subarray(0, 5), tflite.subarray(5, 10)) +
          maxDiff(tflite.subarray(0, 5), tflite.subarray(10, 15)),
      ).to.be.above(0);
      expect(tfliteDiff).to.be.at.most(0.05);
      expect(ortDiff).to.be.at.most(0.05);
      photos.dispose();
      model.dispose();
    });
  }
});
