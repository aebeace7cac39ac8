import * as tf from '@tensorflow/tfjs';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { inspectTflite } from '../../lib/export/tflite/inspect';
import { runTflite, tfliteInterpreter } from '../../lib/export/tflite/runtime';
import { postTraining } from '../../lib/quantize/post-training';
import { makeQuantizedModel } from '../../lib/quantize/quantized-model';
import { rebuildModel } from '../../lib/quantize/rebuild';
import { perTensor } from '../../lib/export/tflite/weights';
import { toTensors } from '../../lib/data/tensors';
import { smallMnist, tinyCnn, tinyMlp } from '../quantize/fixtures';

describe('tmp int8', () => {
  for (const [name, make, shape] of [['mlp', tinyMlp, [784]], ['cnn', tinyCnn, [28, 28, 1]]] as const) {
    it(name, async () => {
      const m = await make();
      const { model: q0 } = await postTraining(m, { mode: 'static', calibration: smallMnist().train, calibrationCount: 500 });
      const weights = Object.fromEntries(Object.entries(q0.plan.weights).map(([k, v]) => [k, q0.model.getLayer(k).getClassName() === 'Dense' ? perTensor(v) : v]));
      const activations = Object.fromEntries(Object.entries(q0.plan.activations).filter(([k]) => !['conv1', 'conv2'].includes(k)));
      const q = await makeQuantizedModel(await rebuildModel(q0.model, {}), { ...q0.plan, weights, activations });
      for (const perChannelFullyConnected of [false]) {
        const t = toTflite(q.model, { plan: q.plan, batchSize: 50, perChannelFullyConnected });
        const s = inspectTflite(t.bytes);
        console.log(name, perChannelFullyConnected, t.sizeBytes, JSON.stringify(s.ops), t.floatLayers, t.notes.length);
        const { xs, ys } = toTensors(smallMnist().test, { inputShape: [...shape], start: 0, end: 500 });
        ys.dispose();
        const got = runTflite(tfliteInterpreter(t), xs.dataSync() as Float32Array);
        const sim = tf.tidy(() => q.predict(xs).dataSync());
        const fl = tf.tidy(() => (q.model.predict(xs) as tf.Tensor).dataSync());
        let agree = 0, agreeF = 0, maxd = 0, zeros = 0;
        for (let i = 0; i < 500; i++) {
          const a = got.subarray(i * 10, i * 10 + 10), b = sim.subarray(i * 10, i * 10 + 10), c = fl.subarray(i*10, i*10+10);
          const am = (v: ArrayLike<number>) => { let k = 0; for (let j = 1; j < 10; j++) if (v[j]! > v[k]!) k = j; return k; };
          if (am(a) === am(b)) agree++;
          if (am(a) === am(c)) agreeF++;
          for (let j = 0; j < 10; j++) maxd = Math.max(maxd, Math.abs(a[j]! - b[j]!));
          if (a.every((v) => v === 0)) zeros++;
        }
        console.log('  agree sim', agree / 500, 'agree float', agreeF / 500, 'maxdiff', maxd, 'all-zero rows', zeros);
        xs.dispose();
        console.log(s.tensors.filter((t) => t.name.endsWith('kernel')).map((t) => `${t.name} ${t.type} ${t.shape} q${t.quantization?.scale.length} d${t.quantization?.dimension}`));
      }
      q.dispose(); m.dispose();
    });
  }
});
