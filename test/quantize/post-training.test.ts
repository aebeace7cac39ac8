import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { postTraining } from '../../lib/quantize/post-training';
import { foldBatchNorm } from '../../lib/quantize/fold-batchnorm';
import { calibrateRanges } from '../../lib/quantize/calibrate';
import { planOf } from '../../lib/quantize/plan';
import { DynamicQuantize, FakeQuantize } from '../../lib/quantize/fake-quantize-layer';
import { evaluate } from '../../lib/train/evaluate';
import { fit } from '../../lib/train/fit';
import { profileModel } from '../../lib/profile/profile-model';
import { loadModel, saveModel } from '../../lib/data/model-io';
import { toTensors } from '../../lib/data/tensors';
import { sliceImageSet } from '../../lib/data/image-set';
import { ConfigError, DataError } from '../../lib/errors';
import { cnn } from '../../course/models/cnn';
import { simpleNet } from '../../course/models/simplenet';
import { randomizeWeights, zooModel } from '../export/fixtures';
import { maxAbsDiff } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';
import { miniMobileNet, smallMnist, tinyCnn, tinyMlp } from './fixtures';

const classesOf = (m: tf.LayersModel, cls: new (...a: never[]) => tf.layers.Layer) =>
  m.layers.filter((l) => l instanceof cls).length;

async function expectReject(p: Promise<unknown>, type: new (...a: never[]) => Error, re: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, 'an error').to.be.instanceOf(type);
  expect((err as Error).message).to.match(re);
}

