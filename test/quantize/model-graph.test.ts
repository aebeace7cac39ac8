import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { modelGraph, runGraph } from '../../lib/quantize/model-graph';
import { foldBatchNorm } from '../../lib/quantize/fold-batchnorm';
import { UnsupportedLayerError } from '../../lib/errors';
import { simpleNet } from '../../lib/models/simplenet';
import { cnn } from '../../lib/models/cnn';
import { maxAbsDiff } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';

describe('quantize/model graph', () => {
  it('lists layers in topological order with their inputs', () => {
    const m = simpleNet({ seed: 1 });
    const g = modelGraph(m);
    expect(g.map((n) => n.name)).to.deep.equal(['fc1_input', 'fc1', 'fc2', 'fc3']);
    expect(g[2]?.inputs).to.deep.equal(['fc1']);
    expect(g[3]?.outputShape).to.deep.equal([10]);
    m.dispose();
  });

  it('runGraph reproduces predict, and its hooks replace outputs and layer computations', () => {
    const m = simpleNet({ seed: 2, hidden: [8] });
    const g = modelGraph(m);
    const x = tf.randomUniform([3, 784], 0, 1, 'float32', 1);
    const want = m.predict(x) as tf.Tensor;
    const got = tf.tidy(() => runGraph(g, x));
    expect(maxAbsDiff(want, got)).to.be.below(1e-6);
    const zeroed = tf.tidy(() => runGraph(g, x, { apply: (node) => (node.name === 'fc2' ? tf.zeros([3, 10]) : undefined) }));
    expect(Array.from(zeroed.dataSync()).every((v) => v === 0)).to.equal(true);
    const doubled = tf.tidy(() => runGraph(g, x, { after: (node, y) => (node.name === 'fc2' ? tf.mul(y, 2) : y) }));
    expect(maxAbsDiff(doubled, tf.mul(want, 2))).to.be.below(1e-5);
    tf.dispose([x, want, got, zeroed, doubled]);
    m.dispose();
  });

  it('refuses a layer applied twice with UnsupportedLayerError naming it', () => {
    const shared = tf.layers.dense({ units: 4, name: 'shared' });
    const i = tf.input({ shape: [4] });
    const o = shared.apply(shared.apply(i)) as tf.SymbolicTensor;
    const m = tf.model({ inputs: i, outputs: o });
    expect(() => modelGraph(m)).to.throw(UnsupportedLayerError, /"shared"/);
    m.dispose();
  });

  it('foldBatchNorm leaks no tensors', async () => {
    const m = cnn({ seed: 1, filters: [2, 2], hidden: 4 });
    await expectNoLeak(async () => (await foldBatchNorm(m)).model);
    m.dispose();
  });
});
