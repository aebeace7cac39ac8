import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { profileModel, modelSizes } from '../../lib/profile';
import { graphOpMacs } from '../../lib/profile/graph-ops';
import { quantizeGraphArtifacts } from '../../lib/export';
import { ConfigError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';
import { GraphDefBuilder, mnistGraph, mobilenetGraph, stockGraphModel } from '../fixtures/graph-models';

const short = (name: string) => name.split('/').slice(-2).join('/');

describe('profile/profileModel on graph models', () => {
  it('MNIST CNN graph: MACs per node by hand; totals equal the equivalent layers model', async () => {
    const f = mnistGraph(1);
    const g = await stockGraphModel(f.artifacts);
    const r = await profileModel(g);
    const by = Object.fromEntries(r.layers.map((l) => [short(l.name), l]));
    expect(by['conv1/Relu']?.className).to.equal('_FusedConv2D');
    expect(by['conv1/Relu']?.macs).to.equal(28 * 28 * 8 * 5 * 5 * 1);
    expect(by['conv1/Relu']?.params).to.equal(5 * 5 * 1 * 8 + 8);
    expect(by['pool1/MaxPool']?.macs).to.equal(14 * 14 * 8 * 2 * 2);
    expect(by['conv2/Conv2D']?.macs).to.equal(12 * 12 * 16 * 3 * 3 * 8);
    expect(by['conv2/BiasAdd']?.macs).to.equal(0);
    expect(by['conv2/BiasAdd']?.params).to.equal(16);
    expect(by['pool2/AvgPool']?.macs).to.equal(6 * 6 * 16 * 2 * 2);
    expect(by['flatten/Reshape']?.outputShape).to.deep.equal([576]);
    expect(by['flatten/Reshape']?.params, 'the shape constant is a weight, not a parameter').to.equal(0);
    expect(by['fc1/Relu']?.macs).to.equal(576 * 32);
    expect(by['fc2/MatMul']?.macs).to.equal(32 * 10);
    expect(by['conv1/Relu']?.inputs).to.deep.equal(['x']);
    const l = await profileModel(f.layers);
    expect(r.totals.params).to.equal(l.totals.params);
    expect(r.totals.macs).to.equal(l.totals.macs);
    expect(r.totals.peakActivationBytes).to.equal(l.totals.peakActivationBytes);
    expect(r.totals.trainableParams).to.equal(0);
    expect(r.totals.weightBytesByDtype).to.deep.equal({ float32: l.totals.params * 4, int32: 2 * 4 });
    expect(r.totals.storedWeightBytesByDtype).to.deep.equal({ float32: l.totals.params * 4, int32: 2 * 4 });
    expect(r.warnings).to.deep.equal([]);
    g.dispose();
    f.layers.dispose();
  });

  it('MobileNet block graph: depthwise, fused depthwise, residual AddV2 and Mean; totals equal the layers model', async () => {
    const f = mobilenetGraph(2);
    const g = await stockGraphModel(f.artifacts);
    const r = await profileModel(g, { batchSize: 4 });
    const by = Object.fromEntries(r.layers.map((l) => [short(l.name), l]));
    expect(by['stem/Relu6']?.macs).to.equal(16 * 16 * 16 * 3 * 3 * 3);
    expect(by['dw1/depthwise']?.macs).to.equal(16 * 16 * 16 * 3 * 3);
    expect(by['dw2/Relu6']?.className).to.equal('FusedDepthwiseConv2dNative');
    expect(by['dw2/Relu6']?.macs).to.equal(8 * 8 * 16 * 3 * 3);
    expect(by['add/add']?.inputs.map((n) => short(n))).to.deep.equal(['stem/Relu6', 'pw1/BiasAdd']);
    expect(by['add/add']?.macs).to.equal(0);
    expect(by['gap/Mean']?.macs).to.equal(8 * 8 * 32);
    expect(by['gap/Mean']?.outputShape).to.deep.equal([32]);
    const l = await profileModel(f.layers, { batchSize: 4 });
    expect([r.totals.params, r.totals.macs, r.totals.peakActivationBytes]).to.deep.equal([
      l.totals.params,
      l.totals.macs,
      l.totals.peakActivationBytes,
    ]);
    expect(r.totals.batchSize).to.equal(4);
    g.dispose();
    f.layers.dispose();
  });

  it('sparsity counts exact zeros of the float weights', async () => {
    const f = mnistGraph(1);
    f.layers.dispose();
    // Zero the first 100 values of conv1's kernel (the first weight in the file).
    const data = f.artifacts.weightData.slice();
    data.fill(0, 0, 400);
    const g = await stockGraphModel({ modelJson: f.artifacts.modelJson, weightData: data });
    const r = await profileModel(g);
    expect(r.totals.zeroWeights).to.equal(100);
    expect(r.layers[0]?.sparsity).to.equal(100 / 208);
    g.dispose();
  });

  it('an op without a MAC rule is a warning and stays out of the total; free input dimensions need inputShape', async () => {
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', [-1, -1, -1, 3]);
    const sq = b.op('sq', 'Square', [x]);
    const m = b.op('m', 'Mul', [sq, b.weight('two', Float32Array.from([2]), [])]);
    b.op('Identity', 'Identity', [m]);
    const g = await stockGraphModel(b.build());
    let err: unknown;
    try {
      await profileModel(g);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(
      /profileModel: a graph model input with a fixed shape, got \[-1, -1, -1, 3\] for input "x"\. Pass .*inputShape: \[224, 224, 3\]/,
    );
    const r = await profileModel(g, { inputShape: [5, 4, 3] });
    expect(r.layers.map((l) => [l.name, l.macs])).to.deep.equal([
      ['sq', undefined],
      ['m', 5 * 4 * 3],
      ['Identity', 0],
    ]);
    expect(r.totals.macs).to.equal(60);
    expect(r.warnings).to.deep.equal([
      "profileModel: no MAC counting rule for node 'sq' (Square); its MACs are left out of the total.",
    ]);
    g.dispose();
  });

  it('leaks no tensor, and the model still predicts the same afterwards', async () => {
    const f = mobilenetGraph(2);
    f.layers.dispose();
    const g = await stockGraphModel(f.artifacts);
    const x = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 1);
    const before = g.predict(x) as tf.Tensor;
    await expectNoLeak(() => profileModel(g));
    const after = g.predict(x) as tf.Tensor;
    expect(Array.from(after.dataSync())).to.deep.equal(Array.from(before.dataSync()));
    tf.dispose([x, before, after]);
    g.dispose();
  });

  it('modelSizes of a graph model: its files as loaded, quantized weights at their stored width', async () => {
    const f = mnistGraph(1);
    f.layers.dispose();
    const float = await stockGraphModel(f.artifacts);
    const q = await stockGraphModel(quantizeGraphArtifacts(f.artifacts, { dtype: 'uint8' }).artifacts);
    const [a, b] = [await modelSizes(float), await modelSizes(q)];
    expect(a.weightBytes).to.equal(f.artifacts.weightData.length);
    expect(b.weightBytes).to.equal(20170 + 8);
    expect(a.totalBytes).to.equal(a.weightBytes + a.modelJsonBytes);
    expect(b.weightGzipBytes).to.be.below(a.weightGzipBytes);
    float.dispose();
    q.dispose();
  });

  it('graphOpMacs: MatMul as Dense, transposed inputs, and ops without a rule', () => {
    const mm = {
      attr: {},
      inputs: [
        [1, 576],
        [576, 32],
      ],
      isWeight: [false, true],
      output: [1, 32],
    };
    expect(graphOpMacs('MatMul', mm)).to.equal(18432);
    expect(
      graphOpMacs('MatMul', {
        ...mm,
        attr: { transpose_a: { b: true } },
        inputs: [
          [576, 1],
          [576, 32],
        ],
      }),
    ).to.equal(18432);
    expect(graphOpMacs('Identity', mm)).to.equal(0);
    expect(graphOpMacs('Erf', mm)).to.equal(undefined);
  });
});
