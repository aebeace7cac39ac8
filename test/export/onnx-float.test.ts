import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, ortPredictLabels } from '../../lib/export/onnx/runtime';
import { predictLabels } from '../../lib/train/evaluate';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { ExportError } from '../../lib/errors';
import { compareWithOrt, randomizeWeights, zooModel } from './fixtures';
import { expectNoLeak } from '../helpers/leak';

/** Max |tfjs - ORT| over a random batch. */
function compare(model: tf.LayersModel, batch: number): Promise<{ diff: number; ops: Record<string, number> }> {
  return compareWithOrt(model, batch, [0, 1], 7);
}

describe('export/onnx fp32', () => {
  it('SimpleNet runs in ONNX Runtime and matches tfjs within 1e-4', async () => {
    const m = simpleNet({ seed: 1 });
    const { diff, ops } = await compare(m, 4);
    expect(diff).to.be.below(1e-4);
    expect(ops.Gemm).to.equal(3);
    expect(ops.Relu).to.equal(2);
    m.dispose();
  });

  it('the CNN (conv same/valid, BatchNormalization, pooling, Flatten in NHWC order) matches tfjs', async () => {
    const m = cnn({ seed: 2 });
    randomizeWeights(m, 3);
    const { diff, ops } = await compare(m, 3);
    expect(diff).to.be.below(1e-4);
    expect(ops.Transpose).to.equal(2); // NHWC -> NCHW at the input, back before Flatten
    m.dispose();
  });

  it('depthwise, strides, average/max/global pooling, Add, Concatenate, Dropout, ReLU, sigmoid, tanh and Softmax match tfjs', async () => {
    const m = zooModel(5);
    const { diff, ops } = await compare(m, 2);
    expect(diff).to.be.below(1e-4);
    expect(ops.Dropout).to.equal(undefined);
    for (const op of [
      'Conv',
      'Add',
      'Concat',
      'AveragePool',
      'MaxPool',
      'GlobalAveragePool',
      'BatchNormalization',
      'Softmax',
      'Clip',
      'Tanh',
      'Sigmoid',
    ]) {
      expect(ops[op], op).to.be.at.least(1);
    }
    m.dispose();
  });

  it('ortPredictLabels predicts the same classes as tfjs for an fp32 export', async () => {
    const m = simpleNet({ seed: 3, hidden: [32] });
    const ds = sliceImageSet(loadMnist().test, 0, 300);
    const session = await ortSession(toOnnx(m));
    const { labels, accuracy } = await ortPredictLabels(session, ds, { batchSize: 128 });
    await session.release();
    expect(Array.from(labels)).to.deep.equal(Array.from(await predictLabels(m, ds)));
    expect(accuracy).to.be.within(0, 1);
    m.dispose();
  });

  it('names the unsupported layer in an ExportError', () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'fc', inputShape: [4], units: 3 }),
        tf.layers.layerNormalization({ name: 'ln' }),
      ],
    });
    expect(() => toOnnx(m)).to.throw(ExportError, /layer "ln" of class LayerNormalization/);
    const rnn = tf.sequential({ layers: [tf.layers.simpleRNN({ name: 'rnn', inputShape: [3, 2], units: 2 })] });
    expect(() => toOnnx(rnn)).to.throw(ExportError, /"rnn"/);
    m.dispose();
    rnn.dispose();
  });

  it('rejects unsupported configurations with an ExportError', () => {
    const m = tf.sequential({
      layers: [tf.layers.dense({ name: 'fc', inputShape: [4], units: 3, activation: 'selu' })],
    });
    expect(() => toOnnx(m)).to.throw(ExportError, /activation "selu"/);
    m.dispose();
  });

  it('refuses non-finite weights with an ExportError naming the layer', () => {
    const m = simpleNet({ seed: 1, hidden: [4] });
    const [k, b] = m.getLayer('fc2').getWeights() as [tf.Tensor, tf.Tensor];
    const bad = tf.tidy(() => tf.concat([tf.fill([1, 10], Infinity), k.slice([1, 0])]));
    m.getLayer('fc2').setWeights([bad, b]);
    expect(() => toOnnx(m)).to.throw(ExportError, /layer "fc2"/);
    bad.dispose();
    m.dispose();
  });

  it('leaks no tensors', async () => {
    const m = cnn({ seed: 1 });
    await expectNoLeak(() => {
      toOnnx(m);
    });
    m.dispose();
  });
});
