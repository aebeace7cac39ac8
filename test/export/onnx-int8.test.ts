import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { CONVERTERS, toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { inspectOnnx } from '../../lib/export/onnx/inspect';
import { postTraining } from '../../lib/quantize/post-training';
import { foldBatchNorm } from '../../lib/quantize/fold-batchnorm';
import { planOf } from '../../lib/quantize/plan';
import { LAYERS } from '../../lib/core/layers';
import { toTensors } from '../../lib/data/tensors';
import { ConfigError, ExportError } from '../../lib/errors';
import { cnn } from '../../course/models/cnn';
import { smallMnist, residualModel, tinyCnn, tinyMlp } from '../quantize/fixtures';
import { expectNoLeak } from '../helpers/leak';

/** ORT's outputs, and its argmax agreement with the quantized tfjs model's, on `x`. */
async function runBoth(
  q: tf.LayersModel,
  x: tf.Tensor,
): Promise<{ agree: number; maxDiff: number; ort: Float32Array }> {
  const session = await ortSession(toOnnx(q));
  const got = await runOrt(session, x.dataSync() as Float32Array, x.shape);
  await session.release();
  const want = tf.tidy(() => (q.predict(x) as tf.Tensor).dataSync());
  const classes = got.dims[1] as number;
  let same = 0;
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++)
    maxDiff = Math.max(maxDiff, Math.abs((want[i] as number) - (got.data[i] as number)));
  const argmax = (v: ArrayLike<number>, r: number) => {
    let b = 0;
    for (let j = 1; j < classes; j++) if ((v[r * classes + j] as number) > (v[r * classes + b] as number)) b = j;
    return b;
  };
  for (let r = 0; r < (got.dims[0] as number); r++) if (argmax(want, r) === argmax(got.data, r)) same++;
  return { agree: same / (got.dims[0] as number), maxDiff, ort: got.data };
}

/** Op counts of the graph ONNX Runtime runs after its optimizations (QDQ fusion). */
async function optimizedOps(bytes: Uint8Array): Promise<Record<string, number>> {
  const file = path.join(os.tmpdir(), `tfjs-compress-opt-${process.pid}-${Math.random().toString(36).slice(2)}.onnx`);
  await (await ortSession(bytes, { optimizedModelFilePath: file })).release();
  const ops = inspectOnnx(file).ops;
  fs.rmSync(file);
  return ops;
}

