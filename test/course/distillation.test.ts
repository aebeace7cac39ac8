import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { BRIEF_DISTILLATION, briefDistillationLoss } from '../../course/distillation';
import { distillationLoss } from '../../lib/distill/loss';

describe('course/brief distillation loss', () => {
  it('is alpha 0.7, T 4 and no T^2 on the soft term: 0.7 ln 2 when only the labels disagree', () => {
    const [s, t, y] = [tf.tensor2d([[0, 0]]), tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 0]])];
    expect(tf.tidy(() => briefDistillationLoss(s, t, y).dataSync()[0])).to.be.closeTo(0.7 * Math.log(2), 1e-6);
    expect(BRIEF_DISTILLATION).to.deep.equal({ alpha: 0.7, temperature: 4, softScale: 'none' });
    tf.dispose([s, t, y]);
  });

  it('differs from the library default (soft term x T^2) by a factor T^2 on the soft term', () => {
    const [s, t, y] = [tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 1]]), tf.tensor2d([[1, 0]])];
    const hard = tf.tidy(() => (tf.losses.softmaxCrossEntropy(y, s) as tf.Scalar).dataSync()[0] as number);
    const brief = tf.tidy(() => briefDistillationLoss(s, t, y).dataSync()[0] as number);
    const hinton = tf.tidy(() => distillationLoss(s, t, y).dataSync()[0] as number);
    const softBrief = (brief - 0.7 * hard) / 0.3;
    const softHinton = (hinton - 0.7 * hard) / 0.3;
    expect(softHinton / softBrief).to.be.closeTo(16, 1e-3);
    tf.dispose([s, t, y]);
  });
});
