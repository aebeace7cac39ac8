import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { onnx } from 'onnx-proto';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { inspectOnnx } from '../../lib/export/onnx/inspect';
import { packMatMulNBits } from '../../lib/export/onnx/matmul-nbits';
import { postTraining } from '../../lib/quantize/post-training';
import { planOf } from '../../lib/quantize/plan';
import { QParams } from '../../lib/quantize/qparams';
import { toTensors } from '../../lib/data/tensors';
import { ExportError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';
import { smallMnist, tinyCnn, tinyMlp } from '../quantize/fixtures';

/** Max |ORT - tfjs| of the quantized model on `x`, and the largest |output| (for scale). */
async function ortVsTfjs(
  q: tf.LayersModel,
  x: tf.Tensor,
  options: Parameters<typeof toOnnx>[1] = {},
): Promise<{ maxDiff: number; maxAbs: number }> {
  const session = await ortSession(toOnnx(q, options));
  const got = await runOrt(session, x.dataSync() as Float32Array, x.shape);
  await session.release();
  const want = tf.tidy(() => (q.predict(x) as tf.Tensor).dataSync());
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs((want[i] as number) - (got.data[i] as number)));
    maxAbs = Math.max(maxAbs, Math.abs(want[i] as number));
  }
  return { maxDiff, maxAbs };
}

/** A 4-bit blockwise QParams by hand: scale 1 everywhere, blocks of 32, symmetric signed or unsigned with zero points `zp`. */
function handParams(n: number, blocks: number, zp?: number[]): QParams {
  const signed = zp === undefined;
  return {
    bits: 4,
    signed,
    symmetric: signed,
    axis: 1,
    qmin: signed ? -7 : 0,
    qmax: signed ? 7 : 15,
    blockSize: 32,
    scale: new Float32Array(n * blocks).fill(1),
    zeroPoint: Int32Array.from(zp ?? new Array(n * blocks).fill(0)),
  };
}

