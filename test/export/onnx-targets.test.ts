import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { checkOnnxTarget } from '../../lib/export/onnx/check-target';
import { OnnxGraph } from '../../lib/export/onnx/builder';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { postTraining } from '../../lib/quantize/post-training';
import { toTensors } from '../../lib/data/tensors';
import { ConfigError, DataError, ExportError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';
import { smallMnist, tinyCnn, tinyMlp } from '../quantize/fixtures';

const TARGETS = ['ort', 'tensorrt', 'openvino'] as const;

/** Argmax agreement between ONNX Runtime running `bytes` and the tfjs model `q` on `x`; and ORT's outputs. */
async function agreement(bytes: Uint8Array, q: tf.LayersModel, x: tf.Tensor): Promise<number> {
  const session = await ortSession(bytes);
  const got = await runOrt(session, x.dataSync() as Float32Array, x.shape);
  await session.release();
  const want = tf.tidy(() => (q.predict(x) as tf.Tensor).argMax(-1).dataSync());
  const classes = got.dims[1] as number;
  let same = 0;
  for (let r = 0; r < (got.dims[0] as number); r++) {
    let b = 0;
    for (let j = 1; j < classes; j++)
      if ((got.data[r * classes + j] as number) > (got.data[r * classes + b] as number)) b = j;
    if (b === want[r]) same++;
  }
  return same / (got.dims[0] as number);
}

/** A one-layer graph: input [4] -> QuantizeLinear/DequantizeLinear (zero point `zp`, uint8) -> Gemm with int8 per-channel DQ weights on `axis` -> (Relu). */
function handGraph(o: { zp: number; weightAxis: number; qThenRelu?: boolean }): Uint8Array {
  const g = new OnnxGraph();
  const s = g.constant('s', Float32Array.of(0.1), []);
  const z = g.constant('z', Uint8Array.of(o.zp), []);
  const q = g.op('QuantizeLinear', ['input', s, z], 'x_q');
  const x = o.qThenRelu ? g.op('Relu', [q], 'x_relu') : g.op('DequantizeLinear', [q, s, z], 'x_dq');
  const w = g.constant('w', Int8Array.from([1, -2, 3, -4, 5, -6, 7, -8]), [4, 2]);
  const wsAxis = o.weightAxis;
  const ws = g.constant('ws', wsAxis === 1 ? Float32Array.of(0.5, 0.25) : Float32Array.of(0.5, 0.25, 1, 2), [
    wsAxis === 1 ? 2 : 4,
  ]);
  const wz = g.constant('wz', new Int8Array(wsAxis === 1 ? 2 : 4), [wsAxis === 1 ? 2 : 4]);
  const wdq = g.op('DequantizeLinear', [w, ws, wz], 'w_dq', { axis: { int: wsAxis } });
  const y = g.op('Gemm', [x, wdq], 'fc');
  g.nodes.push({ opType: 'Identity', name: 'out', input: [y], output: ['output'] });
  return g.encode({ name: 'input', shape: [4] }, { name: 'output', shape: [2] }, 'hand');
}

describe('export/onnx target profiles (TensorRT, OpenVINO rules; run in ONNX Runtime)', () => {
  let mlp: tf.LayersModel;
  let conv: tf.LayersModel;
  let flat: tf.Tensor;
  let images: tf.Tensor;
  before(async () => {
    mlp = await tinyMlp();
    conv = await tinyCnn();
    flat = toTensors(smallMnist().test, { inputShape: [784], start: 0, end: 500 }).xs;
    images = toTensors(smallMnist().test, { inputShape: [28, 28, 1], start: 0, end: 300 }).xs;
  });
  after(() => {
    [mlp, conv].forEach((m) => m.dispose());
    tf.dispose([flat, images]);
  });

  it('checks hand-built graphs: uint8 and a nonzero zero point, weights per channel on the wrong axis, a QuantizeLinear not paired', () => {
    const ok = handGraph({ zp: 0, weightAxis: 1 });
    expect(checkOnnxTarget(ok, 'openvino')).to.deep.equal([]);
    // uint8 activations: TensorRT takes int8 only (the Q and the DQ both); zero point 3 breaks its zero-point rule twice.
    const rules = (b: Uint8Array, t: (typeof TARGETS)[number]) =>
      checkOnnxTarget(b, t).map((v) => `${v.op} ${v.tensor}: ${v.rule}`);
    expect(rules(ok, 'tensorrt')).to.deep.equal([
      'QuantizeLinear x_q: TensorRT: activations as int8, got uint8',
      'DequantizeLinear x_dq: TensorRT: activations as int8, got uint8',
    ]);
    const zp3 = handGraph({ zp: 3, weightAxis: 1 });
    expect(rules(zp3, 'tensorrt').filter((r) => /zero points must be 0/.test(r))).to.deep.equal([
      'QuantizeLinear z: TensorRT: zero points must be 0 (symmetric quantization only)',
      'DequantizeLinear z: TensorRT: zero points must be 0 (symmetric quantization only)',
    ]);
    expect(rules(zp3, 'ort')).to.deep.equal([]);
    // Gemm's B [K, N] (transB 0) has its output channels on axis 1; axis 0 is the input axis.
    expect(rules(handGraph({ zp: 0, weightAxis: 0 }), 'tensorrt')).to.include(
      'DequantizeLinear w: TensorRT: per-channel weights along the output-channel axis (1 for Gemm), got axis 0',
    );
    expect(rules(handGraph({ zp: 0, weightAxis: 1, qThenRelu: true }), 'openvino')).to.deep.equal([
      'QuantizeLinear x_q: OpenVINO: each QuantizeLinear read only by DequantizeLinear with the same scale and zero point (the pair that becomes one FakeQuantize)',
    ]);
    const v = checkOnnxTarget(zp3, 'tensorrt')[0];
    expect(Object.keys(v ?? {})).to.deep.equal(['node', 'op', 'tensor', 'rule', 'fix']);
    expect(v?.node).to.equal('x_q/QuantizeLinear');
  });

  it('static INT8 for TensorRT: 0 violations, signed int8 QDQ with zero points 0 and float biases; it runs in ONNX Runtime and agrees with the simulated model', async () => {
    for (const [model, x] of [
      [mlp, flat],
      [conv, images],
    ] as const) {
      const { model: q } = await postTraining(model, smallMnist().train, {
        mode: 'static',
        calibrationCount: 300,
      });
      const trt = toOnnx(q, { target: 'tensorrt' });
      expect(trt.report.target).to.equal('tensorrt');
      expect(checkOnnxTarget(trt.bytes, 'tensorrt'), model.name).to.deep.equal([]);
      // The plan's uint8 grids were re-derived as symmetric int8 over the same ranges.
      expect(trt.report.regridded.length).to.be.above(0);
      expect(await agreement(trt.bytes, q, x), model.name).to.be.at.least(0.98);
      // The default (ONNX Runtime) form breaks TensorRT's rules: uint8 activations and int32 biases.
      const ortForm = checkOnnxTarget(toOnnx(q).bytes, 'tensorrt').map((r) => r.rule);
      expect(ortForm.some((r) => /activations as int8, got uint8/.test(r))).to.equal(true);
      expect(ortForm.some((r) => /no int32 DequantizeLinear/.test(r))).to.equal(true);
      q.dispose();
    }
  });

  it("activationSymmetric makes the plan itself TensorRT's: nothing re-derived, every target file agrees with the simulated model", async () => {
    const { model: q, report } = await postTraining(mlp, smallMnist().train, {
      mode: 'static',
      calibrationCount: 300,
      activationSymmetric: true,
    });
    expect(report.points.filter((p) => p.point).every((p) => p.zeroPoint === 0)).to.equal(true);
    for (const target of TARGETS) {
      const file = toOnnx(q, { target });
      expect(file.report.regridded, target).to.deep.equal([]);
      expect(checkOnnxTarget(file.bytes, target), target).to.deep.equal([]);
      expect(await agreement(file.bytes, q, flat), target).to.be.at.least(0.99);
    }
    q.dispose();
  });

  it('OpenVINO: QDQ pairs with int8 weights and float biases, 0 violations, runs in ONNX Runtime; int4 with one float zero point per block', async () => {
    const { model: q } = await postTraining(conv, smallMnist().train, {
      mode: 'static',
      calibrationCount: 300,
    });
    const ov = toOnnx(q, { target: 'openvino' });
    expect(ov.report.regridded).to.deep.equal([]); // OpenVINO takes the uint8 grids as planned
    expect(checkOnnxTarget(ov.bytes, 'openvino')).to.deep.equal([]);
    expect(await agreement(ov.bytes, q, images)).to.be.at.least(0.99);
    q.dispose();
    const { model: q4 } = await postTraining(mlp, { mode: 'weight-only', weightBits: 4, weightSymmetric: false });
    expect(checkOnnxTarget(toOnnx(q4).bytes, 'openvino').map((v) => v.rule)).to.deep.equal(
      new Array(3).fill(
        'OpenVINO: MatMulNBits zero points one float per block (packed 4-bit zero points are not read as such)',
      ),
    );
    const ov4 = toOnnx(q4, { target: 'openvino' });
    expect(checkOnnxTarget(ov4.bytes, 'openvino')).to.deep.equal([]);
    expect(await agreement(ov4.bytes, q4, flat)).to.equal(1);
    q4.dispose();
  });

  it("negative: a dynamic-mode file breaks TensorRT's and OpenVINO's rules, and toOnnx refuses dynamic or int4 for TensorRT", async () => {
    const { model: d } = await postTraining(mlp, { mode: 'dynamic' });
    const file = toOnnx(d).bytes;
    const trt = checkOnnxTarget(file, 'tensorrt');
    expect([...new Set(trt.map((v) => v.op))].sort()).to.deep.equal(['DynamicQuantizeLinear', 'MatMulInteger']);
    expect(trt.length).to.equal(6);
    expect(trt[0]?.fix).to.match(/Quantize with mode 'static'/);
    expect(checkOnnxTarget(file, 'openvino').length).to.equal(6);
    expect(checkOnnxTarget(file, 'ort')).to.deep.equal([]);
    expect(() => toOnnx(d, { target: 'tensorrt' })).to.throw(
      ExportError,
      /toOnnx: a quantization mode TensorRT takes \(weight-only, static\), got 'dynamic'/,
    );
    const { model: q4 } = await postTraining(mlp, { mode: 'weight-only', weightBits: 4 });
    expect(() => toOnnx(q4, { target: 'tensorrt' })).to.throw(
      ExportError,
      /got blockwise int4 weights \(MatMulNBits, an ONNX Runtime contrib op\) in layer "fc1"/,
    );
    expect(checkOnnxTarget(toOnnx(q4).bytes, 'tensorrt').map((v) => v.op)).to.deep.equal(
      new Array(3).fill('com.microsoft.MatMulNBits'),
    );
    const { model: asym } = await postTraining(mlp, { mode: 'weight-only', weightSymmetric: false });
    expect(() => toOnnx(asym, { target: 'openvino' })).to.throw(
      ExportError,
      /unsigned asymmetric weights in layer "fc1"/,
    );
    [d, q4, asym].forEach((m) => m.dispose());
  });

  it('a float model and weight-only INT8 have 0 violations for every target; bad targets and bytes are typed errors; no leaks', async () => {
    for (const t of TARGETS) expect(checkOnnxTarget(toOnnx(conv, { target: t }).bytes, t), t).to.deep.equal([]);
    const { model: w8 } = await postTraining(conv, { mode: 'weight-only' });
    for (const t of TARGETS) {
      const file = toOnnx(w8, { target: t });
      expect(checkOnnxTarget(file.bytes, t), t).to.deep.equal([]);
      // Not 1: ONNX Runtime's extended optimizer rewrites DequantizeLinear(int8) + Gemm into an 8-bit
      // MatMulNBits that quantizes its input to int8 (measured: max |diff| 0.02 on this CNN's logits).
      expect(await agreement(file.bytes, w8, images), t).to.be.at.least(0.98);
    }
    w8.dispose();
    expect(() => checkOnnxTarget(toOnnx(mlp).bytes, 'coreml' as 'ort')).to.throw(
      ConfigError,
      /checkOnnxTarget: target 'ort', 'tensorrt' or 'openvino', got "coreml"/,
    );
    expect(() => toOnnx(mlp, { target: 'trt' as 'ort' })).to.throw(ConfigError, /toOnnx: target/);
    expect(() => checkOnnxTarget(Uint8Array.of(0xff, 0xff, 0xff), 'ort')).to.throw(
      DataError,
      /checkOnnxTarget: an ONNX model file/,
    );
    const { model: q } = await postTraining(mlp, { xs: flat }, { mode: 'static', calibrationCount: 100 });
    await expectNoLeak(() => {
      for (const t of TARGETS) checkOnnxTarget(toOnnx(q, { target: t }).bytes, t);
    });
    q.dispose();
  });
});