describe('quantize/postTraining', () => {
  let mlp: tf.LayersModel;
  before(async () => {
    mlp = await tinyMlp();
  });
  after(() => mlp.dispose());

  it('foldBatchNorm removes BatchNormalization and keeps outputs, depthwise multiplier 2 included (input model untouched)', async () => {
    const inp = tf.input({ shape: [6, 6, 3] });
    const dw = tf.layers
      .depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2 })
      .apply(inp) as tf.SymbolicTensor;
    const dwModel = tf.model({
      inputs: inp,
      outputs: tf.layers.batchNormalization({ name: 'bn' }).apply(dw) as tf.SymbolicTensor,
    });
    for (const m of [cnn({ seed: 3 }), dwModel, zooModel(5)]) {
      randomizeWeights(m, 4);
      const { model: folded, report } = await foldBatchNorm(m);
      if (m.name === 'cnn')
        expect(report.folded).to.deep.equal([
          { layer: 'conv1', batchNorm: 'bn1' },
          { layer: 'conv2', batchNorm: 'bn2' },
        ]);
      else if (m === dwModel) expect(report).to.deep.equal({ folded: [{ layer: 'dw', batchNorm: 'bn' }], kept: [] });
      else expect(report).to.deep.equal({ folded: [], kept: ['bn', 'bn2'] }); // zoo's dw has relu6 inline: BN cannot fold across it
      expect(m.layers.map((l) => l.getClassName())).to.include('BatchNormalization');
      const x = tf.randomUniform([3, ...(m.inputs[0]?.shape.slice(1) as number[])], 0, 1, 'float32', 1);
      const a = m.predict(x) as tf.Tensor;
      const b = folded.predict(x) as tf.Tensor;
      expect(maxAbsDiff(a, b)).to.be.below(1e-4);
      tf.dispose([x, a, b]);
      folded.dispose();
      m.dispose();
    }
  });

  it('static INT8 returns a tf.LayersModel carrying its plan: accuracy within a point, a quarter of the size, SQNR per layer and point', async () => {
    const { train, test } = smallMnist();
    const fp32 = (await evaluate(mlp, test)).accuracy;
    const { model: q, report } = await postTraining(mlp, train, { mode: 'static', calibrationCount: 500 });
    expect(q).to.be.instanceOf(tf.LayersModel);
    expect(Math.abs(fp32 - (await evaluate(q, test)).accuracy)).to.be.below(0.01);
    expect(report.sizeRatio).to.be.within(0.24, 0.27);
    expect(report.layers.map((l) => l.layer)).to.deep.equal(['fc1', 'fc2', 'fc3']);
    for (const l of report.layers) {
      expect(l.weightSqnrDb).to.be.above(30);
      expect(l.outputSqnrDb).to.be.above(20);
    }
    const plan = planOf(q);
    expect(plan?.mode).to.equal('static');
    expect(Object.keys(plan?.activations ?? {})).to.deep.equal(['fc1_input', 'fc1', 'fc2', 'fc3']);
    expect(classesOf(q, FakeQuantize)).to.equal(4);
    expect(report.points.filter((p) => p.point).every((p) => p.sqnrDb !== undefined && p.sqnrDb > 20)).to.equal(true);
    expect(report.calibrationExamples).to.equal(500);
    expect(report.reportExamples).to.equal(256);
    q.dispose();
  });

  it('the quantized model works wherever a model does: save/load, profile, fit', async () => {
    const { train, test } = smallMnist();
    const conv = await tinyCnn();
    const { model: q } = await postTraining(conv, train, { mode: 'static', calibrationCount: 200 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-q-'));
    await saveModel(q, dir);
    const loaded = await loadModel(dir);
    expect(planOf(loaded)).to.deep.equal(planOf(q));
    const x = toTensors(test, { inputShape: [28, 28, 1], start: 0, end: 50 }).xs;
    const [a, b] = [q.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(maxAbsDiff(a, b)).to.equal(0);
    const { model: folded } = await foldBatchNorm(conv);
    const [pq, pf] = [await profileModel(q), await profileModel(folded)];
    expect(pq.totals.macs).to.equal(pf.totals.macs);
    expect(pq.layers.filter((l) => l.className === 'FakeQuantize').every((l) => l.macs === 0)).to.equal(true);
    const history = await fit(loaded, sliceImageSet(train, 0, 64), { epochs: 1, seed: 1, batchSize: 32 });
    expect(history.steps).to.equal(2);
    tf.dispose([x, a, b]);
    [q, loaded, folded, conv].forEach((m) => m.dispose());
    fs.rmSync(dir, { recursive: true });
  });

  it('fused placement keeps ReLU6 resolution that layer-output placement loses (a [-66, 152] pre-activation: 7 levels in [0, 6])', async () => {
    const inp = tf.input({ shape: [4], name: 'x' });
    const pre = tf.layers.dense({ name: 'pre', units: 4, kernelInitializer: 'zeros', biasInitializer: 'zeros' });
    const act = tf.layers.reLU({ name: 'act', maxValue: 6 });
    const out = tf.layers.dense({ name: 'out', units: 3 });
    const m = tf.model({ inputs: inp, outputs: out.apply(act.apply(pre.apply(inp))) as tf.SymbolicTensor });
    // pre = 218 x - 66 on each unit: inputs in [0, 1] span exactly [-66, 152]. The inputs are
    // multiples of 1/255, so the input grid is exact and only the placement differs.
    pre.setWeights([tf.mul(tf.eye(4), 218), tf.fill([4], -66)]);
    const xs = tf.tidy(() =>
      tf.div(
        tf.round(tf.concat([tf.zeros([1, 4]), tf.fill([1, 4], 255), tf.randomUniform([510, 4], 0, 255, 'float32', 7)])),
        255,
      ),
    );
    const run = (activationPlacement: 'fused' | 'layer-output') =>
      postTraining(m, { xs }, { mode: 'static', activationPlacement });
    const [fused, naive] = [await run('fused'), await run('layer-output')];
    const prePoint = naive.report.points.find((p) => p.layer === 'pre');
    expect(6 / (prePoint?.scale as number)).to.be.closeTo((6 * 255) / 218, 1e-3);
    expect(fused.report.points.find((p) => p.layer === 'pre')).to.include({ point: false });
    expect(fused.report.points.find((p) => p.layer === 'act')?.scale).to.be.closeTo(6 / 255, 1e-7);
    const sq = (r: typeof fused) => r.report.points.find((p) => p.layer === 'act')?.sqnrDb as number;
    expect(sq(fused)).to.be.above(sq(naive) + 20);
    [fused.model, naive.model, m].forEach((x) => x.dispose());
    tf.dispose(xs);
  });

  it('4-bit weights lose more signal than 8-bit, and per-channel beats per-tensor; layers overrides and skip', async () => {
    const sq = async (weightBits: number, granularity: 'per-tensor' | 'per-channel') => {
      const { model: q, report } = await postTraining(mlp, { mode: 'weight-only', weightBits, granularity });
      q.dispose();
      return report.layers[0]?.weightSqnrDb as number;
    };
    const [c8, c4, t4] = [await sq(8, 'per-channel'), await sq(4, 'per-channel'), await sq(4, 'per-tensor')];
    expect(c8).to.be.above(c4 + 15);
    expect(c4).to.be.above(t4);
    const { model: q, report } = await postTraining(mlp, {
      mode: 'weight-only',
      layers: { fc1: { weightBits: 4, granularity: 'per-tensor' } },
      skip: ['fc3'],
    });
    expect(report.layers.map((l) => [l.layer, l.bits, l.granularity])).to.deep.equal([
      ['fc1', 4, 'per-tensor'],
      ['fc2', 8, 'per-channel'],
    ]);
    expect(
      maxAbsDiff(q.getLayer('fc3').getWeights()[0] as tf.Tensor, mlp.getLayer('fc3').getWeights()[0] as tf.Tensor),
    ).to.equal(0);
    q.dispose();
  });

  it('dynamic mode quantizes each Dense input per batch and leaves convolutions float (with a warning)', async () => {
    const x = toTensors(smallMnist().test, { inputShape: [784], start: 0, end: 50 }).xs;
    const { model: d } = await postTraining(mlp, { mode: 'dynamic' });
    const { model: w } = await postTraining(mlp, { mode: 'weight-only' });
    expect(classesOf(d, DynamicQuantize)).to.equal(3);
    const a = d.predict(x) as tf.Tensor;
    const b = w.predict(x) as tf.Tensor;
    expect(maxAbsDiff(a, b)).to.be.above(0).and.below(0.5);
    const conv = cnn({ seed: 2, filters: [2, 2], hidden: 4 });
    const { model: dc, report } = await postTraining(conv, { mode: 'dynamic' });
    expect(Object.keys(planOf(dc)?.weights ?? {})).to.deep.equal(['fc1', 'fc2']);
    expect(report.warnings.join(' ')).to.match(
      /Dense kernels only .* 2 convolution layer\(s\) stay float \(conv1, conv2\)/,
    );
    tf.dispose([x, a, b]);
    [d, w, dc, conv].forEach((m) => m.dispose());
  });

  it('calibrateRanges: value-moving layers get their input range, fused outputs none, and minmax ranges do not depend on batchSize', async () => {
    const m = cnn({ seed: 1, filters: [2, 2], hidden: 4 });
    randomizeWeights(m, 2);
    const x = tf.randomUniform([40, 28, 28, 1], 0, 1, 'float32', 2);
    const r = await calibrateRanges(m, { xs: x });
    expect(r.pool1).to.deep.equal(r.relu1);
    expect(r.flatten).to.deep.equal(r.pool2);
    const { model: folded } = await foldBatchNorm(m);
    const rf = await calibrateRanges(folded, { xs: x }, { batchSize: 7 });
    expect(rf.conv1).to.equal(undefined); // fused into relu1
    expect(await calibrateRanges(folded, { xs: x }, { batchSize: 40 })).to.deep.equal(rf);
    tf.dispose(x);
    m.dispose();
    folded.dispose();
  });

  it('refuses bad input with typed errors', async () => {
    await expectReject(postTraining(mlp, { mode: 'static' }), DataError, /calibration data/);
    const empty = tf.zeros([0, 784]);
    await expectReject(postTraining(mlp, { xs: empty }, { mode: 'static' }), DataError, /non-empty calibration set/);
    empty.dispose();
    await expectReject(
      postTraining(mlp, smallMnist().train, { mode: 'static', weightBits: 1 }),
      ConfigError,
      /weightBits/,
    );
    await expectReject(postTraining(mlp, { mode: 'fast' as 'static' }), ConfigError, /mode/);
    await expectReject(
      postTraining(mlp, { mode: 'weight-only', granularity: 'per-row' as 'per-tensor' }),
      ConfigError,
      /granularity/,
    );
    await expectReject(
      postTraining(mlp, { mode: 'weight-only', skip: ['fc9'] }),
      ConfigError,
      /quantize\.postTraining: skip patterns that match layer names, got "fc9" matching none/,
    );
    await expectReject(
      postTraining(mlp, { mode: 'weight-only', layers: ['fc1'] as never }),
      ConfigError,
      /layers an object of per-layer options/,
    );
    await expectReject(
      postTraining(mlp, { mode: 'weight-only', layers: { fc1: { weightBits: 20 } } }),
      ConfigError,
      /layers.fc1.weightBits/,
    );
    await expectReject(
      postTraining(mlp, smallMnist().train, { mode: 'static', batchSize: 0 }),
      ConfigError,
      /batchSize a positive integer/,
    );
    await expectReject(
      postTraining(mlp, smallMnist().train, { mode: 'static', activationPlacement: 'after' as 'fused' }),
      ConfigError,
      /activationPlacement/,
    );
    await expectReject(
      postTraining(new tf.GraphModel('memory://none') as unknown as tf.LayersModel, { mode: 'dynamic' }),
      ConfigError,
      /quantize.postTraining: a tf.LayersModel, got a tf.GraphModel/,
    );
    const { model: q } = await postTraining(mlp, { mode: 'weight-only' });
    await expectReject(
      postTraining(q, { mode: 'weight-only' }),
      ConfigError,
      /a float model, got one already quantized \(weight-only\)/,
    );
    q.dispose();
    const bad = simpleNet({ seed: 1, hidden: [4] });
    const [k, b] = bad.getLayer('fc1').getWeights() as [tf.Tensor, tf.Tensor];
    const nanK = tf.tidy(() => tf.where(tf.equal(tf.range(0, k.size).reshape(k.shape), 3), tf.fill(k.shape, NaN), k));
    bad.getLayer('fc1').setWeights([nanK, b]);
    await expectReject(postTraining(bad, { mode: 'weight-only' }), DataError, /layer "fc1"/);
    tf.dispose(nanK);
    bad.dispose();
  });

  it('leaks no tensors (every mode, a MobileNetV2-style model included)', async () => {
    const x = toTensors(smallMnist().test, { inputShape: [784], start: 0, end: 20 }).xs;
    const mb = miniMobileNet(4);
    const images = tf.randomUniform([10, 16, 16, 3], 0, 1, 'float32', 3);
    await expectNoLeak(async () => {
      for (const mode of ['weight-only', 'dynamic', 'static'] as const) {
        const { model: q } = await postTraining(mlp, { xs: x }, { mode });
        (q.predict(x) as tf.Tensor).dispose();
        q.dispose();
        const { model: qm } = await postTraining(mb, { xs: images }, { mode, batchSize: 4 });
        qm.dispose();
      }
    });
    tf.dispose([x, images]);
    mb.dispose();
  });
});
