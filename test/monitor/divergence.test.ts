import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import {
  binCounts,
  binIndex,
  klDivergence,
  psi,
  quantileEdges,
  smoothedProportions,
} from '../../lib/monitor/divergence';
import { featureNames, inputFeatures, argmaxRows } from '../../lib/monitor/features';

describe('monitor/divergence and features', () => {
  it('computes PSI and KL by hand on two bins', () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).to.equal(0);
    expect(psi([0.5, 0.5], [0.25, 0.75])).to.be.closeTo(-0.25 * Math.log(0.5) + 0.25 * Math.log(1.5), 1e-12);
    expect(klDivergence([0.5, 0.5], [0.25, 0.75])).to.be.closeTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 1e-12);
    expect(smoothedProportions([3, 1], 0.5)).to.deep.equal([0.7, 0.3]);
    expect(() => psi([1], [0.5, 0.5])).to.throw(ConfigError, /same bins/);
    expect(() => psi([1, 0], [0.5, 0.5])).to.throw(ConfigError, /smoothedProportions/);
  });

  it('bins at reference quantiles, ties at zero getting their own bin', () => {
    expect(quantileEdges([1, 2, 3, 4], 2)).to.deep.equal([2]);
    expect(quantileEdges([0, 0, 0, 0, 0, 0, 1, 2, 3, 4], 5)).to.deep.equal([0, 2]);
    expect(binIndex([0, 2], 0)).to.equal(0);
    expect(binIndex([0, 2], 1)).to.equal(1);
    expect(binIndex([0, 2], 3)).to.equal(2);
    expect(binCounts([0, 2], [0, 0, 1, 5])).to.deep.equal([2, 1, 1]);
    expect(() => quantileEdges([1], 1)).to.throw(ConfigError, /bins >= 2/);
  });

  it('summarizes examples into brightness, contrast, ink and grid features', () => {
    expect(featureNames(4)).to.deep.equal([
      'mean',
      'std',
      'inkFraction',
      'quarter0Mean',
      'quarter1Mean',
      'quarter2Mean',
      'quarter3Mean',
    ]);
    expect(Array.from(inputFeatures([0, 1, 1, 0], 1, 4))).to.deep.equal([0.5, 0.5, 0.5, 0, 1, 1, 0]);
    expect(featureNames(784)).to.have.length(12);
    const img = new Float32Array(9).fill(0);
    img[0] = 1; // top-left cell of a 3x3 image
    const f = inputFeatures(img, 1, 9);
    expect(f[3]).to.equal(1);
    expect(Array.from(f.subarray(4))).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0]);
    const { labels, confidences } = argmaxRows([0.1, 0.9, 0.7, 0.3], 2, 2);
    expect(Array.from(labels)).to.deep.equal([1, 0]);
    expect(confidences[1]).to.be.closeTo(0.7, 1e-6);
  });
});
