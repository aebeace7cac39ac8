import { expect } from 'chai';
import { createObserver, quantizationMse } from '../../lib/quantize/observers';
import { ConfigError, DataError } from '../../lib/errors';
import { Rng } from '../../lib/core/rng';

function heavyTailed(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const v = Float32Array.from({ length: n }, () => Math.max(0, rng.normal()));
  v[7] = 40; // one outlier
  return v;
}

describe('quantize/observers', () => {
  it('minmax keeps the full range over batches', () => {
    const o = createObserver({ method: 'minmax' });
    o.observe([-1, 2]);
    o.observe([0.5, 3]);
    expect(o.range()).to.deep.equal({ min: -1, max: 3 });
    expect(o.count).to.equal(4);
  });

  it('moving-average follows each batch with the averaging constant', () => {
    const o = createObserver({ method: 'moving-average', averagingConstant: 0.5 });
    o.observe([0, 1]);
    o.observe([0, 3]);
    expect(o.range()).to.deep.equal({ min: 0, max: 2 });
  });

  it('percentile clips a rare outlier', () => {
    const o = createObserver({ method: 'percentile', percentile: 99.9 });
    o.observe(heavyTailed(10000, 1));
    const r = o.range();
    expect(r.max).to.be.below(5);
    expect(r.min).to.equal(0);
  });

  it('mse picks a clipped range with lower quantization error than minmax on heavy-tailed data', () => {
    const v = heavyTailed(20000, 2);
    const mse = createObserver({ method: 'mse' });
    mse.observe(v);
    const r = mse.range();
    expect(r.max).to.be.below(40);
    expect(quantizationMse(v, r.min, r.max, 8)).to.be.below(quantizationMse(v, 0, 40, 8));
  });

  it('entropy (KL) clips the outlier and uses [0, T] for non-negative data', () => {
    const o = createObserver({ method: 'entropy' });
    o.observe(heavyTailed(20000, 3));
    const r = o.range();
    expect(r.min).to.equal(0);
    expect(r.max).to.be.below(40).and.above(1);
    const s = createObserver({ method: 'entropy' });
    const rng = new Rng(4);
    s.observe(Float32Array.from({ length: 20000 }, () => rng.normal()));
    const rs = s.range();
    expect(rs.min).to.equal(-rs.max);
  });

  it('refuses an empty calibration set, non-finite values and bad options with typed errors', () => {
    expect(() => createObserver({ method: 'minmax' }).range()).to.throw(DataError, /at least one observed value/);
    expect(() => createObserver({ method: 'minmax' }).observe([1, NaN])).to.throw(DataError, /finite/);
    expect(() => createObserver({ method: 'nope' as 'minmax' })).to.throw(ConfigError);
    expect(() => createObserver({ method: 'percentile', percentile: 20 })).to.throw(ConfigError);
    expect(() => createObserver({ method: 'entropy', bits: 1 })).to.throw(ConfigError);
  });
});
