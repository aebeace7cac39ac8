import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ShapeError, UnsupportedLayerError } from '../../lib/errors';
import { SparseMlp } from '../../lib/prune/sparse-mlp';
import { magnitude } from '../../lib/prune/magnitude';
import { simpleNet } from '../../course/models/simplenet';
import { expectNoLeak } from '../helpers/leak';
import { maxAbsDiff } from '../helpers/backends';

describe('prune/sparse-mlp', () => {
  for (const sparsity of [0, 0.5, 0.9, 0.98]) {
    it(`equals the dense tfjs model within float error at sparsity ${sparsity}, batch 1 and 7`, async () => {
      const model = simpleNet({ seed: 2, hidden: [48, 24], inputSize: 60, numClasses: 5 });
      const { model: pruned } = await magnitude(model, { sparsity });
      for (const bits of [4, 8] as const) {
        const mlp = SparseMlp.fromModel(pruned, bits);
        for (const batch of [1, 7]) {
          // inputs with exact zeros, like MNIST background pixels
          const x = tf.tidy(() => tf.relu(tf.randomNormal([batch, 60], 0, 1, 'float32', batch)));
          const dense = pruned.predict(x) as tf.Tensor;
          const sparse = tf.tensor2d(mlp.predict(x.dataSync() as Float32Array, batch), [batch, 5]);
          expect(maxAbsDiff(dense, sparse)).to.be.lessThan(1e-4);
          tf.dispose([x, dense, sparse]);
        }
      }
      pruned.dispose();
      model.dispose();
    });
  }

  it('counts its nonzeros and works as an evaluate predictor', async () => {
    const model = simpleNet({ seed: 2, hidden: [8], inputSize: 4, numClasses: 3 });
    const { model: pruned } = await magnitude(model, { sparsity: 0.5 });
    const mlp = SparseMlp.fromModel(pruned);
    expect(mlp.nonzeros).to.equal(16 + 12);
    const x = tf.ones([2, 4]);
    await expectNoLeak(() => mlp.asPredictor()(x));
    const p = mlp.asPredictor()(x);
    expect(p.shape).to.deep.equal([2, 3]);
    tf.dispose([x, p]);
    pruned.dispose();
    model.dispose();
  });

  it('refuses non-Dense layers and other activations, and bad input sizes', () => {
    const conv = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 3, name: 'c' })],
    });
    expect(() => SparseMlp.fromModel(conv)).to.throw(UnsupportedLayerError, /layer "c" of class Conv2D/);
    const soft = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'softmax', name: 'd' })],
    });
    expect(() => SparseMlp.fromModel(soft)).to.throw(UnsupportedLayerError, /"softmax" in layer "d"/);
    const ok = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, name: 'd2' })] });
    expect(() => SparseMlp.fromModel(ok).predict(new Float32Array(4), 1)).to.throw(ShapeError);
    [conv, soft, ok].forEach((m) => m.dispose());
  });
});
