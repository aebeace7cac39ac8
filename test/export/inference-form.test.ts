import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { inferenceForm } from '../../lib/export/inference-form';
import { cnn } from '../../course/models/cnn';
import { ConfigError } from '../../lib/errors';
import { maxAbsDiff } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';
import { mnistGraph, stockGraphModel } from '../fixtures/graph-models';

/** The course CNN with BatchNormalization statistics and scales that are not the identity. */
function cnnWithStatistics(): tf.LayersModel {
  const m = cnn({ seed: 3 });
  for (const name of ['bn1', 'bn2']) {
    const bn = m.getLayer(name);
    const c = (bn.getWeights()[0] as tf.Tensor).size;
    bn.setWeights(
      tf.tidy(() => [
        tf.randomUniform([c], 0.5, 1.5, 'float32', 1),
        tf.randomUniform([c], -0.2, 0.2, 'float32', 2),
        tf.randomUniform([c], -0.3, 0.3, 'float32', 3),
        tf.randomUniform([c], 0.5, 2, 'float32', 4),
      ]),
    );
  }
  return m;
}

describe('export/inference-form', () => {
  it('folds BatchNormalization and fuses ReLU into the convolutions; outputs are unchanged', async () => {
    const model = cnnWithStatistics();
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 5);
    await expectNoLeak(async () => {
      const { model: deployed, report } = await inferenceForm(model);
      expect(deployed.layers.map((l) => l.getClassName()).filter((c) => c !== 'InputLayer')).to.deep.equal([
        'Conv2D',
        'MaxPooling2D',
        'Conv2D',
        'MaxPooling2D',
        'Flatten',
        'Dense',
        'Dense',
      ]);
      expect(report.folded).to.deep.equal([
        { layer: 'conv1', batchNorm: 'bn1' },
        { layer: 'conv2', batchNorm: 'bn2' },
      ]);
      expect(report.fused).to.deep.equal([
        { layer: 'conv1', activation: 'relu', activationLayer: 'relu1' },
        { layer: 'conv2', activation: 'relu', activationLayer: 'relu2' },
      ]);
      expect((deployed.getLayer('conv1').getConfig() as { activation: string }).activation).to.equal('relu');
      const diff = tf.tidy(() => maxAbsDiff(model.predict(x) as tf.Tensor, deployed.predict(x) as tf.Tensor));
      expect(diff).to.be.lessThan(1e-4);
      return deployed;
    });
    expect(model.layers).to.have.length(11); // the input is not modified
    x.dispose();
    model.dispose();
  });

  it('fuses relu6, but not sigmoid, nor a ReLU after a layer with two consumers', async () => {
    const input = tf.input({ shape: [5] });
    const d1 = tf.layers.dense({ units: 4, name: 'd1' }).apply(input) as tf.SymbolicTensor;
    const r6 = tf.layers.reLU({ maxValue: 6, name: 'r6' }).apply(d1) as tf.SymbolicTensor;
    const d2 = tf.layers.dense({ units: 4, name: 'd2' }).apply(r6) as tf.SymbolicTensor;
    const sig = tf.layers.activation({ activation: 'sigmoid', name: 'sig' }).apply(d2) as tf.SymbolicTensor;
    const d3 = tf.layers.dense({ units: 4, name: 'd3' }).apply(sig) as tf.SymbolicTensor;
    const r = tf.layers.activation({ activation: 'relu', name: 'r' }).apply(d3) as tf.SymbolicTensor;
    const out = tf.layers.add({ name: 'add' }).apply([r, d3]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const { model: deployed, report } = await inferenceForm(model);
    expect(report.fused).to.deep.equal([{ layer: 'd1', activation: 'relu6', activationLayer: 'r6' }]);
    expect(deployed.layers.map((l) => l.name)).to.not.include('r6');
    expect(deployed.layers.map((l) => l.name)).to.include.members(['sig', 'r']);
    const x = tf.randomNormal([3, 5], 0, 3, 'float32', 1);
    expect(tf.tidy(() => maxAbsDiff(model.predict(x) as tf.Tensor, deployed.predict(x) as tf.Tensor))).to.be.lessThan(
      1e-5,
    );
    tf.dispose([x]);
    model.dispose();
    deployed.dispose();
  });

  it('refuses a graph model with a ConfigError naming the function', async () => {
    const fixture = mnistGraph(1);
    const graph = await stockGraphModel(fixture.artifacts);
    fixture.layers.dispose();
    let err: unknown;
    try {
      await inferenceForm(graph as never);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/^exporters.inferenceForm: a tf.LayersModel, got a tf.GraphModel/);
    graph.dispose();
  });
});
