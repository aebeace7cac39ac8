import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { postTraining } from '../../lib/quantize/post-training';
import { calibrateRanges } from '../../lib/quantize/calibrate';
import { quantizationAwareTraining } from '../../lib/quantize/qat';
import { fitBatchSize, memoryBudget, WASM_HEAP_MAX_BYTES } from '../../lib/quantize/memory-budget';
import { Reservoir } from '../../lib/quantize/reservoir';
import { createObserver } from '../../lib/quantize/observers';
import { ConfigError, ShapeError } from '../../lib/errors';
import { simpleNet } from '../../course/models/simplenet';
import { mobileNetStyle } from '../../course/models/mobilenet-style';
import { randomizeWeights } from '../export/fixtures';
import { expectNoLeak } from '../helpers/leak';
import { miniMobileNet } from './fixtures';

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The backend still computes after an error. */
function backendWorks(): boolean {
  return tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync()[1]) === 3;
}

describe('quantize calibration: memory, shapes, bounded observers', () => {
  it('memoryBudget: peak live activations of one example, by hand for SimpleNet (input + fc1 while fc1 runs)', () => {
    const m = simpleNet({ seed: 1 });
    const b = memoryBudget(m, 10, 2);
    expect(b.perExampleBytes).to.equal(4 * (784 + 256) + 2 * 4 * 784); // live set, and two intermediates of the largest
    expect(b.weightBytes).to.equal(4 * m.countParams());
    expect(b.estimateBytes).to.equal(Math.ceil((b.perExampleBytes * 2 * 10 + 4 * m.countParams()) * 1.5));
    expect(b.availableBytes).to.equal(WASM_HEAP_MAX_BYTES - b.inUseBytes);
    expect(b.heapBytes).to.be.above(0).and.at.most(WASM_HEAP_MAX_BYTES);
    m.dispose();
  });

  it('a batch whose estimate exceeds the wasm heap is refused before anything runs (ConfigError naming estimate, limit and the batch size to use); the backend still works', async () => {
    // 64 x 64 x 4096 float32 per example: 64 MiB of activations; 64 of them do not fit in 4 GiB.
    const inp = tf.input({ shape: [64, 64, 3] });
    const wide = tf.layers.conv2d({ filters: 4096, kernelSize: 1, name: 'wide' }).apply(inp) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ units: 2, name: 'out' })
      .apply(tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(wide)) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: out });
    const xs = tf.zeros([64, 64, 64, 3]);
    for (const call of [
      () => postTraining(m, { xs }, { mode: 'static', batchSize: 64 }),
      () => calibrateRanges(m, { xs }, { batchSize: 64 }),
    ]) {
      let err: unknown;
      await expectNoLeak(async () => {
        err = await caught(call());
      });
      expect(err).to.be.instanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).to.match(
        /a batch that fits in wasm's 4096 MiB heap minus \d+ MiB held by live tensors = \d+ MiB, got an estimated \d+ MiB for batchSize 64 \(\d+ MiB of live activations per example/,
      );
      const suggested = Number(/Pass batchSize: (\d+) or less/.exec(msg)?.[1]);
      expect(suggested).to.be.within(1, 63);
      const ok = memoryBudget(m, suggested, 1);
      expect(ok.estimateBytes).to.be.at.most(ok.availableBytes as number);
      expect(backendWorks()).to.equal(true);
    }
    // Left at its default, the batch size is lowered to what fits instead.
    expect(fitBatchSize(m, 32, 2, false, 'test').batchSize).to.be.within(1, 31);
    tf.dispose(xs);
    m.dispose();
  });

  it('8x8 images for a 32x32 model: a ShapeError naming both shapes from postTraining, calibrateRanges and QAT; nothing leaks; the backend works', async () => {
    const m = mobileNetStyle({
      seed: 1,
      alpha: 0.35,
      inputShape: [32, 32, 3],
      classes: 4,
      stages: [[1, 16, 1, 1]],
      lastFilters: 16,
    });
    const xs = tf.randomUniform([6, 8, 8, 3]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32'), 4);
    const small = tf.zeros([2, 8, 8, 3]);
    const calls: [string, () => Promise<unknown>][] = [
      ['quantize.postTraining', () => postTraining(m, { xs }, { mode: 'static' })],
      ['quantize.postTraining', () => postTraining(m, { xs }, { mode: 'dynamic' })],
      ['quantize.calibrateRanges', () => calibrateRanges(m, { xs })],
      ['fit', () => quantizationAwareTraining(m, { xs, ys }, { epochs: 1, seed: 1 })],
      ['quantize.calibrateRanges', () => calibrateRanges(m, tf.data.array([{ xs: small }]))],
    ];
    for (const [fn, call] of calls) {
      let err: unknown;
      await expectNoLeak(async () => {
        err = await caught(call());
      });
      expect(err, fn).to.be.instanceOf(ShapeError);
      expect((err as Error).message).to.match(
        new RegExp(
          `^${fn.replace('.', '\\.')}: inputs of shape \\[n, 32, 32, 3\\] \\(the model's input\\), got \\[\\d, 8, 8, 3\\]`,
        ),
      );
      expect(backendWorks()).to.equal(true);
    }
    tf.dispose([xs, ys, small]);
    m.dispose();
  });

  it('streamed results do not depend on the batch size: ranges and per-layer SQNR', async () => {
    const m = miniMobileNet(6);
    const xs = tf.randomUniform([30, 16, 16, 3], 0, 1, 'float32', 4);
    const run = (batchSize: number) => postTraining(m, { xs }, { mode: 'static', batchSize });
    const [a, b] = [await run(4), await run(30)];
    expect(a.report.points.map((p) => [p.min, p.max])).to.deep.equal(b.report.points.map((p) => [p.min, p.max]));
    a.report.layers.forEach((l, i) =>
      expect(l.outputSqnrDb).to.be.closeTo(b.report.layers[i]?.outputSqnrDb as number, 1e-3),
    );
    expect(a.report.memory?.batchSize).to.equal(4);
    [a.model, b.model, m].forEach((x) => x.dispose());
    tf.dispose(xs);
  });

  it('Reservoir keeps a uniform sample of fixed size, the same for a seed', () => {
    const stream = Float32Array.from({ length: 1_000_000 }, (_, i) => i);
    const r = new Reservoir(10000, 3);
    for (let i = 0; i < stream.length; i += 65536) r.add(stream.subarray(i, i + 65536));
    const s = r.sample();
    expect(s.length).to.equal(10000);
    expect(r.count).to.equal(1_000_000);
    expect(new Set(s).size).to.equal(10000);
    const mean = s.reduce((a, v) => a + v, 0) / s.length;
    expect(mean).to.be.closeTo(500000, 10000); // sd of the mean: 289000 / sqrt(10000) = 2890
    const again = new Reservoir(10000, 3);
    again.add(stream);
    expect(Array.from(again.sample())).to.deep.equal(Array.from(s));
    const small = new Reservoir(100, 1);
    small.add([1, 2, 3]);
    expect(Array.from(small.sample())).to.deep.equal([1, 2, 3]);
  });

  it('observers keep at most sampleSize values and still find the percentile of a long stream', () => {
    const o = createObserver({ method: 'percentile', percentile: 99, sampleSize: 4096, seed: 2 });
    for (let b = 0; b < 20; b++)
      o.observe(Float32Array.from({ length: 50000 }, (_, i) => ((i * 7919 + b * 13) % 50000) / 50000));
    expect(o.count).to.equal(1_000_000);
    const r = o.range();
    expect(r.max).to.be.closeTo(0.99, 0.01);
    expect(r.min).to.be.closeTo(0.01, 0.01);
    expect(() => createObserver({ method: 'mse', sampleSize: 10 })).to.throw(
      ConfigError,
      /sampleSize an integer in \[256, 2\^24\], got 10/,
    );
  });

  it('QAT and postTraining accept randomized MobileNetV2-style models and stream with a small batch', async () => {
    const m = miniMobileNet(7);
    randomizeWeights(m, 8);
    const xs = tf.randomUniform([12, 16, 16, 3], 0, 1, 'float32', 5);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
    await expectNoLeak(async () => {
      const { model: q, report } = await quantizationAwareTraining(m, { xs, ys }, { epochs: 1, seed: 1, batchSize: 4 });
      expect(report.steps).to.equal(3);
      return q;
    });
    tf.dispose([xs, ys]);
    m.dispose();
  });
});
