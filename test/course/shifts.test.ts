import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { addNoise, rotateImages } from '../../course/shifts';

describe('course/shifts', () => {
  it('simulates shifts: rotation by hand, noise clipped and seeded', () => {
    expect(Array.from(rotateImages([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 90))).to.deep.equal([3, 6, 9, 2, 5, 8, 1, 4, 7]);
    expect(Array.from(rotateImages([1, 2, 3, 4], 1, 0))).to.deep.equal([1, 2, 3, 4]);
    const a = addNoise(new Float32Array(100).fill(0.5), { std: 2, seed: 3 });
    expect(Array.from(a).every((v) => v >= 0 && v <= 1)).to.equal(true);
    expect(Array.from(addNoise(new Float32Array(100).fill(0.5), { std: 2, seed: 3 }))).to.deep.equal(Array.from(a));
    expect(() => rotateImages([1, 2, 3], 1, 90)).to.throw(ConfigError, /square/);
  });
});
