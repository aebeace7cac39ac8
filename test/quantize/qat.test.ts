import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { quantizationAwareTraining, convertQat } from '../../lib/quantize/qat';
import { postTraining } from '../../lib/quantize/post-training';
import { planOf } from '../../lib/quantize/plan';
import { FakeQuantize } from '../../lib/quantize/fake-quantize-layer';
import { evaluate } from '../../lib/train/evaluate';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ConfigError } from '../../lib/errors';
import { cnn } from '../../course/models/cnn';
import { sliceImageSet } from '../../lib/data/image-set';
import { expectNoLeak } from '../helpers/leak';
import { smallMnist, tinyMlp } from './fixtures';

describe('quantize/quantizationAwareTraining', () => {
  let mlp: tf.LayersModel;
  before(async () => {
    mlp = await tinyMlp();
  });
  after(() => mlp.dispose());

  it('at 2-bit weights, QAT recovers accuracy that PTQ loses, returns a quantized model, and leaves the input unchanged', async () => {
    const { train, test } = smallMnist();
    const before = mlp.getLayer('fc1').getWeights()[0]?.dataSync().slice(0, 5);
    const { model: ptq } = await postTraining(mlp, train, {
      mode: 'static',
      calibrationCount: 500,
      weightBits: 2,
    });
    const ptqAcc = (await evaluate(ptq, test)).accuracy;
    ptq.dispose();
    const { model: qat, report } = await quantizationAwareTraining(mlp, train, {
      epochs: 2,
      seed: 1,
      weightBits: 2,
      learningRate: 1e-3,
    });
    const qatAcc = (await evaluate(qat, test)).accuracy;
    expect(qatAcc).to.be.above(ptqAcc + 0.05);
    expect(report.steps).to.equal(2 * Math.ceil(train.count / 128));
    expect(Object.keys(report.ranges)).to.include.members(['fc1_input', 'fc1', 'fc2', 'fc3']);
    expect(report.points.filter((p) => p.point).map((p) => p.layer)).to.deep.equal(['fc1_input', 'fc1', 'fc2', 'fc3']);
    expect(Array.from(mlp.getLayer('fc1').getWeights()[0]?.dataSync().slice(0, 5) ?? [])).to.deep.equal(
      Array.from(before ?? []),
    );
    expect(planOf(qat)?.weights.fc1?.bits).to.equal(2);
    // The quantized model exports to ONNX QDQ like a PTQ model: input and three layer outputs.
    expect(toOnnx(qat).report.ops.QuantizeLinear).to.equal(4);
    // convertQat builds the same activation grids from the learned ranges.
    const { model: again, report: converted } = await convertQat(mlp, { ranges: report.ranges, weightBits: 2 });
    expect(JSON.parse(JSON.stringify(converted))).to.deep.equal(converted);
    expect(converted.points.filter((p) => p.point).length).to.equal(4);
    const scales = (m: tf.LayersModel) =>
      m.layers.filter((l) => l instanceof FakeQuantize).map((l) => (l as FakeQuantize).qparams.scale[0]);
    expect(scales(again)).to.deep.equal(scales(qat));
    again.dispose();
    qat.dispose();
  });

  it('folds BatchNormalization before fine-tuning a conv net', async () => {
    const m = cnn({ seed: 1, filters: [2, 2], hidden: 8 });
    const { model: q, report } = await quantizationAwareTraining(m, sliceImageSet(smallMnist().train, 0, 64), {
      epochs: 1,
      seed: 1,
      weightBits: 4,
    });
    expect(report.foldedBatchNorm.map((f) => f.batchNorm)).to.deep.equal(['bn1', 'bn2']);
    expect(q.layers.map((l) => l.getClassName())).to.not.include('BatchNormalization');
    // Conv + ReLU are fused: the points sit after the ReLUs.
    expect(report.points.find((p) => p.layer === 'conv1')?.point).to.equal(false);
    q.dispose();
    m.dispose();
  });

  it('rejects bad options and quantized models with ConfigError', async () => {
    const reject = async (p: Promise<unknown>, re: RegExp) => {
      let err: unknown;
      try {
        await p;
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(re);
    };
    await reject(
      quantizationAwareTraining(mlp, smallMnist().train, { epochs: 1, seed: 1, weightBits: 17 }),
      /weightBits an integer in \[2, 16\], got 17/,
    );
    const { model: q } = await postTraining(mlp, { mode: 'weight-only' });
    await reject(
      quantizationAwareTraining(q, smallMnist().train, { epochs: 1, seed: 1 }),
      /a float model, got one already quantized/,
    );
    await reject(convertQat(q, { ranges: {} }), /a float model \(the one QAT trained\)/);
    await reject(convertQat(mlp, { ranges: {} }), /a range for every quantization point, got none for "fc1_input"/);
    q.dispose();
  });

  it('leaks no tensors', async () => {
    const small = sliceImageSet(smallMnist().train, 0, 256);
    await expectNoLeak(async () => {
      const { model: q } = await quantizationAwareTraining(mlp, small, { epochs: 1, seed: 2, weightBits: 4 });
      q.dispose();
    });
  });
});
