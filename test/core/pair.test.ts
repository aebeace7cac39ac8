import { expect } from 'chai';
import { pair } from '../../lib/core/pair';

describe('core/pair', () => {
  it('reads one number or [height, width] as [height, width], with a fallback for a missing value', () => {
    expect(pair(3)).to.deep.equal([3, 3]);
    expect(pair([2, 1])).to.deep.equal([2, 1]);
    expect(pair([5])).to.deep.equal([5, 5]);
    expect(pair(undefined)).to.deep.equal([1, 1]);
    expect(pair(null, 2)).to.deep.equal([2, 2]);
    expect(pair(undefined, [2, 3])).to.deep.equal([2, 3]);
    expect(pair([], [2, 3])).to.deep.equal([2, 3]);
    expect(pair(0, 7)).to.deep.equal([0, 0]); // 0 is a value, not a missing one
  });
});
