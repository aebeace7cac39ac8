import { expect } from 'chai';
import { setOutput } from '../../lib/core/output';
import { check, CheckError } from '../../course/check';

describe('course/check', () => {
  it('check shows the claim when it holds, and throws a CheckError naming it when not', () => {
    const got: string[] = [];
    const previous = setOutput((t) => got.push(t));
    try {
      check('two is two', 2 === 2, 'detail');
      expect(() => check('one is two', false, 'x')).to.throw(CheckError, 'check failed: one is two (x)');
    } finally {
      setOutput(previous);
    }
    expect(got).to.deep.equal(['✓ two is two (detail)']);
  });
});