describe('export/onnx INT8', () => {
  let mlp: tf.LayersModel;
  let conv: tf.LayersModel;
  let flat: tf.Tensor;
  let images: tf.Tensor;
  before(async () => {
    mlp = await tinyMlp();
    conv = await tinyCnn();
    flat = toTensors(smallMnist().test, { inputShape: [784], start: 0, end: 500 }).xs;
    images = toTensors(smallMnist().test, { inputShape: [28, 28, 1], start: 0, end: 500 }).xs;
  });
  after(() => {
    [mlp, conv].forEach((m) => m.dispose());
    tf.dispose([flat, images]);
  });

  it('static QDQ SimpleNet, plan read from the model: ORT agrees with tfjs on >= 99% and fuses every Dense into QGemm', async () => {
    const { model: q } = await postTraining(mlp, smallMnist().train, {
      mode: 'static',
      calibrationCount: 500,
    });
    const onnx = toOnnx(q);
    expect(onnx.report.mode).to.equal('static');
    expect(onnx.report.ops.QuantizeLinear).to.equal(4); // input + 3 layer outputs (ReLU inline)
    expect(onnx.report.ops.DequantizeLinear).to.equal(4 + 3 + 3); // activations + kernels + int32 biases
    expect((await runBoth(q, flat)).agree).to.be.at.least(0.99);
    expect((await optimizedOps(onnx.bytes))['com.microsoft.QGemm']).to.equal(3);
    q.dispose();
  });

  it('static QDQ CNN: BatchNormalization folded, conv + ReLU fused into QLinearConv (Conv -> Relu -> Q -> DQ), max pooling on its input grid', async () => {
    const { model: q, report } = await postTraining(conv, smallMnist().train, {
      mode: 'static',
      calibrationCount: 300,
    });
    expect(report.foldedBatchNorm.length).to.equal(2);
    const onnx = toOnnx(q);
    expect(onnx.report.ops.BatchNormalization).to.equal(undefined);
    expect((await runBoth(q, images)).agree).to.be.at.least(0.99);
    const fused = await optimizedOps(onnx.bytes);
    expect(fused['com.microsoft.QLinearConv']).to.equal(2);
    expect(fused['com.microsoft.QGemm']).to.equal(2);
    expect(fused.Conv ?? 0).to.equal(0);
    expect(fused.Relu ?? 0).to.equal(0); // absorbed: the QuantizeLinear after it clamps at the zero point
    q.dispose();
  });

  it('static QDQ with Add + ReLU, a sigmoid, Concatenate and global average pooling: every op runs in int8 and equals tfjs', async () => {
    const m = residualModel(3);
    const x = tf.randomUniform([64, 8, 8, 4], -1, 1, 'float32', 1);
    const { model: q } = await postTraining(m, { xs: x }, { mode: 'static' });
    const { maxDiff } = await runBoth(q, x);
    const outScale = planOf(q)?.activations.out?.scale[0] as number;
    expect(maxDiff).to.be.at.most(outScale * 1.0001); // at most one step of the output grid
    const fused = await optimizedOps(toOnnx(q).bytes);
    for (const op of [
      'QLinearConv',
      'QLinearAdd',
      'QLinearSigmoid',
      'QLinearConcat',
      'QLinearGlobalAveragePool',
      'QGemm',
    ])
      expect(fused[`com.microsoft.${op}`], op).to.be.at.least(1);
    for (const op of ['Conv', 'Add', 'Concat', 'GlobalAveragePool', 'Gemm', 'Relu', 'Sigmoid'])
      expect(fused[op] ?? 0, op).to.equal(0);
    tf.dispose(x);
    [m, q].forEach((v) => v.dispose());
  });

  it('dynamic INT8: DynamicQuantizeLinear + MatMulInteger for Dense, convolutions float; ORT agrees on >= 99%', async () => {
    const { model: q } = await postTraining(mlp, { mode: 'dynamic' });
    const onnx = toOnnx(q);
    expect(onnx.report.ops.MatMulInteger).to.equal(3);
    expect(onnx.report.ops.DynamicQuantizeLinear).to.equal(3);
    expect((await runBoth(q, flat)).agree).to.be.at.least(0.99);
    const { model: qc } = await postTraining(conv, { mode: 'dynamic' });
    const ops = toOnnx(qc).report.ops;
    expect([ops.Conv, ops.ConvInteger, ops.MatMulInteger]).to.deep.equal([2, undefined, 2]);
    expect((await runBoth(qc, images)).agree).to.be.at.least(0.99);
    [q, qc].forEach((v) => v.dispose());
  });

  it("the report's sizeBytes is the ONNX file's parameter bytes, in every mode", async () => {
    const m = residualModel(4);
    const x = tf.randomUniform([16, 8, 8, 4], -1, 1, 'float32', 2);
    for (const [model, calibration] of [
      [mlp, { xs: flat }],
      [conv, { xs: images }],
      [m, { xs: x }],
    ] as const) {
      for (const mode of ['weight-only', 'dynamic', 'static'] as const) {
        const { model: q, report } = await postTraining(model, calibration, { mode, calibrationCount: 64 });
        const onnx = toOnnx(q);
        const { initializerBytes, nodes } = inspectOnnx(onnx.bytes);
        expect(initializerBytes, `${model.name} ${mode}`).to.equal(report.sizeBytes);
        // The rest of the file is protobuf: names, node and tensor headers.
        expect(onnx.report.sizeBytes - initializerBytes, 'protobuf overhead').to.be.below(200 * nodes);
        q.dispose();
      }
    }
    tf.dispose(x);
    m.dispose();
  });

  it('weight-only INT8 (DequantizeLinear kernels): ORT agrees on >= 99% and the file is about a quarter', async () => {
    const { model: q } = await postTraining(mlp, { mode: 'weight-only' });
    expect((await runBoth(q, flat)).agree).to.be.at.least(0.99);
    expect(toOnnx(q).report.sizeBytes / toOnnx(mlp).report.sizeBytes).to.be.below(0.3);
    q.dispose();
  });

  it('an explicit plan on the float model gives the same INT8 graph outputs', async () => {
    const c = cnn({ seed: 4, filters: [2, 4], hidden: 8 });
    const { model: q } = await postTraining(c, { xs: images }, { mode: 'static', calibrationCount: 100 });
    const { model: folded } = await foldBatchNorm(c);
    const x = images.slice(0, 50);
    const s = await ortSession(toOnnx(folded, { plan: planOf(q) }));
    const got = await runOrt(s, x.dataSync() as Float32Array, x.shape);
    await s.release();
    const { ort } = await runBoth(q, x);
    expect(Array.from(got.data)).to.deep.equal(Array.from(ort));
    tf.dispose(x);
    [c, q, folded].forEach((v) => v.dispose());
  });

  it('every registry class has a converter or an explicit refusal, and a refusal is an ExportError naming the layer and what to do', () => {
    for (const cls of LAYERS.keys())
      if (cls !== 'InputLayer') expect((CONVERTERS as Record<string, unknown>)[cls], cls).to.not.equal(undefined);
    const m = tf.sequential({
      layers: [tf.layers.conv1d({ name: 'c1d', inputShape: [8, 2], filters: 2, kernelSize: 3 })],
    });
    expect(() => toOnnx(m)).to.throw(
      ExportError,
      /got layer "c1d" of class Conv1D\. Conv1D has no converter yet \(Conv1D: Use Conv2D on a \[1, width, channels\] image\)/,
    );
    m.dispose();
    expect(() => toOnnx(new tf.GraphModel('memory://none') as unknown as tf.LayersModel)).to.throw(
      ConfigError,
      /toOnnx: a tf.LayersModel, got a tf.GraphModel/,
    );
  });

  it('refuses activations wider than 8 bits in QDQ form with an ExportError', async () => {
    const { model: q } = await postTraining(mlp, smallMnist().train, {
      mode: 'static',
      calibrationCount: 100,
      activationBits: 12,
    });
    expect(() => toOnnx(q)).to.throw(ExportError, /8-bit activations/);
    q.dispose();
  });

  it('exporting static, dynamic and weight-only INT8 graphs leaks no tensors', async () => {
    const plans = await Promise.all(
      (['static', 'dynamic', 'weight-only'] as const).map((mode) =>
        postTraining(mlp, smallMnist().train, { mode, calibrationCount: 100 }),
      ),
    );
    await expectNoLeak(() => {
      for (const { model: q } of plans) toOnnx(q);
    });
    plans.forEach(({ model: q }) => q.dispose());
  });
});
