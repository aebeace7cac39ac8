import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError, ShapeError } from '../../lib/errors';
import { makeImageSet } from '../../lib/data/image-set';
import { simpleNet } from '../../course/models/simplenet';
import { magnitude } from '../../lib/prune/magnitude';
import { ConstantSparsity, PolynomialDecay } from '../../lib/prune/schedule';
import { fineTune, iterativePrune, pruningHooks } from '../../lib/prune/training';
import { sparsityReport } from '../../lib/prune/sparsity';
import { sensitivityScan } from '../../lib/prune/sensitivity';
import { expectNoLeak } from '../helpers/leak';
import { Rng } from '../../lib/core/rng';

function tinyData(n = 64) {
  const rng = new Rng(5);
  const images = new Uint8Array(n * 16);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(256);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.int(3);
  return makeImageSet('tiny', images, labels, { height: 4, width: 4 }, ['a', 'b', 'c']);
}
const tinyNet = () => simpleNet({ seed: 1, hidden: [16, 8], inputSize: 16, numClasses: 3 });

describe('prune/schedule', () => {
  it('ConstantSparsity prunes every `frequency` steps in its window', () => {
    const s = new ConstantSparsity({ targetSparsity: 0.9, beginStep: 10, endStep: 30, frequency: 10 });
    expect([0, 10, 15, 20, 30, 40].map((t) => s.shouldPrune(t))).to.deep.equal([false, true, false, true, true, false]);
    expect(s.sparsityAt(5)).to.equal(0);
    expect(s.sparsityAt(12)).to.equal(0.9);
  });

  it('PolynomialDecay follows Zhu & Gupta', () => {
    const s = new PolynomialDecay({
      initialSparsity: 0.5,
      finalSparsity: 0.9,
      beginStep: 0,
      endStep: 100,
      frequency: 10,
    });
    expect(s.sparsityAt(0)).to.be.closeTo(0.5, 1e-12);
    expect(s.sparsityAt(50)).to.be.closeTo(0.9 - 0.4 * 0.125, 1e-12);
    expect(s.sparsityAt(100)).to.be.closeTo(0.9, 1e-12);
    expect(s.sparsityAt(1000)).to.be.closeTo(0.9, 1e-12);
    expect(s.shouldPrune(100)).to.equal(true);
    expect(s.shouldPrune(110)).to.equal(false);
  });

  it('rejects bad schedules with ConfigError', () => {
    expect(() => new ConstantSparsity({ targetSparsity: 1 })).to.throw(ConfigError);
    expect(() => new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.9, endStep: -1 })).to.throw(ConfigError);
    expect(() => new ConstantSparsity({ targetSparsity: 0.5, frequency: 0 })).to.throw(ConfigError, /frequency/);
  });
});

