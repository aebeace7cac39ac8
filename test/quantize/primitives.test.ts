import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { chooseQParams, qparamsFromRange, integerRange } from '../../lib/quantize/qparams';
import { quantize, dequantize, fakeQuantize, sqnr } from '../../lib/quantize/affine';
import { toFloat16, fromFloat16 } from '../../lib/quantize/float16';
import { ConfigError, DataError, ShapeError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';
import { Rng } from '../../lib/core/rng';

describe('quantize primitives', () => {
  it('asymmetric uint8 on [-1, 3]: scale 4/255, zero point 64, known integers', () => {
    const qp = qparamsFromRange([-1], [3], { bits: 8 });
    expect(qp.scale[0]).to.be.closeTo(4 / 255, 1e-9);
    expect(qp.zeroPoint[0]).to.equal(64);
    expect([qp.qmin, qp.qmax]).to.deep.equal([0, 255]);
    const q = quantize(tf.tensor1d([-1, 0, 3]), qp);
    expect(Array.from(q.dataSync())).to.deep.equal([0, 64, 255]);
    expect(q.dtype).to.equal('int32');
  });

  it('symmetric int8 uses [-127, 127] with zero point 0', () => {
    const qp = chooseQParams(tf.tensor1d([-0.5, 0.25, 1.27]), { bits: 8, symmetric: true });
    expect(qp.zeroPoint[0]).to.equal(0);
    expect(qp.scale[0]).to.be.closeTo(0.01, 1e-8);
    expect(Array.from(quantize(tf.tensor1d([-1.27, 0.5, 2]), qp).dataSync())).to.deep.equal([-127, 50, 127]);
    expect(integerRange({ bits: 4, symmetric: true })).to.deep.equal({ qmin: -7, qmax: 7 });
    expect(integerRange({ bits: 4, signed: true })).to.deep.equal({ qmin: -8, qmax: 7 });
    expect(integerRange({ bits: 16 })).to.deep.equal({ qmin: 0, qmax: 65535 });
  });

  it('zero is exactly representable even when the range excludes it', () => {
    for (const [lo, hi] of [
      [0.3, 2.1],
      [-5, -0.2],
      [-0.37, 1.91],
    ] as const) {
      const qp = qparamsFromRange([lo], [hi], { bits: 8 });
      expect(dequantize(quantize(tf.scalar(0), qp), qp).dataSync()[0]).to.equal(0);
    }
  });

  it('per-channel along any axis: one scale per channel', () => {
    const w = tf.tensor2d([
      [1, -4],
      [0.5, 2],
      [-2, 8],
    ]); // channels on axis 1: amax 2 and 8
    const qp = chooseQParams(w, { bits: 8, symmetric: true, axis: -1 });
    expect(qp.axis).to.equal(1);
    expect(Array.from(qp.scale)).to.deep.equal([Math.fround(2 / 127), Math.fround(8 / 127)]);
    const rows = chooseQParams(w, { bits: 8, symmetric: true, axis: 0 });
    expect(rows.scale.length).to.equal(3);
    expect(Array.from(quantize(w, qp).dataSync())).to.deep.equal([64, -64, 32, 32, -127, 127]);
  });

  it('dequantize(quantize(x)) is within scale/2 of x inside the range (2-16 bits, random ranges)', () => {
    const rng = new Rng(3);
    for (const bits of [2, 3, 4, 8, 12, 16]) {
      for (const symmetric of [false, true]) {
        const vals = Array.from({ length: 200 }, () => (rng.next() - 0.3) * 10);
        const x = tf.tensor1d(vals);
        const qp = chooseQParams(x, { bits, symmetric });
        const err = tf.tidy(() => tf.max(tf.abs(tf.sub(dequantize(quantize(x, qp), qp), x))).dataSync()[0] as number);
        expect(err, `bits ${bits} symmetric ${symmetric}`).to.be.at.most(
          ((qp.scale[0] as number) / 2) * (1 + 1e-4) + 1e-6,
        );
        x.dispose();
      }
    }
  });

  it('fakeQuantize equals dequantize(quantize) and passes gradients straight through inside the range', () => {
    const qp = qparamsFromRange([-1], [1], { bits: 4, symmetric: true });
    const x = tf.tensor1d([-3, -0.4, 0.1, 0.9, 2]);
    const y = fakeQuantize(x, qp);
    expect(Array.from(y.dataSync())).to.deep.equal(Array.from(dequantize(quantize(x, qp), qp).dataSync()));
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fakeQuantize(t, qp), tf.tensor1d([1, 2, 3, 4, 5]))))(x);
    expect(Array.from(g.dataSync())).to.deep.equal([0, 2, 3, 4, 0]);
  });

  it('float16 round trip is bit exact on representable values and rounds to nearest even', () => {
    const exact = [0, 1, -2, 0.5, 65504, -65504, 2 ** -24, 0.333251953125];
    expect(Array.from(fromFloat16(toFloat16(exact)))).to.deep.equal(exact);
    expect(Array.from(toFloat16([1, -2, 0.5]))).to.deep.equal([0x3c00, 0xc000, 0x3800]);
    expect(fromFloat16(toFloat16([1 + 2 ** -11]))[0]).to.equal(1); // tie -> even
    expect(fromFloat16(toFloat16([1e6]))[0]).to.equal(Infinity);
    const rng = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      const v = (rng.next() - 0.5) * 100;
      const r = fromFloat16(toFloat16([v]))[0] as number;
      expect(Math.abs(r - v)).to.be.at.most(Math.abs(v) * 2 ** -11 + 1e-7);
    }
  });

  it('sqnr of a perfect copy is infinite and of a noisy one finite', () => {
    const x = tf.tensor1d([1, 2, 3]);
    expect(sqnr(x, x).sqnrDb).to.equal(Infinity);
    expect(sqnr(x, tf.tensor1d([1.1, 2, 3])).sqnrDb).to.be.closeTo(10 * Math.log10(14 / 3 / (0.01 / 3)), 1e-3);
  });

  it('rejects bits out of range, non-finite values, empty tensors and channel mismatches with typed errors', () => {
    expect(() => qparamsFromRange([0], [1], { bits: 1 })).to.throw(ConfigError, /bits an integer in \[2, 16\], got 1/);
    expect(() => qparamsFromRange([0], [1], { bits: 17 })).to.throw(ConfigError);
    expect(() => chooseQParams(tf.tensor1d([1, NaN]), { bits: 8 })).to.throw(DataError, /finite/);
    expect(() => chooseQParams(tf.tensor1d([1, Infinity]), { bits: 8 })).to.throw(DataError);
    expect(() => chooseQParams(tf.tensor1d([]), { bits: 8 })).to.throw(DataError, /non-empty/);
    expect(() => chooseQParams(tf.ones([2, 2]), { bits: 8, axis: 2 })).to.throw(ConfigError, /axis/);
    const qp = chooseQParams(tf.ones([2, 3]), { bits: 8, axis: 1 });
    expect(() => quantize(tf.ones([3, 2]), qp)).to.throw(ShapeError);
  });

  it('leaks no tensors', async () => {
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 1);
    await expectNoLeak(() => {
      const qp = chooseQParams(x, { bits: 8, axis: 1 });
      const q = quantize(x, qp);
      const d = dequantize(q, qp);
      const f = fakeQuantize(x, qp);
      const g = tf.grad((t: tf.Tensor) => tf.sum(fakeQuantize(t, qp)))(x);
      sqnr(x, d);
      return [q, d, f, g];
    });
    x.dispose();
  });
});
