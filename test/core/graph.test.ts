import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { consumersOf, modelGraph, requireLayersModel, runGraph } from '../../lib/core/graph';
import { foldBatchNorm } from '../../lib/quantize/fold-batchnorm';
import { ConfigError, UnsupportedLayerError } from '../../lib/errors';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { maxAbsDiff } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';

describe('core/graph', () => {
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
    const zeroed = tf.tidy(() =>
      runGraph(g, x, { apply: (node) => (node.name === 'fc2' ? tf.zeros([3, 10]) : undefined) }),
    );
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

describe('core/graph: registry entries, shapes, graph models', () => {
  it('gives each node its registry entry, config and input shapes; consumersOf inverts the edges', () => {
    const m = cnn({ seed: 1, filters: [2, 2], hidden: 4 });
    const g = modelGraph(m);
    const conv1 = g.find((n) => n.name === 'conv1');
    expect(conv1?.entry?.role).to.equal('producer');
    expect(conv1?.entry?.kernel).to.deep.equal({ index: 0, inAxis: 2, outAxis: 3 });
    expect(conv1?.inputShapes).to.deep.equal([[28, 28, 1]]);
    expect(g.find((n) => n.name === 'bn1')?.entry?.role).to.equal('tied');
    expect(
      consumersOf(g)
        .get('conv1')
        ?.map((n) => n.name),
    ).to.deep.equal(['bn1']);
    m.dispose();
  });

  it('runGraph with release frees values after their last consumer and still matches predict', async () => {
    const i = tf.input({ shape: [6] });
    const a = tf.layers.dense({ units: 5, name: 'a' }).apply(i) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 5, name: 'b' }).apply(a) as tf.SymbolicTensor;
    const c = tf.layers.add({ name: 'c' }).apply([a, b]) as tf.SymbolicTensor;
    const m = tf.model({ inputs: i, outputs: c });
    const x = tf.randomUniform([2, 6], 0, 1, 'float32', 3);
    const want = m.predict(x) as tf.Tensor;
    const before = tf.memory().numTensors;
    let liveAtC = 0;
    const got = runGraph(
      modelGraph(m),
      x,
      {
        before: (node, ins) => {
          if (node.name === 'c') liveAtC = tf.memory().numTensors - before;
          return ins;
        },
      },
      { release: true },
    );
    // At c: a's and b's outputs are alive (c reads both), nothing else was made.
    expect(liveAtC).to.equal(2);
    expect(tf.memory().numTensors - before).to.equal(1);
    expect(maxAbsDiff(want, got)).to.be.below(1e-6);
    tf.dispose([x, want, got]);
    m.dispose();
  });

  it("runGraph with release also frees a layer's own intermediates (ReLU with maxValue does not tidy its call)", () => {
    const i = tf.input({ shape: [4] });
    let y = i;
    for (let k = 0; k < 4; k++) y = tf.layers.reLU({ maxValue: 6, name: `r${k}` }).apply(y) as tf.SymbolicTensor;
    const m = tf.model({ inputs: i, outputs: y });
    const x = tf.randomUniform([2, 4], -10, 10, 'float32', 1);
    const live: number[] = [];
    const before = tf.memory().numTensors;
    tf.tidy(() =>
      runGraph(
        modelGraph(m),
        x,
        {
          after: (_n, v) => {
            live.push(tf.memory().numTensors - before);
            return v;
          },
        },
        { release: true },
      ),
    );
    // One live value per step (the previous one freed, nothing left behind by the layer).
    expect(live).to.deep.equal([0, 1, 1, 1, 1]);
    tf.dispose(x);
    m.dispose();
  });

  it('a graph model is refused with a ConfigError that says what works on it', async () => {
    const gm = new tf.GraphModel('memory://none');
    expect(() => requireLayersModel(gm, 'prune.channels')).to.throw(
      ConfigError,
      /got a tf.GraphModel .* has no layers to prune.* profile.profileModel/,
    );
    expect(() => modelGraph(gm as unknown as tf.LayersModel, 'toOnnx')).to.throw(
      ConfigError,
      /toOnnx: a tf.LayersModel, got a tf.GraphModel/,
    );
    expect(() => requireLayersModel({}, 'fit')).to.throw(ConfigError, /fit: a tf.LayersModel, got an object/);
  });
});
