import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { inspectOnnx } from '../../lib/export/onnx/inspect';
import { postTraining } from '../../lib/quantize/post-training';
import { QuantizedModel } from '../../lib/quantize/quantized-model';
import { toTensors } from '../../lib/data/tensors';
import { ExportError } from '../../lib/errors';
import { smallMnist, tinyCnn, tinyMlp } from '../quantize/fixtures';
import { expectNoLeak } from '../helpers/leak';

/** Fraction of inputs where ORT's argmax equals the simulated quantized tfjs model's. */
async function agreement(q: QuantizedModel, layout: 'flat' | 'image'): Promise<{ agree: number; ops: Record<string, number> }> {
  const onnx = toOnnx(q.model, { plan: q.plan });
  const { xs: x, ys } = toTensors(smallMnist().test, { inputShape: layout === 'flat' ? [784] : [28, 28, 1], start: 0, end: 500 });
  ys.dispose();
  const session = await ortSession(onnx);
  const got = await runOrt(session, x.dataSync() as Float32Array, x.shape);
  await session.release();
  const sim = tf.tidy(() => tf.argMax(q.predict(x), 1).dataSync());
  const ort = tf.tidy(() => tf.argMax(tf.tensor2d(got.data, got.dims as [number, number]), 1).dataSync());
  let same = 0;
  for (let i = 0; i < sim.length; i++) if (sim[i] === ort[i]) same++;
  x.dispose();
  return { agree: same / sim.length, ops: onnx.ops as Record<string, number> };
}

describe('export/onnx INT8', () => {
  let mlp: tf.LayersModel;
  let conv: tf.LayersModel;
  before(async () => { mlp = await tinyMlp(); conv = await tinyCnn(); });
  after(() => { mlp.dispose(); conv.dispose(); });

  it('static QDQ SimpleNet: ORT agrees with the simulated model on >= 99% of test inputs', async () => {
    const { model: q } = await postTraining(mlp, { mode: 'static', calibration: smallMnist().train, calibrationCount: 500 });
    const { agree, ops } = await agreement(q, 'flat');
    expect(agree).to.be.at.least(0.99);
    expect(ops.QuantizeLinear).to.equal(4); // input + 3 layer outputs
    expect(ops.DequantizeLinear).to.equal(4 + 3 + 3); // activations + kernels + int32 biases
    const fused = `${require("os").tmpdir()}/tfjs-compress-qdq-${process.pid}.onnx`;
    await (await ortSession(toOnnx(q.model, { plan: q.plan }), { optimizedModelFilePath: fused })).release();
    expect(inspectOnnx(fused).ops["com.microsoft.QGemm"]).to.equal(3); // ORT fused every Dense into an int8 GEMM
    require("fs").rmSync(fused);
    q.dispose();
  });

  it('static QDQ CNN (BatchNormalization folded, per-channel conv kernels): ORT agrees on >= 99%', async () => {
    const { model: q, report } = await postTraining(conv, { mode: 'static', calibration: smallMnist().train, calibrationCount: 300 });
    expect(report.foldedBatchNorm.length).to.equal(2);
    const { agree, ops } = await agreement(q, 'image');
    expect(agree).to.be.at.least(0.99);
    expect(ops.BatchNormalization).to.equal(undefined);
    q.dispose();
  });

  it('dynamic INT8 (DynamicQuantizeLinear + MatMulInteger): ORT agrees on >= 99%', async () => {
    const { model: q } = await postTraining(mlp, { mode: 'dynamic' });
    const { agree, ops } = await agreement(q, 'flat');
    expect(agree).to.be.at.least(0.99);
    expect(ops.MatMulInteger).to.equal(3);
    expect(ops.DynamicQuantizeLinear).to.equal(3);
    q.dispose();
  });

  it('weight-only INT8 (DequantizeLinear kernels): ORT agrees on >= 99% and the file is about a quarter', async () => {
    const { model: q } = await postTraining(mlp, { mode: 'weight-only' });
    const { agree } = await agreement(q, 'flat');
    expect(agree).to.be.at.least(0.99);
    expect(toOnnx(q.model, { plan: q.plan }).sizeBytes / toOnnx(mlp).sizeBytes).to.be.below(0.3);
    q.dispose();
  });

  it('refuses activations wider than 8 bits in QDQ form with an ExportError', async () => {
    const { model: q } = await postTraining(mlp, { mode: 'static', calibration: smallMnist().train, calibrationCount: 100, activationBits: 12 });
    expect(() => toOnnx(q.model, { plan: q.plan })).to.throw(ExportError, /8-bit activations/);
    q.dispose();
  });

  it('exporting static, dynamic and weight-only INT8 graphs leaks no tensors', async () => {
    const plans = await Promise.all((['static', 'dynamic', 'weight-only'] as const).map((mode) =>
      postTraining(mlp, { mode, calibration: smallMnist().train, calibrationCount: 100 })));
    await expectNoLeak(() => { for (const { model: q } of plans) toOnnx(q.model, { plan: q.plan }); });
    plans.forEach(({ model: q }) => q.dispose());
  });
});
