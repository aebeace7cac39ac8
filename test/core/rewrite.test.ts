import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { rebuildModel } from '../../lib/core/rewrite';

describe('core/rewrite (the one model-rewrite primitive)', () => {
  it('patches configs and replaces weights in a copy; a Sequential input stays Sequential only when asked', async () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 3, inputShape: [2], name: 'a' }), tf.layers.dense({ units: 1, name: 'b' })],
    });
    const before = tf.memory().numTensors;
    const wa = [tf.ones([2, 2]), tf.zeros([2])];
    const wb = [tf.ones([2, 1]), tf.zeros([1])];
    const edits = { patch: { a: { units: 2 } }, weights: { a: wa, b: wb } };
    const kept = await rebuildModel(model, { ...edits, keepSequential: true });
    const functional = await rebuildModel(model, edits);
    tf.dispose([...wa, ...wb]); // borrowed: the new models hold their own copies
    expect(kept).to.be.instanceOf(tf.Sequential);
    expect(functional).to.not.be.instanceOf(tf.Sequential);
    for (const m of [kept, functional]) {
      expect(m.getLayer('a').getWeights()[0]?.shape).to.deep.equal([2, 2]);
      // x = [1, 2]: a = [3, 3], b = 6.
      expect(Array.from(tf.tidy(() => (m.predict(tf.tensor2d([[1, 2]])) as tf.Tensor).dataSync()))).to.deep.equal([6]);
    }
    expect(model.getLayer('a').getWeights()[0]?.shape).to.deep.equal([2, 3]); // the input is not modified
    kept.dispose();
    functional.dispose();
    expect(tf.memory().numTensors).to.equal(before);
    model.dispose();
  });
});
