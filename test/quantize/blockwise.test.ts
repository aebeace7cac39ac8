import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { chooseQParams, QParams } from '../../lib/quantize/qparams';
import { dequantize, fakeQuantize, quantize } from '../../lib/quantize/affine';
import { blockCount, fromBlocks, toBlocks } from '../../lib/quantize/blockwise';
import { ConfigError, ShapeError } from '../../lib/errors';
import { Rng } from '../../lib/core/rng';
import { expectNoLeak } from '../helpers/leak';

/** A [k, n] kernel of seeded values in [-scale, scale]. */
function kernel(k: number, n: number, seed: number, scale = 1): tf.Tensor2D {
  const rng = new Rng(seed);
  return tf.tensor2d(
    Float32Array.from({ length: k * n }, () => (rng.next() * 2 - 1) * scale),
    [k, n],
  );
}

describe('quantize blockwise (int4 groups along the input axis)', () => {
  it('hand-checked: blocks of 2 along axis 0 of a [4, 1] kernel get their own scales (amax / 7)', () => {
    const w = tf.tensor2d([[0.5], [3.5], [-7], [0]]);
    const qp = chooseQParams(w, { bits: 4, symmetric: true, axis: 1, blockSize: 2 });
    expect(qp.blockSize).to.equal(2);
    expect(Array.from(qp.scale)).to.deep.equal([0.5, 1]);
    expect(Array.from(quantize(w, qp).dataSync())).to.deep.equal([1, 7, -7, 0]);
    // Per channel alone, every value shares the scale 1: 0.5 rounds (half to even) to 0, 3.5 to 4.
    expect(Array.from(quantize(w, chooseQParams(w, { bits: 4, symmetric: true, axis: 1 })).dataSync())).to.deep.equal([
      0, 4, -7, 0,
    ]);
    w.dispose();
  });

  it('parameters are laid out [nBlocks, N]; the last block may be partial (K = 50, blocks of 32)', () => {
    const w = kernel(50, 3, 1);
    const qp = chooseQParams(w, { bits: 4, symmetric: true, axis: 1, blockSize: 32 });
    expect(blockCount(50, 32)).to.equal(2);
    expect(qp.scale.length).to.equal(6);
    const data = w.dataSync();
    for (const [b, lo, hi] of [
      [0, 0, 32],
      [1, 32, 50],
    ] as const) {
      for (let c = 0; c < 3; c++) {
        let amax = 0;
        for (let r = lo; r < hi; r++) amax = Math.max(amax, Math.abs(data[r * 3 + c] as number));
        expect(qp.scale[b * 3 + c]).to.be.closeTo(amax / 7, 1e-7);
      }
    }
    w.dispose();
  });

  it('dequantize(quantize(w)) is within scale/2 of w in every block, symmetric and asymmetric, both channel axes', () => {
    for (const symmetric of [true, false]) {
      for (const axis of [1, 0]) {
        const w = axis === 1 ? kernel(100, 7, 2) : kernel(7, 100, 2);
        const qp = chooseQParams(w, { bits: 4, symmetric, signed: symmetric, axis, blockSize: 32 });
        const back = dequantize(quantize(w, qp), qp);
        expect(back.shape).to.deep.equal(w.shape);
        const err = tf.tidy(() => tf.abs(tf.sub(back, w)).dataSync());
        const [k, n] = axis === 1 ? [100, 7] : [7, 100];
        for (let r = 0; r < k; r++) {
          for (let c = 0; c < n; c++) {
            const [along, ch] = axis === 1 ? [r, c] : [c, r];
            const p = axis === 1 ? Math.floor(along / 32) * n + ch : ch * blockCount(n, 32) + Math.floor(along / 32);
            expect(err[r * n + c], `${symmetric} axis ${axis} at ${r},${c}`).to.be.at.most(
              (qp.scale[p] as number) / 2 + 1e-6,
            );
          }
        }
        tf.dispose([w, back]);
      }
    }
  });

  it('blocks keep the small inputs that one scale per channel rounds to zero (a kernel with one block of large rows)', () => {
    const w = tf.tidy(() => tf.concat([kernel(32, 16, 3, 4), kernel(224, 16, 4, 0.1)]));
    // Mean squared error on the 224 small rows: per channel they share the large rows' scale (~4/7) and all become 0.
    const err = (qp: QParams) =>
      tf.tidy(
        () =>
          tf
            .mean(tf.square(tf.sub(dequantize(quantize(w, qp), qp), w).slice([32, 0], [224, 16])))
            .dataSync()[0] as number,
      );
    const blocked = err(chooseQParams(w, { bits: 4, symmetric: true, axis: 1, blockSize: 32 }));
    const channel = err(chooseQParams(w, { bits: 4, symmetric: true, axis: 1 }));
    expect(channel).to.be.closeTo(0.1 ** 2 / 3, 0.0005); // E[x^2] of U(-0.1, 0.1): everything rounded to 0
    expect(blocked).to.be.below(channel / 50);
    w.dispose();
  });

  it("fakeQuantize equals dequantize(quantize) and passes gradients straight through inside each block's range", () => {
    const w = kernel(40, 2, 5);
    const qp = chooseQParams(w, { bits: 4, symmetric: true, axis: 1, blockSize: 32 });
    const fq = fakeQuantize(w, qp);
    const dq = dequantize(quantize(w, qp), qp);
    expect(Array.from(fq.dataSync())).to.deep.equal(Array.from(dq.dataSync()));
    const g = tf.grad((x: tf.Tensor) => tf.sum(fakeQuantize(x, qp)))(w);
    // 1 everywhere but possibly at a block's extreme value (qmax * a float32 scale may round just below it).
    expect(Array.from(g.dataSync()).filter((v) => v !== 1).length).to.be.at.most(qp.scale.length);
    const outside = tf.mul(w, 3);
    const g3 = tf.grad((x: tf.Tensor) => tf.sum(fakeQuantize(x, qp)))(outside);
    expect(Array.from(g3.dataSync()).filter((v) => v === 0).length).to.be.above(40); // most of 3w is outside the range
    tf.dispose([w, fq, dq, g, outside, g3]);
  });

  it('toBlocks / fromBlocks round-trip and pad with zeros', () => {
    const w = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const b = toBlocks(w, 1, 2);
    expect(b.shape).to.deep.equal([2, 2, 2]);
    expect(Array.from(b.dataSync())).to.deep.equal([1, 2, 3, 4, 5, 6, 0, 0]);
    const back = fromBlocks(b, [3, 2], 1);
    expect(Array.from(back.dataSync())).to.deep.equal([1, 2, 3, 4, 5, 6]);
    tf.dispose([w, b, back]);
  });

  it('refuses blockwise parameters on the wrong shape and bad block sizes with typed errors, leaking nothing', async () => {
    const w = kernel(64, 4, 6);
    const qp = chooseQParams(w, { bits: 4, symmetric: true, axis: 1, blockSize: 32 });
    const other = kernel(96, 4, 7);
    const rank3 = tf.zeros([2, 32, 4]);
    expect(() => quantize(other, qp)).to.throw(
      ShapeError,
      /3 blocks x 4 channels of parameters for shape \[96, 4\] with blocks of 32, got 8 scales/,
    );
    expect(() => dequantize(rank3, qp)).to.throw(ShapeError, /rank-2 kernel/);
    expect(() => chooseQParams(w, { bits: 4, symmetric: true, axis: 1, blockSize: 0 })).to.throw(
      ConfigError,
      /blockSize a positive integer/,
    );
    expect(() => chooseQParams(w, { bits: 4, symmetric: true, blockSize: 32 })).to.throw(
      ConfigError,
      /with a channel axis/,
    );
    await expectNoLeak(() => {
      const q = quantize(w, qp);
      const d = dequantize(q, qp);
      const f = fakeQuantize(w, qp);
      const g = tf.grad((x: tf.Tensor) => tf.sum(fakeQuantize(x, qp)))(w);
      chooseQParams(other, { bits: 4, symmetric: false, axis: 1, blockSize: 64 });
      return [q, d, f, g];
    });
    tf.dispose([w, other, rank3]);
  });
});
