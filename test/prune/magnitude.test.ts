import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError, UnsupportedLayerError } from '../../lib/errors';
import { simpleNet } from '../../course/models/simplenet';
import { computeMasks, magnitude, stripPruning, masksFromZeros } from '../../lib/prune/magnitude';
import { sparsityReport } from '../../lib/prune/sparsity';
import { expectNoLeak } from '../helpers/leak';

function tinyNet(seed = 1): tf.LayersModel {
  return simpleNet({ seed, hidden: [16, 8], inputSize: 12, numClasses: 3 });
}

describe('prune/magnitude', () => {
  it('prunes a copy to the exact per-layer sparsity and leaves the input untouched', async () => {
    const model = tinyNet();
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    const { model: pruned, report, ...rest } = await magnitude(model, { sparsity: 0.5 });
    expect(Object.keys(rest)).to.deep.equal([]); // one verb shape: {model, report}
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).to.deep.equal(before);
    expect(report.sparsity.layers.map((l) => l.zeros)).to.deep.equal([96, 64, 12]);
    expect(report.sparsity.kernels.sparsity).to.equal(0.5);
    expect(report.targets).to.deep.equal({ fc1: 0.5, fc2: 0.5, fc3: 0.5 });
    expect(JSON.parse(JSON.stringify(report))).to.deep.equal(report);
    // the kept weights are the original values
    const w0 = pruned.getLayer('fc1').getWeights()[0]!.dataSync();
    const o0 = model.getLayer('fc1').getWeights()[0]!.dataSync();
    for (let i = 0; i < w0.length; i++) expect(w0[i] === 0 || w0[i] === o0[i]).to.equal(true);
    pruned.dispose();
    model.dispose();
  });

  it('takes per-layer targets and skips by name', async () => {
    const model = tinyNet();
    const { model: pruned, report } = await magnitude(model, { sparsity: 0.5, layers: { fc1: 0.75 }, skip: ['fc3'] });
    expect(report.targets).to.deep.equal({ fc1: 0.75, fc2: 0.5 });
    expect(report.sparsity.layers.map((l) => l.sparsity)).to.deep.equal([0.75, 0.5, 0]);
    expect(Array.from(pruned.getLayer('fc3').getWeights()[0]!.dataSync())).to.deep.equal(
      Array.from(model.getLayer('fc3').getWeights()[0]!.dataSync()),
    );
    pruned.dispose();
    model.dispose();
  });

  it('global scope hits the total exactly and random is the control', async () => {
    const model = tinyNet();
    const g = await magnitude(model, { sparsity: 0.8, scope: 'global' });
    expect(g.report.sparsity.kernels.zeros).to.equal(Math.round(0.8 * (12 * 16 + 16 * 8 + 8 * 3)));
    const r = await magnitude(model, { sparsity: 0.8, method: 'random', seed: 3 });
    expect(r.report.sparsity.layers.map((l) => l.zeros)).to.deep.equal([154, 102, 19]);
    for (const x of [g, r]) x.model.dispose();
    model.dispose();
  });

  it('gives typed errors for bad options', async () => {
    const model = tinyNet();
    const err = async (opts: object) => {
      try {
        await magnitude(model, opts as never);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(await err({ sparsity: 1 })).to.be.instanceOf(ConfigError);
    const unknown = (await err({ sparsity: 0.5, skip: ['fc9'] })) as Error;
    expect(unknown).to.be.instanceOf(ConfigError);
    expect(unknown.message).to.match(/unknown layer "fc9".*fc1, fc2, fc3/);
    expect(await err({ sparsity: 0.5, layers: { fc1: -1 } })).to.be.instanceOf(ConfigError);
    expect(await err({ sparsity: 0.5, method: 'random' })).to.be.instanceOf(ConfigError);
    const cnnish = tf.sequential({
      layers: [
        tf.layers.dense({ units: 2, inputShape: [3], name: 'd' }),
        tf.layers.dropout({ rate: 0.1, name: 'drop' }),
      ],
    });
    try {
      await magnitude(cnnish, { sparsity: 0.5, skip: ['drop'] });
      expect.fail('no error');
    } catch (e) {
      expect(e).to.be.instanceOf(UnsupportedLayerError);
      expect((e as Error).message).to.match(/"drop" of class Dropout/);
    }
    cnnish.dispose();
    model.dispose();
  });

  it('stripPruning bakes the masks into a plain copy; masksFromZeros recovers them', async () => {
    const model = tinyNet();
    const { model: pruned } = await magnitude(model, { sparsity: 0.6 });
    const masks = computeMasks(model, { sparsity: 0.6 }).masks;
    const rec = masksFromZeros(pruned);
    expect(Array.from(rec.fc2!.dataSync())).to.deep.equal(Array.from(masks.fc2!.dataSync()));
    const { model: plain, report } = await stripPruning(model, rec);
    expect(report.kernels.sparsity).to.equal(sparsityReport(pruned).kernels.sparsity);
    tf.dispose([...Object.values(masks), ...Object.values(rec)]);
    pruned.dispose();
    plain.dispose();
    model.dispose();
  });

  it('prunes every layer whose registry entry has a kernel: conv, depthwise, transposed conv, dense', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [4, 4, 2],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          name: 'c',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.depthwiseConv2d({
          kernelSize: 3,
          padding: 'same',
          name: 'dw',
          depthwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        }),
        tf.layers.conv2dTranspose({
          filters: 3,
          kernelSize: 2,
          strides: 2,
          name: 'up',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
        }),
        tf.layers.flatten({ name: 'f' }),
        tf.layers.dense({ units: 2, name: 'd', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });
    const { model: pruned, report } = await magnitude(model, { sparsity: 0.5 });
    expect(report.sparsity.layers.map((l) => [l.name, l.className, l.zeros])).to.deep.equal([
      ['c', 'Conv2D', 36],
      ['dw', 'DepthwiseConv2D', 18],
      ['up', 'Conv2DTranspose', 24],
      ['d', 'Dense', 192],
    ]);
    let err: unknown;
    try {
      await magnitude(model, { sparsity: 0.5, layers: { bn: 0.5 } });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UnsupportedLayerError);
    expect((err as Error).message).to.match(
      /^prune\.magnitude: layers to name a layer with a prunable kernel \(Dense, Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D\), got "bn" of class BatchNormalization\. Remove it from layers\./,
    );
    pruned.dispose();
    model.dispose();
  });

  it('does not leak', async () => {
    const model = tinyNet();
    await expectNoLeak(() => magnitude(model, { sparsity: 0.5, scope: 'global' }));
    await expectNoLeak(() => stripPruning(model));
    model.dispose();
  });
});
