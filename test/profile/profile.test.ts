import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { profileModel, modelSizes, graphSvg } from '../../lib/profile';
import { peakActivationBytes } from '../../lib/profile/report';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { ConfigError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';

describe('profile/profileModel', () => {
  it('SimpleNet: 235,146 parameters and 234,752 MACs, per layer by hand', async () => {
    const m = simpleNet({ seed: 0 });
    const r = await profileModel(m);
    expect(r.totals.params).to.equal(235146);
    expect(r.totals.macs).to.equal(784 * 256 + 256 * 128 + 128 * 10);
    expect(r.totals.macs).to.equal(234752);
    expect(r.totals.flops).to.equal(2 * 234752);
    expect(r.layers.map((l) => [l.name, l.params, l.macs])).to.deep.equal([
      ['fc1', 200960, 200704],
      ['fc2', 32896, 32768],
      ['fc3', 1290, 1280],
    ]);
    expect(r.totals.weightBytes).to.equal(235146 * 4);
    expect(r.totals.weightBytesByDtype).to.deep.equal({ float32: 235146 * 4 });
    // Biases start at zero: 256 + 128 + 10 zeros.
    expect(r.totals.zeroWeights).to.equal(394);
    // Peak: input (784 floats) + fc1 output (256) live together while fc1 runs; then fc1 + fc2 outputs.
    expect(r.totals.peakActivationBytes).to.equal((784 + 256) * 4);
    m.dispose();
  });

  it('CNN: conv, BN, pooling MACs by hand; non-trainable BN statistics counted', async () => {
    const m = cnn({ seed: 0 });
    const r = await profileModel(m, { batchSize: 2 });
    const by = Object.fromEntries(r.layers.map((l) => [l.name, l]));
    expect(by.conv1?.macs).to.equal(28 * 28 * 8 * 5 * 5 * 1);
    expect(by.bn1?.macs).to.equal(28 * 28 * 8);
    expect(by.pool1?.macs).to.equal(14 * 14 * 8 * 4);
    expect(by.conv2?.macs).to.equal(10 * 10 * 16 * 5 * 5 * 8);
    expect(by.relu1?.macs).to.equal(0);
    expect(by.flatten?.outputShape).to.deep.equal([400]);
    expect(by.fc1?.macs).to.equal(400 * 128);
    expect(by.bn1?.params).to.equal(32);
    expect(by.bn1?.trainableParams).to.equal(16);
    expect(r.totals.params).to.equal(m.countParams());
    expect(r.totals.batchSize).to.equal(2);
    expect(r.warnings).to.deep.equal([]);
    m.dispose();
  });

  it('squeeze-excite and preprocessing: Multiply and Rescaling one MAC per element, padding, Reshape and swish none', async () => {
    const x = tf.input({ shape: [6, 6, 3] });
    const call = (l: tf.layers.Layer, t: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(t) as tf.SymbolicTensor;
    const r = call(tf.layers.rescaling({ scale: 1 / 255, name: 'scale' }), x);
    const p = call(
      tf.layers.zeroPadding2d({
        padding: [
          [0, 1],
          [0, 1],
        ],
        name: 'pad',
      }),
      r,
    );
    const c = call(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'swish', name: 'conv' }), p);
    const g = call(tf.layers.globalAveragePooling2d({ name: 'gap' }), c);
    const s = call(tf.layers.reshape({ targetShape: [1, 1, 4], name: 'rs' }), g);
    const m = call(tf.layers.multiply({ name: 'excite' }), [c, s]);
    const model = tf.model({ inputs: x, outputs: call(tf.layers.activation({ activation: 'swish', name: 'act' }), m) });
    const by = Object.fromEntries((await profileModel(model)).layers.map((l) => [l.name, l.macs]));
    expect(by).to.include({
      scale: 6 * 6 * 3,
      pad: 0,
      conv: 3 * 3 * 4 * 3 * 3 * 3,
      gap: 3 * 3 * 4,
      rs: 0,
      excite: 3 * 3 * 4,
      act: 0,
    });
    model.dispose();
  });

  it('sparsity counts exact zeros', async () => {
    const m = simpleNet({ seed: 0, hidden: [2], inputSize: 2, numClasses: 2 });
    m.layers[0]?.setWeights([
      tf.tensor2d([
        [0, 1],
        [0, 0],
      ]),
      tf.tensor1d([1, 1]),
    ]);
    const r = await profileModel(m);
    expect(r.layers[0]?.sparsity).to.equal(3 / 6);
    m.dispose();
  });

  it('peak memory frees a tensor after its last consumer (a branch)', () => {
    const mk = (name: string, inputs: string[], bytes: number) => ({
      name,
      className: 'X',
      inputs,
      outputShape: [],
      params: 0,
      trainableParams: 0,
      macs: 0,
      weightBytes: 0,
      activationBytes: bytes,
      sparsity: 0,
    });
    // a -> b, a -> c, (b, c) -> d: a lives until c runs.
    const peak = peakActivationBytes([
      mk('a', [], 10),
      mk('b', ['a'], 100),
      mk('c', ['a'], 1000),
      mk('d', ['b', 'c'], 1),
    ]);
    expect(peak).to.equal(10 + 100 + 1000);
  });

  it('rejects what is not a layers model, and leaks nothing', async () => {
    let err: unknown;
    try {
      await profileModel({} as never);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    await expectNoLeak(async () => {
      const m = cnn({ seed: 1 });
      await profileModel(m);
      return m;
    });
  });

  it('modelSizes: weights are 4 bytes per parameter; zeros compress under gzip', async () => {
    const m = simpleNet({ seed: 0 });
    const dense = await modelSizes(m);
    expect(dense.weightBytes).to.equal(235146 * 4);
    m.setWeights(m.getWeights().map((w) => tf.zerosLike(w)));
    const zero = await modelSizes(m);
    expect(zero.weightBytes).to.equal(dense.weightBytes);
    expect(zero.weightGzipBytes).to.be.lessThan(dense.weightGzipBytes / 50);
    await expectNoLeak(() => modelSizes(m).then(() => undefined));
    m.dispose();
  });

  it('graphSvg draws every layer and an arrow per edge', async () => {
    const m = cnn({ seed: 0 });
    const svg = graphSvg((await profileModel(m)).layers);
    for (const name of ['conv1', 'bn1', 'pool2', 'fc2']) expect(svg).to.contain(`>${name} (`);
    expect((svg.match(/<line /g) ?? []).length).to.equal(m.layers.length - 1);
    m.dispose();
  });

  it('graphSvg has a title and is cropped to its boxes: the first box right under the title, the last inside the picture', async () => {
    const m = cnn({ seed: 0 });
    const layers = (await profileModel(m)).layers;
    const svg = graphSvg(layers);
    expect(svg).to.match(/<title>Layer graph: \d+ layers, [\d.]+k params, [\d.]+k MACs<\/title>/);
    expect(graphSvg(layers, { title: 'CNN <a>' })).to.contain('<title>CNN &lt;a&gt;</title>');
    const height = Number(/height="([\d.]+)"/.exec(svg)?.[1]);
    const ys = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="230" height="46"/g)].map((r) => Number(r[1]));
    expect(ys).to.have.length(layers.length);
    expect(Math.min(...ys)).to.be.lessThan(60); // no empty row for the undrawn input layer
    expect(Math.max(...ys) + 46).to.be.at.most(height); // the last box is not cut off
    expect(height - (Math.max(...ys) + 46)).to.be.lessThan(30); // and no large blank margin below it
    const ids = new Set([...`${svg}${graphSvg(layers)}`.matchAll(/marker id="([^"]+)"/g)].map((r) => r[1]));
    expect(ids.size).to.equal(2); // two pictures on one page do not share an id
    m.dispose();
  });
});
