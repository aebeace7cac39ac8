// Full-integer INT8 TFLite export from the static quantization plan, run in TFLite 2.9
// (tfjs-tflite-node): int8 activations on the plan's grids (signed, zero point in [-128, 127]),
// symmetric int8 kernels (per channel for convolutions on TFLite's quantized_dimension, per
// tensor for FULLY_CONNECTED), int32 biases on inputScale * weightScale, ReLU fused; the runtime
// agrees with the simulated quantized tfjs model; bad plans are refused by name.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { inspectTflite, TfliteTensorSummary } from '../../lib/export/tflite/inspect';
import { runTflite, tfliteInterpreter } from '../../lib/export/tflite/runtime';
import { postTraining } from '../../lib/quantize/post-training';
import { planOf } from '../../lib/quantize/plan';
import { toTensors } from '../../lib/data/tensors';
import { ExportError } from '../../lib/errors';
import { smallMnist, tinyCnn, tinyMlp } from '../quantize/fixtures';
import { zooModel } from './fixtures';
import { mobileNetV2 } from '../fixtures/architectures';
import { randomInput, sqnrDb, top1Agreement } from './tflite-fixtures';
import { expectNoLeak } from '../helpers/leak';

/** TFLite and simulated outputs on the first 500 MNIST test images. */
function run(
  q: tf.LayersModel,
  inputShape: number[],
  options: { perChannelFullyConnected?: boolean } = {},
): { tflite: Float32Array; sim: Float32Array } {
  const { xs, ys } = toTensors(smallMnist().test, { inputShape, start: 0, end: 500 });
  ys.dispose();
  const tflite = runTflite(
    tfliteInterpreter(toTflite(q, { batchSize: 50, ...options })),
    xs.dataSync() as Float32Array,
  );
  const sim = tf.tidy(() => (q.predict(xs) as tf.Tensor).dataSync() as Float32Array);
  xs.dispose();
  return { tflite, sim };
}

/** Per-layer options that quantize every Dense kernel per tensor, as TFLite 2.9's FULLY_CONNECTED runs it. */
function perTensorDense(model: tf.LayersModel): Record<string, { granularity: 'per-tensor' }> {
  return Object.fromEntries(
    model.layers
      .filter((l) => l.getClassName() === 'Dense')
      .map((l) => [l.name, { granularity: 'per-tensor' as const }]),
  );
}

