import { expect } from 'chai';
import { batchNormAffine, batchNormParamsOf, foldBatchNormInto } from '../../lib/core/batchnorm';

describe('core/batchnorm (the one BatchNorm fold)', () => {
  it('reads gamma, beta, mean, variance in layer order, with gamma 1 and beta 0 when the layer has none', () => {
    const w = [Float32Array.of(2), Float32Array.of(1), Float32Array.of(3), Float32Array.of(3)];
    expect(batchNormParamsOf({ epsilon: 1 }, w)).to.deep.include({ gamma: w[0], beta: w[1], epsilon: 1 });
    const p = batchNormParamsOf({ scale: false, center: false }, [Float32Array.of(5, 6), Float32Array.of(1, 1)]);
    expect([...p.gamma, ...p.beta, ...p.mean, ...p.variance, p.epsilon]).to.deep.equal([1, 1, 0, 0, 5, 6, 1, 1, 1e-3]);
  });

  it('is the affine map x * scale + shift, and folds into a kernel and bias by output channel (hand example)', () => {
    const affine = batchNormAffine({
      gamma: Float32Array.of(2, 1),
      beta: Float32Array.of(1, 0),
      mean: Float32Array.of(3, 1),
      variance: Float32Array.of(3, 0),
      epsilon: 1,
    });
    expect([...affine.scale]).to.deep.equal([1, 1]); // 2 / sqrt(4), 1 / sqrt(1)
    expect([...affine.shift]).to.deep.equal([-2, -1]); // 1 - 3, 0 - 1
    // Dense kernel [in 2, units 2] = [[1, 2], [3, 4]], scale [2, 3], shift [1, 0], bias [1, 1].
    const f = foldBatchNormInto(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 1), 2, {
      scale: Float32Array.of(2, 3),
      shift: Float32Array.of(1, 0),
    });
    expect([...f.kernel]).to.deep.equal([2, 6, 6, 12]);
    expect([...f.bias]).to.deep.equal([3, 3]); // 1 * 2 + 1, 1 * 3 + 0
    const noBias = foldBatchNormInto(Float32Array.of(1, 2), undefined, 2, {
      scale: Float32Array.of(2, 3),
      shift: Float32Array.of(1, 0),
    });
    expect([...noBias.bias]).to.deep.equal([1, 0]);
  });

  it("folded outputs equal the unfolded ones: (x W + b) * scale + shift = x W' + b'", () => {
    const x = [0.5, -1.25, 2];
    const kernel = Float32Array.of(0.1, -0.2, 0.3, 0.4, -0.5, 0.6); // [3, 2]
    const bias = Float32Array.of(0.05, -0.1);
    const affine = { scale: Float32Array.of(1.5, -0.75), shift: Float32Array.of(0.2, 0.3) };
    const f = foldBatchNormInto(kernel, bias, 2, affine);
    for (let c = 0; c < 2; c++) {
      const y = x.reduce((a, xi, i) => a + xi * (kernel[i * 2 + c] as number), bias[c] as number);
      const want = y * (affine.scale[c] as number) + (affine.shift[c] as number);
      const got = x.reduce((a, xi, i) => a + xi * (f.kernel[i * 2 + c] as number), f.bias[c] as number);
      expect(got).to.be.closeTo(want, 1e-6);
    }
  });
});
