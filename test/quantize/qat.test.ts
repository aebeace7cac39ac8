import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { quantizationAwareTraining, convertQat } from '../../lib/quantize/qat';
import { postTraining } from '../../lib/quantize/post-training';
import { evaluate } from '../../lib/train/evaluate';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ConfigError } from '../../lib/errors';
import { cnn } from '../../lib/models/cnn';
import { sliceImageSet } from '../../lib/data/image-set';
import { expectNoLeak } from '../helpers/leak';
import { smallMnist, tinyMlp } from './fixtures';

describe('quantize/quantizationAwareTraining', () => {
  let mlp: tf.LayersModel;
  before(async () => { mlp = await tinyMlp(); });
  after(() => mlp.dispose());

  it('at 2-bit weights, QAT recovers accuracy that PTQ loses, and leaves the input model unchanged', async () => {
    const { train, test } = smallMnist();
    const before = mlp.getLayer('fc1').getWeights()[0]?.dataSync().slice(0, 5);
    const { model: ptq } = await postTraining(mlp, { mode: 'static', calibration: train, calibrationCount: 500, weightBits: 2 });
    const ptqAcc = (await evaluate(ptq.predict, test, { inputShape: [784] })).accuracy;
    ptq.dispose();
    const { model: qat, report } = await quantizationAwareTraining(mlp, train, { epochs: 2, seed: 1, weightBits: 2, learningRate: 1e-3 });
    const qatAcc = (await evaluate(qat.predict, test, { inputShape: [784] })).accuracy;
    expect(qatAcc).to.be.above(ptqAcc + 0.05);
    expect(report.steps).to.equal(2 * Math.ceil(train.count / 128));
    expect(Object.keys(report.ranges)).to.include.members(['fc1_input', 'fc1', 'fc2', 'fc3']);
    expect(Array.from(mlp.getLayer('fc1').getWeights()[0]?.dataSync().slice(0, 5) ?? [])).to.deep.equal(Array.from(before ?? []));
    // The converted model exports to ONNX QDQ like a PTQ model.
    expect(toOnnx(qat.model, { plan: qat.plan }).ops.QuantizeLinear).to.equal(4);
    // convertQat rebuilds the same plan from the learned ranges.
    const again = await convertQat(qat.model, report.ranges, { weightBits: 2 });
    expect(Array.from(again.plan.weights.fc1?.scale ?? [])).to.deep.equal(Array.from(qat.plan.weights.fc1?.scale ?? []));
    again.dispose();
    qat.dispose();
  });

  it('folds BatchNormalization before fine-tuning a conv net', async () => {
    const m = cnn({ seed: 1, filters: [2, 2], hidden: 8 });
    const { model: q, report } = await quantizationAwareTraining(m, sliceImageSet(smallMnist().train, 0, 64), { epochs: 1, seed: 1, weightBits: 4 });
    expect(report.foldedBatchNorm.map((f) => f.batchNorm)).to.deep.equal(['bn1', 'bn2']);
    expect(q.model.layers.map((l) => l.getClassName())).to.not.include('BatchNormalization');
    q.dispose();
    m.dispose();
  });

  it('rejects bad options with ConfigError', async () => {
    let err: unknown;
    try { await quantizationAwareTraining(mlp, smallMnist().train, { epochs: 1, seed: 1, weightBits: 17 }); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(ConfigError);
  });

  it('leaks no tensors', async () => {
    const small = sliceImageSet(smallMnist().train, 0, 256);
    await expectNoLeak(async () => {
      const { model: q } = await quantizationAwareTraining(mlp, small, { epochs: 1, seed: 2, weightBits: 4 });
      q.dispose();
    });
  });
});
