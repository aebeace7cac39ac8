import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { postTraining } from '../../lib/quantize/post-training';
import { planOf } from '../../lib/quantize/plan';
import { dequantize, quantize } from '../../lib/quantize/affine';
import { blockwiseBytes } from '../../lib/quantize/quantized-model';
import { evaluate } from '../../lib/train/evaluate';
import { loadModel, saveModel } from '../../lib/data/model-io';
import { toTensors } from '../../lib/data/tensors';
import { ConfigError } from '../../lib/errors';
import { maxAbsDiff } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';
import { smallMnist, tinyCnn, tinyMlp } from './fixtures';

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

describe('quantize/postTraining weight-only int4 (blockwise)', () => {
  let mlp: tf.LayersModel;
  before(async () => {
    mlp = await tinyMlp();
  });
  after(() => mlp.dispose());

  it('Dense kernels in blocks of 32 by default: the model holds dequantize(quantize(kernel)), the plan survives save/load', async () => {
    const { model: q, report } = await postTraining(mlp, { mode: 'weight-only', weightBits: 4 });
    expect(report.blockSize).to.equal(32);
    expect(report.layers.map((l) => [l.layer, l.bits, l.granularity, l.blockSize])).to.deep.equal([
      ['fc1', 4, 'per-block', 32],
      ['fc2', 4, 'per-block', 32],
      ['fc3', 4, 'per-block', 32],
    ]);
    const plan = planOf(q);
    const qp = plan?.weights.fc1;
    expect(qp?.blockSize).to.equal(32);
    expect(qp?.scale.length).to.equal(25 * 64); // ceil(784 / 32) blocks x 64 outputs
    const k = mlp.getLayer('fc1').getWeights()[0] as tf.Tensor;
    const want = tf.tidy(() => dequantize(quantize(k, qp as NonNullable<typeof qp>), qp as NonNullable<typeof qp>));
    expect(maxAbsDiff(q.getLayer('fc1').getWeights()[0] as tf.Tensor, want)).to.equal(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-int4-'));
    await saveModel(q, dir);
    const loaded = await loadModel(dir);
    expect(planOf(loaded)).to.deep.equal(plan);
    // Parameter bytes as MatMulNBits stores them: 16 bytes of int4 and one float32 scale per block of 32, no zero points (symmetric), float32 biases.
    const bytes = [
      [784, 64],
      [64, 32],
      [32, 10],
    ].reduce((a, [kk, n]) => a + (n as number) * Math.ceil((kk as number) / 32) * (16 + 4) + 4 * (n as number), 0);
    expect(report.sizeBytes).to.equal(bytes);
    expect(blockwiseBytes(qp as NonNullable<typeof qp>, [784, 64])).to.equal(64 * 25 * 20);
    want.dispose();
    [q, loaded].forEach((m) => m.dispose());
    fs.rmSync(dir, { recursive: true });
  });

  it('blocks keep more of each kernel than one scale per channel at 4 bits, and accuracy stays within 2 points of float', async () => {
    const { model: block, report: rb } = await postTraining(mlp, { mode: 'weight-only', weightBits: 4, blockSize: 32 });
    const { model: channel, report: rc } = await postTraining(mlp, {
      mode: 'weight-only',
      weightBits: 4,
      granularity: 'per-channel',
    });
    // fc1 (784 inputs) and fc2 (64) have several blocks per channel; fc3 (32 inputs) has one: the same scales as per channel.
    expect(rb.layers[0]?.weightSqnrDb).to.be.above(rc.layers[0]?.weightSqnrDb as number);
    expect(rb.layers[1]?.weightSqnrDb).to.be.above(rc.layers[1]?.weightSqnrDb as number);
    expect(rb.layers[2]?.weightSqnrDb).to.equal(rc.layers[2]?.weightSqnrDb);
    expect(rc.layers.every((l) => l.granularity === 'per-channel' && l.blockSize === undefined)).to.equal(true);
    const test = smallMnist().test;
    const [f, b] = [(await evaluate(mlp, test)).accuracy, (await evaluate(block, test)).accuracy];
    expect(f - b).to.be.below(0.02);
    [block, channel].forEach((m) => m.dispose());
  });

  it('larger blocks store fewer scales; asymmetric blocks add packed zero points', async () => {
    const sizes: Record<string, number> = {};
    for (const blockSize of [32, 64, 128]) {
      for (const weightSymmetric of [true, false]) {
        const { model: q, report } = await postTraining(mlp, {
          mode: 'weight-only',
          weightBits: 4,
          blockSize,
          weightSymmetric,
        });
        sizes[`${blockSize} ${weightSymmetric}`] = report.sizeBytes;
        const fc2 = planOf(q)?.weights.fc2;
        expect(fc2?.scale.length, `${blockSize}`).to.equal(Math.ceil(64 / blockSize) * 32);
        q.dispose();
      }
    }
    expect(sizes['64 true']).to.be.below(sizes['32 true'] as number);
    // fc1 784 inputs: 7 blocks of 128 pad 112 rows per column, more than the 6 scales saved over blocks of 64.
    expect(sizes['128 true']).to.be.above(sizes['64 true'] as number);
    // Zero points: ceil(blocks / 2) bytes per output channel of each layer.
    const zp = [
      [784, 64],
      [64, 32],
      [32, 10],
    ].reduce((a, [k, n]) => a + (n as number) * Math.ceil(Math.ceil((k as number) / 32) / 2), 0);
    expect((sizes['32 false'] as number) - (sizes['32 true'] as number)).to.equal(zp);
  });

  it('convolution kernels stay 8-bit per channel (with a warning saying so); Dense kernels of the CNN go blockwise', async () => {
    const conv = await tinyCnn();
    const { model: q, report } = await postTraining(conv, { mode: 'weight-only', weightBits: 4 });
    expect(report.layers.map((l) => [l.layer, l.bits, l.granularity])).to.deep.equal([
      ['conv1', 8, 'per-channel'],
      ['conv2', 8, 'per-channel'],
      ['fc1', 4, 'per-block'],
      ['fc2', 4, 'per-block'],
    ]);
    expect(report.warnings.join(' ')).to.match(
      /blockwise for Dense kernels only .*2 convolution kernel\(s\) kept at 8 bits per channel \(conv1, conv2\)/,
    );
    // An explicit per-layer width still applies to a convolution.
    const { report: r2 } = await postTraining(conv, {
      mode: 'weight-only',
      weightBits: 4,
      layers: { conv1: { weightBits: 4 } },
    }).then((r) => {
      r.model.dispose();
      return r;
    });
    expect(r2.layers.find((l) => l.layer === 'conv1')?.bits).to.equal(4);
    [q, conv].forEach((m) => m.dispose());
  });

  it('refuses a bad blockSize and blockSize outside weight-only int4 with ConfigError', async () => {
    for (const bs of [16, 48, 256, 32.5, '32', 0]) {
      await expectReject(
        postTraining(mlp, { mode: 'weight-only', weightBits: 4, blockSize: bs as number }),
        ConfigError,
        /quantize\.postTraining: blockSize a power of two in \[32, 128\], got/,
      );
    }
    await expectReject(
      postTraining(mlp, smallMnist().train, { mode: 'static', weightBits: 4, blockSize: 32 }),
      ConfigError,
      /blockSize with mode 'weight-only', weightBits 4 and no granularity, got mode "static"/,
    );
    await expectReject(postTraining(mlp, { mode: 'weight-only', blockSize: 32 }), ConfigError, /weightBits 8/);
    await expectReject(
      postTraining(mlp, { mode: 'weight-only', weightBits: 4, granularity: 'per-channel', blockSize: 64 }),
      ConfigError,
      /granularity "per-channel"/,
    );
  });

  it('leaks no tensors (quantize, predict, error paths)', async () => {
    const x = toTensors(smallMnist().test, { inputShape: [784], start: 0, end: 20 }).xs;
    await expectNoLeak(async () => {
      const { model: q } = await postTraining(
        mlp,
        { xs: x },
        {
          mode: 'weight-only',
          weightBits: 4,
          blockSize: 64,
          weightSymmetric: false,
        },
      );
      (q.predict(x) as tf.Tensor).dispose();
      q.dispose();
      await postTraining(mlp, { mode: 'weight-only', weightBits: 4, blockSize: 48 }).catch(() => undefined);
    });
    x.dispose();
  });
});
