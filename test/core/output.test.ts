import { expect } from 'chai';
import { setOutput, writeOutput } from '../../lib/core/output';

describe('core/output', () => {
  it('writeOutput goes to the sink set, and setOutput returns the previous one', () => {
    const got: string[] = [];
    const previous = setOutput((t) => got.push(t));
    try {
      writeOutput('hello');
      const inner = setOutput(() => undefined);
      writeOutput('silenced');
      setOutput(inner);
      writeOutput('again');
    } finally {
      setOutput(previous);
    }
    expect(got).to.deep.equal(['hello', 'again']);
  });
});