describe('export/tflite INT8', () => {
  let mlp: tf.LayersModel;
  let conv: tf.LayersModel;
  before(async () => {
    mlp = await tinyMlp();
    conv = await tinyCnn();
  });
  after(() => {
    mlp.dispose();
    conv.dispose();
  });

  it('SimpleNet: QUANTIZE, three int8 FULLY_CONNECTED with fused RELU, DEQUANTIZE; >= 99% top-1 agreement with the simulated model', async () => {
    const { model: q } = await postTraining(mlp, smallMnist().train, {
      mode: 'static',
      calibrationCount: 500,
      granularity: 'per-tensor',
    });
    const t = toTflite(q);
    expect(t.report.mode).to.equal('int8');
    expect(t.report.floatLayers).to.deep.equal([]);
    const s = inspectTflite(t.bytes);
    expect(s.ops).to.deep.equal({ QUANTIZE: 1, FULLY_CONNECTED: 3, DEQUANTIZE: 1 });
    expect(
      s.operators.filter((o) => o.op === 'FULLY_CONNECTED').map((o) => [o.version, o.fusedActivation]),
    ).to.deep.equal([
      [4, 'RELU'],
      [4, 'RELU'],
      [4, 'NONE'],
    ]);
    // Float in and out; every FULLY_CONNECTED reads and writes int8 (zero points in [-128, 127]).
    expect(s.tensors[s.inputs[0] as number]?.type).to.equal('FLOAT32');
    expect(s.tensors[s.outputs[0] as number]?.type).to.equal('FLOAT32');
    for (const o of s.operators.filter((x) => x.op === 'FULLY_CONNECTED')) {
      const [x, w, b] = o.inputs.map((i) => s.tensors[i]!) as [
        TfliteTensorSummary,
        TfliteTensorSummary,
        TfliteTensorSummary,
      ];
      const y = s.tensors[o.outputs[0] as number]!;
      expect([x.type, w.type, b.type, y.type]).to.deep.equal(['INT8', 'INT8', 'INT32', 'INT8']);
      expect(w.quantization?.zeroPoint).to.deep.equal([0]);
      expect(y.quantization!.zeroPoint[0]).to.be.within(-128, 127);
      // bias scale = input scale * weight scale, zero point 0.
      expect(b.quantization!.scale[0]! / (x.quantization!.scale[0]! * w.quantization!.scale[0]!)).to.be.closeTo(
        1,
        1e-6,
      );
      expect(b.quantization!.zeroPoint).to.deep.equal([0]);
    }
    const { tflite, sim } = run(q, [784]);
    expect(top1Agreement(tflite, sim, 10)).to.be.at.least(0.99);
    expect(t.report.sizeBytes / toTflite(mlp).report.sizeBytes).to.be.below(0.3);
    q.dispose();
  });

  it('per-channel FULLY_CONNECTED: re-quantized per tensor by default, because TFLite 2.9 returns zeros for per-channel kernels', async () => {
    const { model: q } = await postTraining(mlp, smallMnist().train, {
      mode: 'static',
      calibrationCount: 200,
    });
    expect(planOf(q)!.weights.fc1?.axis).to.equal(1); // the plan is per channel
    const t = toTflite(q);
    expect(t.report.notes.filter((n) => /re-quantized per tensor/.test(n))).to.have.length(3);
    const fc1 = inspectTflite(t.bytes).tensors.find((x) => x.name === 'fc1/kernel');
    expect(fc1?.quantization?.scale).to.have.length(1);
    const perTensor = run(q, [784]);
    expect(top1Agreement(perTensor.tflite, perTensor.sim, 10)).to.be.at.least(0.97);
    // As the plan has them (quantized_dimension 0 of [units, in]): TFLite 2.9's int8 kernel outputs zeros.
    const perChannel = run(q, [784], { perChannelFullyConnected: true });
    expect(perChannel.tflite.every((v) => v === 0)).to.equal(true);
    q.dispose();
  });

  it('per-tensor FULLY_CONNECTED scale from the weights: a unit of zero weights (a dead unit, as in a real InceptionV3 head) does not round the others to zero', async () => {
    const dead = await tinyMlp();
    const fc1 = dead.getLayer('fc1');
    const [kernel, bias] = fc1.getWeights() as [tf.Tensor2D, tf.Tensor1D];
    // Output unit 0 of fc1 gets all-zero weights: its per-channel scale is 1 in the plan.
    const zeroed = tf.tidy(() => kernel.mul(tf.oneHot([0], kernel.shape[1]).sub(1).neg()));
    fc1.setWeights([zeroed, bias]);
    zeroed.dispose();
    const { model: q } = await postTraining(dead, smallMnist().train, {
      mode: 'static',
      calibrationCount: 200,
    });
    expect(planOf(q)!.weights.fc1?.scale[0]).to.equal(1);
    const t = toTflite(q);
    const scale = inspectTflite(t.bytes).tensors.find((x) => x.name === 'fc1/kernel')?.quantization?.scale?.[0];
    expect(scale).to.be.below(0.05); // max |w| / 127, not the dead unit's 1
    const { tflite, sim } = run(q, [784]);
    expect(top1Agreement(tflite, sim, 10)).to.be.at.least(0.97);
    q.dispose();
    dead.dispose();
  });

  it('the CNN: per-channel CONV_2D kernels (OHWI, quantized_dimension 0), pooling and RESHAPE on their input grid; >= 99% agreement', async () => {
    const { model: q, report } = await postTraining(conv, smallMnist().train, {
      mode: 'static',
      calibrationCount: 300,
    });
    expect(report.foldedBatchNorm).to.have.length(2);
    const t = toTflite(q);
    expect(t.report.floatLayers).to.deep.equal([]);
    const s = inspectTflite(t.bytes);
    expect(s.ops).to.deep.equal({
      QUANTIZE: 1,
      CONV_2D: 2,
      MAX_POOL_2D: 2,
      RESHAPE: 1,
      FULLY_CONNECTED: 2,
      DEQUANTIZE: 1,
    });
    const conv1 = s.operators.find((o) => o.op === 'CONV_2D')!;
    expect([conv1.version, conv1.fusedActivation]).to.deep.equal([3, 'RELU']);
    const [x, w, b] = conv1.inputs.map((i) => s.tensors[i]!) as [
      TfliteTensorSummary,
      TfliteTensorSummary,
      TfliteTensorSummary,
    ];
    expect(w.shape).to.deep.equal([4, 5, 5, 1]);
    expect(w.quantization?.dimension).to.equal(0);
    expect(w.quantization?.scale).to.have.length(4);
    expect(b.quantization?.scale.map((v, c) => v / (x.quantization!.scale[0]! * w.quantization!.scale[c]!))).to.satisfy(
      (r: number[]) => r.every((v) => Math.abs(v - 1) < 1e-6),
    );
    for (const o of s.operators.filter((y) => y.op === 'MAX_POOL_2D' || y.op === 'RESHAPE')) {
      expect(s.tensors[o.outputs[0]!]!.quantization).to.deep.equal(s.tensors[o.inputs[0]!]!.quantization);
    }
    const { model: sim } = await postTraining(conv, smallMnist().train, {
      mode: 'static',
      calibrationCount: 300,
      layers: perTensorDense(conv),
    });
    const { tflite } = run(q, [28, 28, 1]);
    const { sim: simulated } = run(sim, [28, 28, 1]);
    expect(top1Agreement(tflite, simulated, 10)).to.be.at.least(0.99);
    sim.dispose();
    q.dispose();
  });

  it('small MobileNetV2: int8 DEPTHWISE_CONV_2D per channel on quantized_dimension 3 ([1, kh, kw, C]), PAD, ADD, MEAN; close to the float model', async () => {
    const model = mobileNetV2({ seed: 4, alpha: 0.35, inputShape: [32, 32, 3], classes: 10 });
    const calibration = tf.tensor(randomInput([128, 32, 32, 3], 1), [128, 32, 32, 3]);
    const { model: q } = await postTraining(
      model,
      { xs: calibration },
      {
        mode: 'static',
        calibrationCount: 128,
      },
    );
    calibration.dispose();
    const t = toTflite(q, { batchSize: 8 });
    const s = inspectTflite(t.bytes);
    expect(s.ops.DEPTHWISE_CONV_2D).to.equal(17);
    const dw = s.tensors.find((x) => x.name === 'expanded_conv_depthwise/kernel')!;
    expect([
      dw.type,
      dw.shape.length,
      dw.shape[0],
      dw.quantization?.dimension,
      dw.quantization?.scale.length,
    ]).to.deep.equal(['INT8', 4, 1, 3, dw.shape[3]]);
    expect(s.operators.filter((o) => o.op === 'ADD').every((o) => s.tensors[o.outputs[0]!]!.type === 'INT8')).to.equal(
      true,
    );
    // Only the classifier (Dense with an inline softmax: no calibrated grid before the softmax) runs in float32.
    expect(t.report.floatLayers.map((f) => f.layer)).to.deep.equal(['predictions']);
    const x = randomInput([16, 32, 32, 3], 9);
    const xt = tf.tensor(x, [16, 32, 32, 3]);
    const float = tf.tidy(() => (model.predict(xt) as tf.Tensor).dataSync());
    const sim = tf.tidy(() => (q.predict(xt) as tf.Tensor).dataSync());
    xt.dispose();
    const tflite = runTflite(tfliteInterpreter(t), x);
    expect(sqnrDb(tflite, float)).to.be.above(30);
    expect(top1Agreement(tflite, sim, 10)).to.be.at.least(0.9);
    q.dispose();
    model.dispose();
  });

  it('the zoo model: a BatchNormalization that cannot be folded and a Dense with an inline tanh run in float32, named in the report', async () => {
    const model = zooModel(11);
    const calibration = tf.tensor(randomInput([64, 9, 8, 3], 2), [64, 9, 8, 3]);
    const { model: q } = await postTraining(
      model,
      { xs: calibration },
      {
        mode: 'static',
        calibrationCount: 64,
      },
    );
    calibration.dispose();
    const t = toTflite(q, { batchSize: 4 });
    expect(t.report.floatLayers.map((f) => f.layer)).to.deep.equal(['bn', 'd1', 'bn2']);
    const x = randomInput([8, 9, 8, 3], 3);
    const xt = tf.tensor(x, [8, 9, 8, 3]);
    const float = tf.tidy(() => (model.predict(xt) as tf.Tensor).dataSync());
    xt.dispose();
    expect(sqnrDb(runTflite(tfliteInterpreter(t), x), float)).to.be.above(25);
    q.dispose();
    model.dispose();
  });

  it('refuses plans TFLite cannot run with typed errors naming the layer and the way out', async () => {
    const dynamic = await postTraining(mlp, { mode: 'dynamic' });
    expect(() => toTflite(dynamic.model)).to.throw(ExportError, /static quantization plan.*mode 'dynamic'/);
    dynamic.model.dispose();
    const int4 = await postTraining(mlp, { mode: 'weight-only', weightBits: 4 });
    expect(() => toTflite(int4.model)).to.throw(ExportError, /static quantization plan.*mode 'weight-only'/);
    int4.model.dispose();
    const wide = await postTraining(mlp, smallMnist().train, {
      mode: 'static',
      calibrationCount: 50,
      activationBits: 12,
    });
    expect(() => toTflite(wide.model)).to.throw(ExportError, /8-bit activations, got 12 bits/);
    wide.model.dispose();
    const asym = await postTraining(mlp, smallMnist().train, {
      mode: 'static',
      calibrationCount: 50,
      weightSymmetric: false,
    });
    expect(() => toTflite(asym.model)).to.throw(ExportError, /symmetric signed kernels.*layer "fc1"/);
    asym.model.dispose();
    const odd = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'fc', inputShape: [4], units: 3 }),
        tf.layers.layerNormalization({ name: 'norm' }),
      ],
    });
    expect(() => toTflite(odd)).to.throw(ExportError, /layer "norm" of class LayerNormalization.*lib\/export\/tflite/);
    odd.dispose();
    const broken = tf.sequential({
      layers: [
        tf.layers.dense({
          name: 'fc',
          inputShape: [2],
          units: 2,
          weights: [
            tf.tensor2d([
              [1, Infinity],
              [0, 1],
            ]),
            tf.zeros([2]),
          ],
        }),
      ],
    });
    expect(() => toTflite(broken)).to.throw(ExportError, /finite weights, got Infinity in layer "fc"/);
    broken.dispose();
  });

  it('exporting INT8 leaks no tensors', async () => {
    const { model: q } = await postTraining(conv, smallMnist().train, {
      mode: 'static',
      calibrationCount: 50,
    });
    await expectNoLeak(() => {
      toTflite(q);
    });
    q.dispose();
  });
});
