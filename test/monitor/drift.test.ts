// The drift detector on real data: a small MLP trained on MNIST digits, a reference from training
// images, then windows of in-distribution test digits (no alert) and of shifted inputs (alert).
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { loadMnist } from '../../course/data/mnist';
import { loadFashionMnist } from '../../course/data/fashion-mnist';
import { ImageSet } from '../../lib/data/image-set';
import { permutation } from '../../lib/core/rng';
import { simpleNet } from '../../course/models/simplenet';
import { cachedModel } from '../../lib/data/model-cache';
import { fit } from '../../lib/train/fit';
import { DriftDetector } from '../../lib/monitor/drift';
import { buildReference, CONFIDENCE_EDGES, DriftReference, referenceFromModel } from '../../lib/monitor/reference';
import { addNoise, rotateImages } from '../../course/shifts';
import { recommend } from '../../lib/monitor/recommend';
import { expectNoLeak } from '../helpers/leak';

/**
 * Pixels in [0, 1] of `count` examples drawn at random (seeded). Random, not contiguous: MNIST's
 * test set is ordered by writer population (SD-3 then SD-1), and PSI notices that shift.
 */
function pixels(ds: ImageSet, count: number, seed: number): Float32Array {
  const px = ds.height * ds.width;
  const idx = permutation(ds.count, seed);
  const out = new Float32Array(count * px);
  for (let n = 0; n < count; n++)
    for (let k = 0; k < px; k++) out[n * px + k] = (ds.images[(idx[n] as number) * px + k] as number) / 255;
  return out;
}

describe('monitor/drift on MNIST', function () {
  this.timeout(120000);
  let model: tf.LayersModel;
  let ref: DriftReference;
  const mnist = loadMnist();

  before(async () => {
    ({ model } = await cachedModel({ test: 'monitor-mlp', v: 1 }, 'test-monitor-mlp', async () => {
      const m = simpleNet({ seed: 5, hidden: [32] });
      await fit(
        m,
        { ...mnist.train, count: 10000, labels: mnist.train.labels.subarray(0, 10000) },
        { epochs: 1, seed: 5 },
      );
      return { model: m, meta: {} };
    }));
    const x = tf.tensor2d(pixels(mnist.train, 2000, 1), [2000, 784]);
    ref = await referenceFromModel(model, x);
    x.dispose();
  });
  after(() => model.dispose());

  function window(values: Float32Array, count: number): ReturnType<DriftDetector['report']> {
    const d = new DriftDetector(ref, { windowSize: 500 });
    const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor2d(values, [count, 784])) as tf.Tensor).dataSync());
    d.observe(values, count, probs);
    return d.report();
  }

  it('bins confidence at fixed edges', () => {
    expect(ref.confidence.edges).to.deep.equal([...CONFIDENCE_EDGES]);
    expect(ref.confidence.proportions.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-9);
  });

  it('stays quiet on in-distribution test digits', () => {
    const r = window(pixels(mnist.test, 500, 2), 500);
    expect(r.status, r.alerts.join('; ')).to.equal('ok');
    expect(r.inputPsi).to.be.below(0.1);
  });

  it('alerts on noisy digits, rotated digits and Fashion-MNIST', () => {
    const digits = pixels(mnist.test, 500, 3);
    const noisy = window(addNoise(digits, { std: 0.3, seed: 1 }), 500);
    const rotated = window(rotateImages(digits, 500, 90), 500);
    const fashion = window(pixels(loadFashionMnist().test, 500, 4), 500);
    for (const [what, r] of [
      ['noise', noisy],
      ['rotation', rotated],
      ['fashion', fashion],
    ] as const) {
      expect(r.status, `${what}: ${JSON.stringify(r.featurePsi)}`).to.equal('alert');
      expect(r.alerts.length).to.be.greaterThan(0);
      expect(recommend({ drift: r }).action).to.equal('retrain');
    }
  });

  it('says insufficient before minSamples, and rejects bad options and inputs', () => {
    const d = new DriftDetector(ref, { windowSize: 300, minSamples: 100 });
    const v = pixels(mnist.test, 10, 5);
    d.observe(v, 10, new Float32Array(100).fill(0.1));
    expect(d.report().status).to.equal('insufficient');
    expect(() => d.observe(v, 9, new Float32Array(90))).to.throw(ConfigError, /example size/);
    expect(() => new DriftDetector(ref, { windowSize: 10, minSamples: 20 })).to.throw(ConfigError);
    expect(() => buildReference(new Float32Array(4), 1, 4, new Float32Array(2), 2)).to.throw(
      ConfigError,
      /at least 20/,
    );
  });

  it('builds a reference without leaking tensors', async () => {
    const x = tf.tensor2d(pixels(mnist.train, 100, 6), [100, 784]);
    await expectNoLeak(() => referenceFromModel(model, x).then(() => undefined));
    x.dispose();
  });
});