describe('export/onnx int4 weight-only (MatMulNBits)', () => {
  let mlp: tf.LayersModel;
  let flat: tf.Tensor;
  before(async () => {
    mlp = await tinyMlp();
    flat = toTensors(smallMnist().test, { inputShape: [784], start: 0, end: 300 }).xs;
  });
  after(() => {
    mlp.dispose();
    flat.dispose();
  });

  it("packs in ONNX Runtime's layout: [N, nBlocks, 16] bytes, low nibble first, values shifted by 8 (hand-checked)", () => {
    // K = 40 (two blocks, the second padded), N = 2; column 0 holds (r mod 15) - 7, column 1 its negation.
    const data = new Float32Array(80);
    for (let r = 0; r < 40; r++) {
      data[r * 2] = (r % 15) - 7;
      data[r * 2 + 1] = 7 - (r % 15);
    }
    const m = packMatMulNBits(data, [40, 2], handParams(2, 2));
    expect([m.k, m.n, m.blocks, m.blockSize, m.b.length, m.scales.length, m.zeroPoints]).to.deep.equal([
      40,
      2,
      2,
      32,
      2 * 2 * 16,
      4,
      undefined,
    ]);
    // Column 0, block 0: stored values (r mod 15) + 1 = 1, 2, 3, ...: byte 0 = 1 | 2 << 4.
    expect(Array.from(m.b.subarray(0, 3))).to.deep.equal([0x21, 0x43, 0x65]);
    // Column 0, block 1 (rows 32-39, then 24 padding values at the zero point 8): rows 32, 33 -> 3, 4.
    expect(m.b[16]).to.equal(3 | (4 << 4));
    expect(m.b[31]).to.equal(0x88);
    // Column 1 starts after column 0's two blocks: 7 - (r mod 15), stored + 8: 15, 14.
    expect(m.b[32]).to.equal(15 | (14 << 4));
  });

  it('packs asymmetric zero points per output channel, two a byte, low nibble first', () => {
    // N = 2, 3 blocks (K = 96): zero points [nBlocks, N] = [[1, 2], [3, 4], [5, 6]] in tfjs layout.
    const m = packMatMulNBits(new Float32Array(96 * 2), [96, 2], handParams(2, 3, [1, 2, 3, 4, 5, 6]));
    // ORT layout per channel: channel 0 -> 1, 3, 5 ; channel 1 -> 2, 4, 6 ; ceil(3 / 2) = 2 bytes each.
    expect(Array.from(m.zeroPoints as Uint8Array)).to.deep.equal([1 | (3 << 4), 5, 2 | (4 << 4), 6]);
    expect(
      Array.from(
        packMatMulNBits(new Float32Array(96 * 2), [96, 2], handParams(2, 3, [1, 2, 3, 4, 5, 6]), 'float')
          .zeroPoints as Float32Array,
      ),
    ).to.deep.equal([1, 3, 5, 2, 4, 6]);
  });

  it('ONNX Runtime computes what the simulated tfjs model computes (|diff| <= 1e-5 of the output scale), every block size, symmetric or not', async () => {
    for (const blockSize of [32, 64, 128]) {
      for (const weightSymmetric of [true, false]) {
        const { model: q } = await postTraining(mlp, {
          mode: 'weight-only',
          weightBits: 4,
          blockSize,
          weightSymmetric,
        });
        const onnx = toOnnx(q);
        expect(onnx.report.ops).to.deep.equal({ MatMulNBits: 3, Relu: 2, Identity: 1 });
        const { maxDiff, maxAbs } = await ortVsTfjs(q, flat);
        expect(maxDiff, `blocks of ${blockSize}, symmetric ${weightSymmetric}`).to.be.at.most(1e-5 * maxAbs);
        q.dispose();
      }
    }
  });

  it("the report's sizeBytes equals the file's initializer bytes (MLP and CNN, symmetric and asymmetric), and the int4 file is under a fifth of fp32", async () => {
    const conv = await tinyCnn();
    const images = toTensors(smallMnist().test, { inputShape: [28, 28, 1], start: 0, end: 100 }).xs;
    for (const model of [mlp, conv]) {
      for (const weightSymmetric of [true, false]) {
        const { model: q, report } = await postTraining(model, { mode: 'weight-only', weightBits: 4, weightSymmetric });
        const onnx = toOnnx(q);
        expect(inspectOnnx(onnx.bytes).initializerBytes, `${model.name} ${weightSymmetric}`).to.equal(report.sizeBytes);
        if (model === conv) {
          expect(onnx.report.ops.MatMulNBits).to.equal(2);
          expect(onnx.report.ops.DequantizeLinear).to.equal(2); // the 8-bit convolution kernels
          const { maxDiff, maxAbs } = await ortVsTfjs(q, images);
          expect(maxDiff).to.be.at.most(1e-5 * maxAbs);
        }
        q.dispose();
      }
    }
    const { model: q4 } = await postTraining(mlp, { mode: 'weight-only', weightBits: 4 });
    expect(toOnnx(q4).report.sizeBytes / toOnnx(mlp).report.sizeBytes).to.be.below(0.2);
    q4.dispose();
    images.dispose();
    conv.dispose();
  });

  it('declares com.microsoft opset 1 only when a MatMulNBits node is present', async () => {
    const { model: q } = await postTraining(mlp, { mode: 'weight-only', weightBits: 4 });
    const domains = (bytes: Uint8Array) =>
      onnx.ModelProto.decode(bytes).opsetImport.map((o) => `${o.domain}:${o.version}`);
    expect(domains(toOnnx(q).bytes)).to.deep.equal([':13', 'com.microsoft:1']);
    expect(domains(toOnnx(mlp).bytes)).to.deep.equal([':13']);
    q.dispose();
  });

  it('refuses blockwise parameters on a convolution and a non-4-bit blockwise plan with ExportError naming the layer', async () => {
    const conv = await tinyCnn();
    const { model: q } = await postTraining(conv, { mode: 'weight-only', weightBits: 4 });
    const plan = planOf(q) as NonNullable<ReturnType<typeof planOf>>;
    const bad = { ...plan, weights: { ...plan.weights, conv1: { ...(plan.weights.conv1 as QParams), blockSize: 32 } } };
    expect(() => toOnnx(q, { plan: bad })).to.throw(
      ExportError,
      /Conv2D layer "conv1" with blockwise weights is not supported/,
    );
    const eight = { ...plan, weights: { ...plan.weights, fc1: { ...(plan.weights.fc1 as QParams), bits: 8 } } };
    expect(() => toOnnx(q, { plan: eight })).to.throw(ExportError, /4-bit blockwise kernel parameters .* got 8 bits/);
    [q, conv].forEach((m) => m.dispose());
  });

  it('exporting leaks no tensors', async () => {
    const { model: q } = await postTraining(mlp, { mode: 'weight-only', weightBits: 4, weightSymmetric: false });
    await expectNoLeak(() => {
      toOnnx(q);
      toOnnx(q, { target: 'openvino' });
    });
    q.dispose();
  });
});
