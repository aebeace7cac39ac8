import { expect } from 'chai';
import { cell, comparisonMarkdown, firstNumber, numberAt, verdict } from '../../course/comparison';
import { formatClaim } from '../../course/brief';

describe('course/comparison', () => {
  it('gives verdicts in the right direction', () => {
    expect(verdict(0.24, { min: 0.25, max: 0.25 }, 'lower')).to.equal('better than claimed');
    expect(verdict(0.25, { min: 0.25, max: 0.25 }, 'lower')).to.equal('holds');
    expect(verdict(0.6, { min: 0.3, max: 0.5 }, 'lower')).to.equal('does not hold');
    expect(verdict(1.2, { min: 1.5, max: 2 }, 'higher')).to.equal('does not hold');
    expect(verdict(3, { min: 1.5, max: 2 }, 'higher')).to.equal('better than claimed');
    expect(verdict(undefined, { min: 1, max: 1 }, 'higher')).to.equal('not measured');
    expect(verdict(NaN, { min: 1, max: 1 }, 'higher')).to.equal('not measured');
    expect(verdict(0.258, { min: 0.25, max: 0.25 }, 'lower', 0.05)).to.equal('holds');
    expect(verdict(0.27, { min: 0.25, max: 0.25 }, 'lower', 0.05)).to.equal('does not hold');
    expect(verdict(1.9, { min: 2, max: 3 }, 'higher', 0.05)).to.equal('holds');
  });

  it('reads dotted paths and the first candidate present', () => {
    const d = { a: { b: 2, c: 'x' } };
    expect(numberAt(d, 'a.b')).to.equal(2);
    expect(numberAt(d, 'a.c')).to.equal(undefined);
    expect(numberAt(d, 'z.y')).to.equal(undefined);
    expect(firstNumber(d, ['a.c', 'a.b'])).to.deep.equal({ value: 2, path: 'a.b' });
  });

  it('renders a Markdown row per technique with measured, claim and verdict', () => {
    const row = {
      key: 'int8',
      technique: 'INT8 quantization',
      notebook: '04-quantization',
      model: 'SimpleNet',
      size: cell(0.26, { min: 0.25, max: 0.25 }, 'lower', 'file ratio'),
      speed: {
        ...cell(3.1, { min: 2, max: 4 }, 'higher', 'ORT'),
        figures: [{ runtime: 'ort-int8', batchSize: 256, speedup: 3.1 }],
      },
      accuracyKept: cell(0.999, { min: 0.9, max: 0.95 }, 'higher', 'ok'),
      literature: ['Jacob et al. 2018'],
      typicalUse: 'mobile, embedded',
    };
    const md = comparisonMarkdown([row], { machine: 'test cpu', date: '2026-01-01' });
    expect(md).to.contain(
      '| INT8 quantization | SimpleNet | 26.00% / 25% ✗ does not hold | 3.10x / 2-4x ✓ holds | 99.90% / 90-95% ✓✓ better | mobile, embedded |',
    );
    expect(md).to.contain('ort-int8 batch 256: 3.10x');
    expect(md).to.contain('test cpu');
    expect(formatClaim({ min: 1 / 40, max: 1 / 40 }, 'percent')).to.equal('2.5%');
    expect(formatClaim({ min: 1.5, max: 2 }, 'ratio')).to.equal('1.5-2x');
  });
});
