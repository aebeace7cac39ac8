import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { distillationLoss } from '../../lib/distill';
import { softTargets } from '../../lib/distill/loss';
import { softKl } from '../../lib/distill/loss';
import { ConfigError, ShapeError } from '../../lib/errors';
import { Rng } from '../../lib/core/rng';
import { expectNoLeak } from '../helpers/leak';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('distill/distillationLoss', () => {
  // Row 1: student [1, 0], teacher [0, 1], label 0. Row 2: both [0, 0], label 1.
  // With two classes, KL between softmax([a, 0]) and softmax([0, a]) is tanh(a / 2) * a, and
  // CE of logits [1, 0] on label 0 is -ln(sigmoid(1)).
  const s = () =>
    tf.tensor2d([
      [1, 0],
      [0, 0],
    ]);
  const t = () =>
    tf.tensor2d([
      [0, 1],
      [0, 0],
    ]);
  const y = () =>
    tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
  const ce = (-Math.log(sigmoid(1)) + Math.log(2)) / 2;
  const kl = (T: number) => Math.tanh(1 / (2 * T)) / T / 2;

  it('matches the hand-computed unscaled form (batch means, softScale none)', () => {
    for (const T of [1, 2, 4]) {
      const loss = distillationLoss(s(), t(), y(), { alpha: 0.7, temperature: T, softScale: 'none' });
      expect(loss.dataSync()[0]).to.be.closeTo(0.7 * ce + 0.3 * kl(T), 1e-5);
    }
  });

  it('multiplies the soft term by T^2 with softScale temperatureSquared', () => {
    const loss = distillationLoss(s(), t(), y(), { alpha: 0.7, temperature: 2, softScale: 'temperatureSquared' });
    expect(loss.dataSync()[0]).to.be.closeTo(0.7 * ce + 0.3 * 4 * kl(2), 1e-5);
  });

  it('defaults to alpha 0.7, T 4 and the T^2 scale (Hinton et al.)', () => {
    const a = distillationLoss(s(), t(), y()).dataSync()[0];
    expect(a).to.be.closeTo(0.7 * ce + 0.3 * 16 * kl(4), 1e-5);
  });

  it('is pure cross-entropy at alpha 1 and pure KL at alpha 0', () => {
    expect(distillationLoss(s(), t(), y(), { alpha: 1 }).dataSync()[0]).to.be.closeTo(ce, 1e-5);
    expect(distillationLoss(s(), t(), y(), { alpha: 0, temperature: 1 }).dataSync()[0]).to.be.closeTo(kl(1), 1e-5);
    expect(softKl(s(), s(), 3).dataSync()[0]).to.be.closeTo(0, 1e-6);
  });

  it('soft-term gradients shrink as 1/T^2 unscaled and keep their scale with T^2', () => {
    const rng = new Rng(3);
    const rand = () =>
      tf.tensor2d(
        Array.from({ length: 40 }, () => 2 * rng.normal()),
        [4, 10],
      );
    const student = rand();
    const teacher = rand();
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10).toFloat();
    const gradNorm = (T: number, softScale: 'none' | 'temperatureSquared') =>
      tf.tidy(() => {
        const g = tf.grad((z: tf.Tensor) =>
          distillationLoss(z, teacher, labels, { alpha: 0, temperature: T, softScale }),
        )(student);
        return tf.norm(g).dataSync()[0] as number;
      });
    const unscaledRatio = gradNorm(10, 'none') / gradNorm(20, 'none');
    const scaledRatio = gradNorm(10, 'temperatureSquared') / gradNorm(20, 'temperatureSquared');
    expect(unscaledRatio).to.be.closeTo(4, 0.4);
    expect(scaledRatio).to.be.closeTo(1, 0.1);
  });

  it('sends no gradient into the teacher logits', () => {
    const g = tf.grad((z: tf.Tensor) => distillationLoss(s(), z, y(), { alpha: 0 }))(t());
    expect(Array.from(g.dataSync())).to.deep.equal([0, 0, 0, 0]);
  });

  it('softTargets flattens the distribution as T grows', () => {
    expect(Array.from(softTargets(tf.tensor2d([[0, Math.log(3)]]), 1).dataSync())[1]).to.be.closeTo(0.75, 1e-6);
    const hot = softTargets(tf.tensor2d([[0, Math.log(3)]]), 100).dataSync()[1] as number;
    expect(hot).to.be.below(0.51).and.above(0.5);
  });

  it('rejects bad options and mismatched shapes with typed errors', () => {
    expect(() => distillationLoss(s(), t(), y(), { alpha: 1.5 })).to.throw(ConfigError, /alpha in \[0, 1\]/);
    expect(() => distillationLoss(s(), t(), y(), { temperature: 0 })).to.throw(ConfigError, /temperature/);
    expect(() => distillationLoss(s(), t(), y(), { softScale: 'x' as 'none' })).to.throw(ConfigError, /softScale/);
    expect(() => distillationLoss(s(), tf.zeros([2, 3]), y())).to.throw(ShapeError, /teacher logits of shape \[2, 2\]/);
    expect(() => distillationLoss(s(), t(), tf.zeros([2, 3]))).to.throw(ShapeError, /one-hot labels/);
    expect(() => distillationLoss(tf.zeros([2]), t(), y())).to.throw(ShapeError, /rank 2/);
  });

  it('leaks no tensors', async () => {
    const [a, b, c] = [s(), t(), y()];
    await expectNoLeak(() => [distillationLoss(a, b, c, { softScale: 'none' }), softKl(a, b, 2), softTargets(a, 2)]);
    tf.dispose([a, b, c]);
  });
});
