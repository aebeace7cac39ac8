import * as tf from '@tensorflow/tfjs';
import { initBackend } from './lib/core/backend';
import { quantizeGraphArtifacts, measureArtifactsError } from './lib/export';
import { mnistGraph, mobilenetGraph } from './test/fixtures/graph-models';
(async () => {
  await initBackend('wasm');
  for (const mk of [mnistGraph, mobilenetGraph]) {
    const f = mk(1); f.layers.dispose();
    const x = tf.randomUniform([64, ...f.inputShape], 0, 1, 'float32', 7);
    for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
      const n0 = tf.memory().numTensors;
      const q = quantizeGraphArtifacts(f.artifacts, { dtype });
      const e = await measureArtifactsError(f.artifacts, q.artifacts, x);
      console.log(mk.name, dtype, q.report.sizeBytes, q.report.floatSizeBytes, q.report.sizeRatio.toFixed(4), JSON.stringify(e), q.report.warnings, 'leak', tf.memory().numTensors - n0);
    }
    x.dispose();
  }
})();