describe('prune/training', () => {
  it('fineTune keeps pruned weights exactly zero and does not modify its input', async () => {
    const model = tinyNet();
    const { model: pruned } = await magnitude(model, { sparsity: 0.7 });
    const before = sparsityReport(pruned).layers.map((l) => l.zeros);
    const w0 = Array.from(pruned.getWeights()[0]!.dataSync());
    const { model: tuned, report } = await fineTune(pruned, tinyData(), {
      epochs: 2,
      seed: 1,
      batchSize: 16,
      learningRate: 1e-2,
    });
    expect(report.sparsity.layers.map((l) => l.zeros)).to.deep.equal(before);
    expect(Array.from(pruned.getWeights()[0]!.dataSync())).to.deep.equal(w0);
    // and the kept weights did train
    expect(Array.from(tuned.getWeights()[0]!.dataSync())).to.not.deep.equal(w0);
    [model, pruned, tuned].forEach((m) => m.dispose());
  });

  it('a PolynomialDecay schedule reaches its final sparsity', async () => {
    const model = tinyNet();
    const schedule = new PolynomialDecay({
      initialSparsity: 0,
      finalSparsity: 0.8,
      beginStep: 0,
      endStep: 6,
      frequency: 2,
    });
    const { model: tuned, report } = await fineTune(model, tinyData(), { epochs: 2, seed: 1, batchSize: 16, schedule });
    expect(report.sparsity.layers.map((l) => l.sparsity)).to.deep.equal([0.80078125, 0.796875, 0.7916666666666666]);
    tuned.dispose();
    model.dispose();
  });

  it('iterativePrune steps through its sparsities', async () => {
    const model = tinyNet();
    const { model: out, report } = await iterativePrune(model, tinyData(), {
      sparsities: [0.5, 0.8],
      epochsPerRound: 1,
      seed: 1,
      batchSize: 32,
    });
    expect(report.rounds.map((r) => r.sparsity)).to.deep.equal([0.5, 0.8]);
    expect(report.sparsity.layers[0]!.zeros).to.equal(Math.round(0.8 * 256));
    out.dispose();
    model.dispose();
  });

  it('pruningHooks needs exactly one of masks or schedule', () => {
    const model = tinyNet();
    expect(() => pruningHooks(model, {})).to.throw(ConfigError, /exactly one of masks or schedule/);
    model.dispose();
  });

  it('fineTune and iterativePrune check data and fit options once, naming themselves (not fit), before any work', async () => {
    const model = tinyNet();
    const data = tinyData();
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => new Error('expected a rejection'),
        (e: unknown) => e as Error,
      );
    const round = { sparsities: [0.5], epochsPerRound: 1, seed: 1 };
    for (const [call, re] of [
      [
        () => fineTune(model, 'data/' as never, { epochs: 1, seed: 1 }),
        /^prune\.fineTune: data as a tf\.data\.Dataset/,
      ],
      [() => fineTune(model, data, { epochs: 1, seed: 1, batchSize: 0 }), /^prune\.fineTune: batchSize a positive/],
      [() => fineTune(model, data, { epochs: 1, seed: 1, workers: 2 }), /^prune\.fineTune: workers 1 \(the pruning/],
      [
        () => fineTune(model, data, { epochs: 1, seed: 1, validation: 'val/' as never }),
        /^prune\.fineTune: data as a tf\.data\.Dataset/,
      ],
      [() => iterativePrune(model, 'data/' as never, round), /^prune\.iterativePrune: data as a tf\.data\.Dataset/],
      [() => iterativePrune(model, data, { ...round, learningRate: -1 }), /^prune\.iterativePrune: learningRate > 0/],
    ] as const) {
      const before = tf.memory().numTensors;
      const err = await fail(call());
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.match(re);
      expect(tf.memory().numTensors).to.equal(before); // refused before the model was copied
    }
    model.dispose();
  });

  it('does not leak', async () => {
    const model = tinyNet();
    const schedule = new ConstantSparsity({ targetSparsity: 0.5, frequency: 2 });
    await expectNoLeak(() => fineTune(model, tinyData(32), { epochs: 1, seed: 1, batchSize: 16, schedule }));
    model.dispose();
  });
});

