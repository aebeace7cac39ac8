// valuesOf: a tensor's values out of a tidy scope, every tensor freed (the result and the intermediates).
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { valuesOf } from '../../lib/core/values';

describe('core: valuesOf', () => {
  it('returns the values and frees the result and the intermediates, also when compute throws', () => {
    const a = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    const v = valuesOf(() => tf.mul(tf.add(a, 1), 2));
    expect(Array.from(v)).to.deep.equal([4, 6, 8]);
    expect(tf.memory().numTensors).to.equal(before);
    expect(() =>
      valuesOf(() => {
        tf.add(a, 1);
        throw new Error('boom');
      }),
    ).to.throw('boom');
    expect(tf.memory().numTensors).to.equal(before);
    a.dispose();
  });
});
