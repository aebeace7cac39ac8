import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { globalMagnitudeMasks, magnitudeMask, randomMask, nonzeroMask } from '../../lib/prune/masks';
import { sparsityOf } from '../../lib/prune/sparsity';
import { expectNoLeak } from '../helpers/leak';

describe('prune/masks', () => {
  it('magnitudeMask keeps the largest |w| (the documented example)', () => {
    const w = tf.tensor2d([
      [0.1, -0.9],
      [0.4, -0.2],
    ]);
    const m = magnitudeMask(w, { sparsity: 0.5 });
    expect(Array.from(m.dataSync())).to.deep.equal([0, 1, 1, 0]);
    expect(m.shape).to.deep.equal([2, 2]);
    tf.dispose([w, m]);
  });

  it('zeros exactly round(sparsity * n) entries even when all weights tie', () => {
    const w = tf.ones([7, 3]);
    for (const s of [0, 0.3, 0.5, 0.9, 0.99]) {
      const m = magnitudeMask(w, { sparsity: s });
      expect(m.size - m.sum().dataSync()[0]!).to.equal(Math.round(s * 21));
      // ties are broken by position: the first entries go
      if (s === 0.3) expect(Array.from(m.dataSync()).slice(0, 7)).to.deep.equal([0, 0, 0, 0, 0, 0, 1]);
      m.dispose();
    }
    w.dispose();
  });

  it('sparsity 0 keeps everything; rank-1 and negative values use |w|', () => {
    const w = tf.tensor1d([-3, 1, -2, 0.5]);
    const m0 = magnitudeMask(w, { sparsity: 0 });
    expect(Array.from(m0.dataSync())).to.deep.equal([1, 1, 1, 1]);
    const m = magnitudeMask(w, { sparsity: 0.75 });
    expect(Array.from(m.dataSync())).to.deep.equal([1, 0, 0, 0]);
    tf.dispose([w, m0, m]);
  });

  it('globalMagnitudeMasks uses one threshold across tensors', () => {
    const a = tf.tensor1d([1, 2]);
    const b = tf.tensor1d([3, 0.5]);
    const [ma, mb] = globalMagnitudeMasks([a, b], { sparsity: 0.5 });
    expect(Array.from(ma!.dataSync())).to.deep.equal([0, 1]);
    expect(Array.from(mb!.dataSync())).to.deep.equal([1, 0]);
    tf.dispose([a, b, ma!, mb!]);
  });

  it('randomMask has the exact count and depends on the seed only', () => {
    const w = tf.zeros([10, 10]);
    const m1 = randomMask(w, { sparsity: 0.3, seed: 1 });
    const m2 = randomMask(w, { sparsity: 0.3, seed: 1 });
    const m3 = randomMask(w, { sparsity: 0.3, seed: 2 });
    expect(m1.sum().dataSync()[0]).to.equal(70);
    expect(Array.from(m1.dataSync())).to.deep.equal(Array.from(m2.dataSync()));
    expect(Array.from(m1.dataSync())).to.not.deep.equal(Array.from(m3.dataSync()));
    tf.dispose([w, m1, m2, m3]);
  });

  it('nonzeroMask and sparsityOf count exact zeros', () => {
    const w = tf.tensor1d([0, 1, 0, -2]);
    const m = nonzeroMask(w);
    expect(Array.from(m.dataSync())).to.deep.equal([0, 1, 0, 1]);
    expect(sparsityOf(w)).to.equal(0.5);
    tf.dispose([w, m]);
  });

  it('rejects sparsity outside [0, 1) with a ConfigError', () => {
    const w = tf.ones([4]);
    for (const s of [-0.1, 1, 1.5, NaN]) {
      expect(() => magnitudeMask(w, { sparsity: s })).to.throw(ConfigError, /magnitudeMask: sparsity in \[0, 1\)/);
    }
    expect(() => randomMask(w, { sparsity: 0.5, seed: undefined as unknown as number })).to.throw(ConfigError, /seed/);
    w.dispose();
  });

  it('does not leak', async () => {
    const w = tf.randomNormal([20, 5], 0, 1, 'float32', 1);
    await expectNoLeak(() => [
      magnitudeMask(w, { sparsity: 0.5 }),
      randomMask(w, { sparsity: 0.5, seed: 1 }),
      ...globalMagnitudeMasks([w, w], { sparsity: 0.2 }),
      nonzeroMask(w),
    ]);
    w.dispose();
  });
});