describe('prune with any DataSource (an RGB conv net ending in softmax)', () => {
  // 3 classes of 6x6x3 images: class c has a bright channel c.
  const n = 48;
  const xsData = new Float32Array(n * 6 * 6 * 3);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < 36; p++)
      for (let c = 0; c < 3; c++) xsData[(i * 36 + p) * 3 + c] = (c === i % 3 ? 0.8 : 0.1) + ((i * 7 + p) % 5) * 0.02;
  const rgbNet = () =>
    tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [6, 6, 3],
          filters: 8,
          kernelSize: 3,
          activation: 'relu',
          name: 'conv',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
        tf.layers.dense({
          units: 3,
          activation: 'softmax',
          name: 'probs',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        }),
      ],
    });
  /** The same examples as tensors {xs, ys} (what model.fit takes) and as a batched tf.data.Dataset of {xs, ys} (what model.fitDataset takes). */
  function sources() {
    const tensors = { xs: tf.tensor4d(xsData, [n, 6, 6, 3]), ys: tf.tensor1d(labels, 'int32') };
    const images = Array.from({ length: n }, (_, i) => tf.tensor3d(xsData.subarray(i * 108, (i + 1) * 108), [6, 6, 3]));
    const dataset = tf.data
      .zip({ xs: tf.data.array(images), ys: tf.data.array(Array.from(labels)) })
      .batch(16) as unknown as tf.data.Dataset<tf.TensorContainer>;
    return { tensors, dataset, dispose: () => tf.dispose([tensors.xs, tensors.ys, ...images]) };
  }

  it('fineTune, iterativePrune and sensitivityScan run on tensors and on a tf.data.Dataset, keeping the zeros', async () => {
    const model = rgbNet();
    const { tensors, dataset, dispose } = sources();
    const { model: pruned } = await magnitude(model, { sparsity: 0.5 });
    const zeros = sparsityReport(pruned).layers.map((l) => l.zeros);
    expect(zeros).to.deep.equal([Math.round(0.5 * 3 * 3 * 3 * 8), Math.round(0.5 * 8 * 3)]);
    await expectNoLeak(async () => {
      for (const data of [tensors, dataset]) {
        const { model: tuned, report } = await fineTune(pruned, data, {
          epochs: 3,
          seed: 1,
          batchSize: 16,
          learningRate: 0.03,
        });
        expect(report.sparsity.layers.map((l) => l.zeros)).to.deep.equal(zeros);
        expect(report.history.steps).to.equal(9);
        expect(report.history.epochs[2]!.loss).to.be.lessThan(report.history.epochs[0]!.loss);
        tuned.dispose();
        const it = await iterativePrune(model, data, {
          sparsities: [0.25, 0.5],
          epochsPerRound: 1,
          seed: 1,
          batchSize: 16,
        });
        expect(it.report.sparsity.layers.map((l) => l.zeros)).to.deep.equal(zeros);
        it.model.dispose();
        const scan = await sensitivityScan(model, data, { sparsities: [0, 0.9] });
        expect(scan.rows.map((r) => `${r.layer}@${r.sparsity}`)).to.deep.equal([
          'conv@0',
          'conv@0.9',
          'probs@0',
          'probs@0.9',
        ]);
        expect(scan.rows[0]!.accuracy).to.equal(scan.baseline.accuracy);
      }
    });
    // Both sources hold the same examples in the same order: the same scan.
    const [a, b] = [
      await sensitivityScan(model, tensors, { sparsities: [0.5] }),
      await sensitivityScan(model, dataset, { sparsities: [0.5] }),
    ];
    expect(b.rows.map((r) => r.accuracy)).to.deep.equal(a.rows.map((r) => r.accuracy));
    expect(b.baseline.loss).to.be.closeTo(a.baseline.loss, 1e-5);
    dispose();
    pruned.dispose();
    model.dispose();
  });

  it('wrong data is a typed error before training, nothing leaks and the backend stays usable', async () => {
    const model = rgbNet();
    const gray = { xs: tf.zeros([4, 6, 6, 1]), ys: tf.tensor1d([0, 1, 2, 0], 'int32') };
    const before = tf.memory().numTensors;
    for (const call of [
      () => fineTune(model, gray, { epochs: 1, seed: 1 }),
      () => iterativePrune(model, gray, { sparsities: [0.5], epochsPerRound: 1, seed: 1 }),
      () => sensitivityScan(model, gray, { sparsities: [0.5] }),
    ]) {
      let err: unknown;
      try {
        await call();
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ShapeError);
      expect((err as Error).message).to.match(
        /inputs of shape \[n, 6, 6, 3\] \(the model's input\), got \[4, 6, 6, 1\]/,
      );
    }
    expect(tf.memory().numTensors).to.equal(before);
    expect(tf.tidy(() => (model.predict(tf.ones([1, 6, 6, 3])) as tf.Tensor).shape)).to.deep.equal([1, 3]);
    tf.dispose([gray.xs, gray.ys]);
    model.dispose();
  });
});
