import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { fit } from '../../lib/train/fit';
import { evaluate, predictLabels } from '../../lib/train/evaluate';
import { consoleProgress, ProgressEvent } from '../../lib/train/progress';
import { simpleNet } from '../../course/models/simplenet';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { ConfigError, ShapeError } from '../../lib/errors';
import { setOutput } from '../../lib/core/output';
import { expectNoLeak } from '../helpers/leak';

describe('train', () => {
  const { train, test } = loadMnist();
  const small = sliceImageSet(train, 0, 2000);
  const smallTest = sliceImageSet(test, 0, 1000);

  it('fit is deterministic for a seed and learns (MNIST subset, 2 epochs)', async () => {
    const run = async () => {
      const m = simpleNet({ seed: 1, hidden: [32] });
      const events: ProgressEvent[] = [];
      const h = await fit(m, small, {
        epochs: 2,
        seed: 3,
        batchSize: 32,
        progress: (e) => events.push(e),
        validation: smallTest,
      });
      const w = Array.from((m.getWeights()[0] as tf.Tensor).dataSync().slice(0, 50));
      const acc = (await evaluate(m, smallTest)).accuracy;
      m.dispose();
      return { h, w, acc, events };
    };
    const a = await run();
    const b = await run();
    expect(a.w).to.deep.equal(b.w);
    expect(a.h.steps).to.equal(2 * Math.ceil(2000 / 32));
    expect(a.h.epochs[1]?.loss).to.be.lessThan(a.h.epochs[0]?.loss as number);
    expect(a.acc).to.be.greaterThan(0.8);
    expect(a.h.epochs[1]?.valAccuracy).to.equal(a.acc);
    expect(a.events.filter((e) => e.kind === 'epoch')).to.have.length(2);
  });

  it('fit calls beforeStep/afterStep once per step and leaks nothing', async () => {
    const m = simpleNet({ seed: 1, hidden: [8] });
    let before = 0;
    let after = 0;
    await expectNoLeak(() =>
      fit(m, sliceImageSet(train, 0, 256), {
        epochs: 1,
        seed: 1,
        batchSize: 64,
        beforeStep: () => before++,
        afterStep: () => after++,
      }).then(() => undefined),
    );
    expect([before, after]).to.deep.equal([4, 4]);
    m.dispose();
  });

  it('a learning-rate function is applied per epoch', async () => {
    const m = simpleNet({ seed: 1, hidden: [8] });
    const seen: number[] = [];
    await fit(m, sliceImageSet(train, 0, 128), {
      epochs: 3,
      seed: 1,
      learningRate: (e) => {
        seen.push(e);
        return 1e-3 / (e + 1);
      },
    });
    expect(seen).to.include.members([0, 1, 2]);
    m.dispose();
  });

  it('bad options are ConfigErrors', async () => {
    const m = simpleNet({ seed: 1, hidden: [8] });
    for (const [opts, re] of [
      [{ epochs: -1, seed: 1 }, /epochs a non-negative integer/],
      [{ epochs: 1, seed: NaN }, /seed a number/],
      [{ epochs: 1, seed: 1, learningRate: 0 }, /learningRate > 0/],
    ] as const) {
      let err: unknown;
      try {
        await fit(m, small, opts);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(re);
    }
    m.dispose();
  });

  it('evaluate and predictLabels agree, and a wrong-width model is a ShapeError', async () => {
    const m = simpleNet({ seed: 2, hidden: [8] });
    const ev = await evaluate(m, smallTest, { limit: 300 });
    const labels = await predictLabels(m, sliceImageSet(test, 0, 300));
    let hits = 0;
    labels.forEach((l, i) => {
      if (l === test.labels[i]) hits++;
    });
    expect(ev.count).to.equal(300);
    expect(ev.accuracy).to.be.closeTo(hits / 300, 1e-9);
    const wrong = simpleNet({ seed: 2, hidden: [8], numClasses: 3 });
    let err: unknown;
    try {
      await evaluate(wrong, smallTest);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ShapeError);
    m.dispose();
    wrong.dispose();
  });

  it('consoleProgress shows one line per epoch through the output sink', () => {
    const lines: string[] = [];
    const previous = setOutput((s) => lines.push(s));
    try {
      consoleProgress('x')({
        kind: 'epoch',
        epochs: 2,
        log: { epoch: 1, loss: 0.5, valAccuracy: 0.9, seconds: 1, examplesPerSecond: 100 },
      });
      consoleProgress('x')({ kind: 'batch', epoch: 1, epochs: 2, batch: 10, batches: 20 });
    } finally {
      setOutput(previous);
    }
    expect(lines).to.deep.equal(['x epoch 1/2  loss 0.5000  val acc 90.00%  1.0 s  100 ex/s']);
  });

  it('evaluate and predictLabels leak no tensors', async () => {
    const m = simpleNet({ seed: 2, hidden: [8] });
    await expectNoLeak(async () => {
      await evaluate(m, smallTest, { limit: 100, batchSize: 32 });
      await predictLabels(m, sliceImageSet(test, 0, 50));
    });
    m.dispose();
  });

  it('the data contract: tensors and a tf.data.Dataset of RGB images train a softmax classifier, with its own loss', async () => {
    // A tiny RGB conv net ending in softmax (like a Keras classifier), 3 classes, 6x6x3 inputs:
    // class c has a bright channel c.
    const n = 96;
    const xsData = new Float32Array(n * 6 * 6 * 3);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 3;
      for (let p = 0; p < 36; p++)
        for (let c = 0; c < 3; c++) xsData[(i * 36 + p) * 3 + c] = (c === i % 3 ? 0.8 : 0.1) + ((i * 7 + p) % 5) * 0.02;
    }
    const build = () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [6, 6, 3],
            filters: 8,
            kernelSize: 3,
            activation: 'relu',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
          }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({
            units: 3,
            activation: 'softmax',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
          }),
        ],
      });
    const xs = tf.tensor4d(xsData, [n, 6, 6, 3]);
    const ys = tf.tensor1d(labels, 'int32');
    const a = build();
    const b = build();
    // The dataset's source tensors live as long as the dataset (tf.data clones them per element).
    const images = Array.from({ length: n }, (_, i) => tf.tensor3d(xsData.subarray(i * 108, (i + 1) * 108), [6, 6, 3]));
    const ds = tf.data.zip({ xs: tf.data.array(images), ys: tf.data.array(Array.from(labels)) }).batch(16);
    await expectNoLeak(async () => {
      const ha = await fit(a, { xs, ys }, { epochs: 15, seed: 1, batchSize: 16, learningRate: 0.03 });
      expect(ha.epochs[14]?.loss).to.be.lessThan(ha.epochs[0]?.loss as number);
      const hb = await fit(b, ds as unknown as tf.data.Dataset<tf.TensorContainer>, {
        epochs: 15,
        seed: 1,
        learningRate: 0.03,
      });
      expect(hb.steps).to.equal(15 * 6);
      const ea = await evaluate(a, { xs, ys });
      const eb = await evaluate(b, ds as unknown as tf.data.Dataset<tf.TensorContainer>);
      expect(ea.accuracy).to.be.greaterThan(0.9);
      expect(eb.accuracy).to.be.greaterThan(0.9);
      expect(ea.count).to.equal(n);
      // The softmax model's loss is categorical cross-entropy on its probabilities: finite and small.
      expect(ea.loss).to.be.within(0, 1);
    });
    tf.dispose([xs, ys, ...images]);
    a.dispose();
    b.dispose();
  });

  it('wrong data is a typed error before training, and the backend stays usable', async () => {
    const m = simpleNet({ seed: 1, hidden: [4] });
    const bad = tf.zeros([4, 8, 8, 3]);
    let err: unknown;
    try {
      await fit(m, { xs: bad }, { epochs: 1, seed: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ShapeError);
    expect((err as Error).message).to.match(/fit: inputs of shape \[n, 784\]/);
    err = undefined;
    try {
      await fit(m, 'mnist' as never, { epochs: 1, seed: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect(tf.tidy(() => tf.add(tf.scalar(1), 1).dataSync()[0])).to.equal(2);
    bad.dispose();
    m.dispose();
  });
});
