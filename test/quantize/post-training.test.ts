import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { postTraining } from '../../lib/quantize/post-training';
import { foldBatchNorm } from '../../lib/quantize/fold-batchnorm';
import { calibrateRanges } from '../../lib/quantize/calibrate';
import { evaluate } from '../../lib/train/evaluate';
import { toTensors } from '../../lib/data/tensors';
import { ConfigError, DataError } from '../../lib/errors';
import { cnn } from '../../lib/models/cnn';
import { simpleNet } from '../../lib/models/simplenet';
import { randomizeWeights } from '../export/fixtures';
import { maxAbsDiff } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';
import { smallMnist, tinyMlp } from './fixtures';

describe('quantize/postTraining', () => {
  let mlp: tf.LayersModel;
  before(async () => { mlp = await tinyMlp(); });
  after(() => mlp.dispose());

  it('foldBatchNorm removes BatchNormalization and keeps outputs (input model untouched)', async () => {
    const m = cnn({ seed: 3 });
    randomizeWeights(m, 4);
    const { model: folded, report } = await foldBatchNorm(m);
    expect(report.folded).to.deep.equal([{ layer: 'conv1', batchNorm: 'bn1' }, { layer: 'conv2', batchNorm: 'bn2' }]);
    expect(folded.layers.map((l) => l.getClassName())).to.not.include('BatchNormalization');
    expect(m.layers.map((l) => l.getClassName())).to.include('BatchNormalization');
    const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 1);
    const a = m.predict(x) as tf.Tensor;
    const b = folded.predict(x) as tf.Tensor;
    expect(maxAbsDiff(a, b)).to.be.below(1e-4);
    tf.dispose([x, a, b]);
    folded.dispose();
    m.dispose();
  });

  it('static INT8 keeps accuracy within a point, is about a quarter of the size, and reports SQNR per layer', async () => {
    const { train, test } = smallMnist();
    const fp32 = (await evaluate(mlp, test)).accuracy;
    const { model: q, report } = await postTraining(mlp, { mode: 'static', calibration: train, calibrationCount: 500 });
    const acc = (await evaluate(q.predict, test, { inputShape: [784] })).accuracy;
    expect(Math.abs(fp32 - acc)).to.be.below(0.01);
    expect(report.sizeRatio).to.be.within(0.24, 0.27);
    expect(report.layers.map((l) => l.layer)).to.deep.equal(['fc1', 'fc2', 'fc3']);
    for (const l of report.layers) {
      expect(l.weightSqnrDb).to.be.above(30);
      expect(l.outputSqnrDb).to.be.above(20);
    }
    expect(Object.keys(q.plan.activations)).to.include.members(['fc1', 'fc2', 'fc3']);
    q.dispose();
  });

  it('4-bit weights lose more signal than 8-bit, and per-channel beats per-tensor', async () => {
    const sq = async (weightBits: number, granularity: 'per-tensor' | 'per-channel') => {
      const { model: q, report } = await postTraining(mlp, { mode: 'weight-only', weightBits, granularity });
      q.dispose();
      return report.layers[0]?.weightSqnrDb as number;
    };
    const [c8, c4, t4] = [await sq(8, 'per-channel'), await sq(4, 'per-channel'), await sq(4, 'per-tensor')];
    expect(c8).to.be.above(c4 + 15);
    expect(c4).to.be.above(t4);
  });

  it('dynamic mode quantizes each Dense input per batch (simulated output differs from weight-only)', async () => {
    const x = toTensors(smallMnist().test, { inputShape: [784], start: 0, end: 50 }).xs;
    const { model: d } = await postTraining(mlp, { mode: 'dynamic' });
    const { model: w } = await postTraining(mlp, { mode: 'weight-only' });
    const a = d.predict(x);
    const b = w.predict(x);
    const diff = maxAbsDiff(a, b);
    expect(diff).to.be.above(0).and.below(0.5);
    tf.dispose([x, a, b]);
    d.dispose();
    w.dispose();
  });

  it('calibrateRanges gives pass-through layers their input range', async () => {
    const m = cnn({ seed: 1, filters: [2, 2], hidden: 4 });
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 2);
    const r = await calibrateRanges(m, { xs: x });
    expect(r.pool1).to.deep.equal(r.relu1);
    expect(r.flatten).to.deep.equal(r.pool2);
    tf.dispose(x);
    m.dispose();
  });

  it('refuses bad input with typed errors: no or empty calibration, bits out of range, non-finite weights', async () => {
    let err: unknown;
    const expectReject = async (p: Promise<unknown>, type: new (...a: never[]) => Error, re: RegExp) => {
      err = undefined;
      try { await p; } catch (e) { err = e; }
      expect(err).to.be.instanceOf(type);
      expect((err as Error).message).to.match(re);
    };
    await expectReject(postTraining(mlp, { mode: 'static' }), DataError, /calibration data/);
    const empty = tf.zeros([0, 784]);
    await expectReject(postTraining(mlp, { mode: 'static', calibration: { xs: empty } }), DataError, /non-empty calibration set/);
    empty.dispose();
    await expectReject(postTraining(mlp, { mode: 'static', calibration: smallMnist().train, weightBits: 1 }), ConfigError, /weightBits/);
    await expectReject(postTraining(mlp, { mode: 'fast' as 'static' }), ConfigError, /mode/);
    await expectReject(postTraining(mlp, { mode: 'weight-only', granularity: 'per-row' as 'per-tensor' }), ConfigError, /granularity/);
    await expectReject(postTraining(mlp, { mode: 'weight-only', layers: ['fc9'] }), ConfigError, /"fc9"/);
    const bad = simpleNet({ seed: 1, hidden: [4] });
    const [k, b] = bad.getLayer('fc1').getWeights() as [tf.Tensor, tf.Tensor];
    const nanK = tf.tidy(() => tf.where(tf.equal(tf.range(0, k.size).reshape(k.shape), 3), tf.fill(k.shape, NaN), k));
    bad.getLayer('fc1').setWeights([nanK, b]);
    await expectReject(postTraining(bad, { mode: 'weight-only' }), DataError, /layer "fc1"/);
    tf.dispose(nanK);
    bad.dispose();
  });

  it('leaks no tensors', async () => {
    const x = toTensors(smallMnist().test, { inputShape: [784], start: 0, end: 20 }).xs;
    await expectNoLeak(async () => {
      for (const mode of ['weight-only', 'dynamic', 'static'] as const) {
        const { model: q } = await postTraining(mlp, { mode, calibration: { xs: x } });
        q.predict(x).dispose();
        q.dispose();
      }
    });
    x.dispose();
  });
});
