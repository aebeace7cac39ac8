import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { fit } from '../../lib/train/fit';
import { averageGradients } from '../../lib/train/data-parallel';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { ConfigError } from '../../lib/errors';

const maxAbsDiff = (a: tf.LayersModel, b: tf.LayersModel) =>
  Math.max(
    ...a
      .getWeights()
      .map((w, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(w, b.getWeights()[i] as tf.Tensor))).dataSync()[0] as number)),
  );

describe('train/data-parallel (fit with workers)', function () {
  this.timeout(120000);
  const train = sliceImageSet(loadMnist().train, 0, 1000); // 7 full batches of 128 and one of 104

  it('two replicas follow one replica: equal losses within 1e-3 per epoch, equal weights within 1e-4, no leaks', async () => {
    const one = simpleNet({ seed: 3 });
    const two = simpleNet({ seed: 3 });
    const before = tf.memory().numTensors;
    const h1 = await fit(one, train, {
      epochs: 2,
      seed: 1,
      batchSize: 128,
      learningRate: (e) => (e === 0 ? 1e-3 : 3e-4),
    });
    const h2 = await fit(two, train, {
      epochs: 2,
      seed: 1,
      batchSize: 128,
      learningRate: (e) => (e === 0 ? 1e-3 : 3e-4),
      workers: 2,
    });
    expect(tf.memory().numTensors).to.equal(before);
    expect(h2.steps).to.equal(h1.steps);
    h1.epochs.forEach((e, i) => expect(Math.abs(e.loss - (h2.epochs[i]?.loss as number))).to.be.lessThan(1e-3));
    expect(h2.epochs[1]?.loss as number).to.be.lessThan(h2.epochs[0]?.loss as number);
    expect(maxAbsDiff(one, two)).to.be.lessThan(1e-4);
    one.dispose();
    two.dispose();
  });

  it('three replicas and an SGD optimizer; a CNN with BatchNormalization (statistics per replica) trains', async () => {
    const a = simpleNet({ seed: 4 });
    const b = simpleNet({ seed: 4 });
    const h1 = await fit(a, train, { epochs: 1, seed: 2, batchSize: 100, optimizer: 'sgd', learningRate: 0.01 });
    const h3 = await fit(b, train, {
      epochs: 1,
      seed: 2,
      batchSize: 100,
      optimizer: 'sgd',
      learningRate: 0.01,
      workers: 3,
    });
    expect(Math.abs((h1.epochs[0]?.loss as number) - (h3.epochs[0]?.loss as number))).to.be.lessThan(1e-3);
    expect(maxAbsDiff(a, b)).to.be.lessThan(1e-4);
    a.dispose();
    b.dispose();
    const c = cnn({ seed: 1 });
    const h = await fit(c, sliceImageSet(train, 0, 512), { epochs: 2, seed: 0, batchSize: 64, workers: 2 });
    expect(h.epochs[1]?.loss as number).to.be.lessThan(h.epochs[0]?.loss as number);
    c.dispose();
  });

  it('refuses what a peer cannot do, with ConfigError, before any thread starts; the backend stays usable', async () => {
    const m = simpleNet({ seed: 1 });
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['a custom loss', { loss: () => tf.scalar(0) }, /workers > 1 .* got loss/],
      ['a hook', { afterStep: () => undefined }, /got afterStep/],
      ['an optimizer object', { optimizer: tf.train.sgd(0.1) }, /an optimizer object/],
      ['0 workers', { workers: 0 }, /workers an integer from 1 to 64/],
      ['a batch smaller than the workers', { batchSize: 2, workers: 3 }, /batchSize of at least workers/],
    ];
    for (const [what, extra, pattern] of bad) {
      let err: unknown;
      try {
        await fit(m, train, { epochs: 1, seed: 0, workers: 2, ...extra });
      } catch (e) {
        err = e;
      }
      expect(err, what).to.be.instanceOf(ConfigError);
      expect((err as Error).message, what).to.match(pattern);
    }
    m.compile({ optimizer: 'sgd', loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.meanSquaredError(y, p) });
    let err: unknown;
    try {
      await fit(m, train, { epochs: 1, seed: 0, workers: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/loss by name/);
    m.dispose();
    const ok = simpleNet({ seed: 1 });
    expect((await fit(ok, sliceImageSet(train, 0, 128), { epochs: 1, seed: 0 })).steps).to.equal(1);
    ok.dispose();
  });

  it('averages gradients weighted by example counts, the same bits whatever the replica', () => {
    const total = 3;
    const grads = new Float32Array([1, 2, 3, 3, 2, 1, 0, 0, 6]);
    const out = new Float32Array(total);
    averageGradients(grads, total, [2, 1, 1], out);
    expect(Array.from(out)).to.deep.equal([(2 + 3 + 0) / 4, (4 + 2 + 0) / 4, (6 + 1 + 6) / 4]);
    averageGradients(grads, total, [1, 3], out);
    expect(Array.from(out)).to.deep.equal([Math.fround((1 + 9) / 4), (2 + 6) / 4, (3 + 3) / 4]);
  });
});
