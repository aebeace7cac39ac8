// The one table formatter: the quantity of a column comes from its name (or an explicit format),
// and every quantity is shown without false precision.
import { expect } from 'chai';
import { columnQuantity, formatValue, isNumericColumn } from '../../lib/viz/format';
import { tableText } from '../../lib/viz/table';
import { htmlPage } from '../../lib/viz/html-page';

describe('viz/format', () => {
  it('reads the quantity from glossary keys and from display names that state a unit', () => {
    const cases: [string, string][] = [
      ['accuracy', 'fraction'],
      ['testAccuracy', 'fraction'],
      ['acc L1 (no FT)', 'fraction'],
      ['sparsity', 'fraction'],
      ['MACs kept', 'fraction'],
      ['accuracyDrop', 'drop'],
      ['drop (points)', 'points'],
      ['PTQ drop (points)', 'points'],
      ['accuracy (%)', 'percent'],
      ['speedup', 'ratio'],
      ['speed-up (dense / sparse)', 'ratio'],
      ['compressionRatio', 'ratio'],
      ['MACs vs original', 'ratio'],
      ['x smaller', 'ratio'],
      ['sizeBytes', 'bytes'],
      ['weights.bin bytes', 'bytes'],
      ['activation bytes / example', 'bytes'],
      ['weightSqnrDb', 'db'],
      ['held-out fc1 SQNR dB', 'db'],
      ['p50Ms', 'ms'],
      ['p50 ms batch 1', 'ms'],
      ['latencyMs', 'ms'],
      ['examples/s', 'integer'],
      ['req/s', 'integer'],
      ['throughput', 'integer'],
      ['training seconds (when trained)', 'seconds'],
      ['params', 'integer'],
      ['MACs', 'integer'],
      ['scale', 'number'],
      ['scale / 2', 'number'],
      ['size / fp32', 'number'],
      ['x', 'number'],
      ['T', 'number'],
      ['model', 'number'],
    ];
    for (const [name, q] of cases) expect(columnQuantity(name), name).to.equal(q);
  });

  it('formats each quantity as the course shows it', () => {
    expect(formatValue(0.9823, 'fraction')).to.equal('98.23%');
    expect(formatValue(98.23, 'percent')).to.equal('98.23');
    expect(formatValue(0.0004, 'drop')).to.equal('0.04 pt');
    expect(formatValue(0.04, 'points')).to.equal('0.04');
    expect(formatValue(3.2549, 'ratio')).to.equal('3.25x');
    expect(formatValue(1, 'ratio')).to.equal('1.00x');
    expect(formatValue(1234567, 'bytes')).to.equal('1,234,567');
    expect(formatValue(35.5, 'db')).to.equal('35.5');
    expect(formatValue(46.576, 'seconds')).to.equal('46.6');
    expect([0.0714, 0.4868, 1.169, 31.235, 527.6, 1234.5].map((v) => formatValue(v, 'ms'))).to.deep.equal([
      '0.0714',
      '0.487',
      '1.17',
      '31.2',
      '528',
      '1,235',
    ]);
    expect(formatValue(58059.0, 'integer')).to.equal('58,059');
    expect(formatValue(0.625, 'integer')).to.equal('0.625'); // never rounds a fraction away
  });

  it('shows generic numbers with 4 significant digits and no trailing zeros', () => {
    expect([0.04, 0.2526, 8.2931, 0.00001144, 1, 1234567, 0.99997, 2.5e-12].map((v) => formatValue(v))).to.deep.equal([
      '0.04',
      '0.2526',
      '8.293',
      '0.00001144',
      '1',
      '1,234,567',
      '1',
      '2.500e-12',
    ]);
  });

  it('shows no negative zero, and names what is not a number', () => {
    expect(formatValue(-0.00001, 'points')).to.equal('0.00');
    expect(formatValue(-0.00001, 'fraction')).to.equal('0.00%');
    expect(formatValue(NaN, 'fraction')).to.equal('n/a');
    expect(formatValue(Infinity)).to.equal('∞');
    expect(formatValue(undefined)).to.equal('');
    expect(formatValue('30-50%', 'fraction')).to.equal('30-50%');
    expect(formatValue(true)).to.equal('true');
    expect(formatValue({ a: 1 })).to.equal('{"a":1}');
  });

  it('right-aligns a column only when every value is a number', () => {
    expect(isNumericColumn([1, 2.5, undefined])).to.equal(true);
    expect(isNumericColumn([1, 'see notebook 01'])).to.equal(false);
    expect(isNumericColumn([undefined, ''])).to.equal(false);
    expect(isNumericColumn(['98.23%', '3.25x', '1,234', '0.04 pt', -0.5])).to.equal(true); // already formatted numbers
    expect(isNumericColumn(['30-50%'])).to.equal(false);
  });

  it('the HTML report page uses the same formatter and alignment', () => {
    const html = htmlPage('t', [
      { table: { columns: ['stage', 'size (bytes)', 'accuracy'], rows: [['original', 940584, 0.98231]] } },
    ]);
    expect(html).to.contain(
      '<td style="text-align: left">original</td><td style="text-align: right">940,584</td><td style="text-align: right">98.23%</td>',
    );
  });

  it('tableText formats by column name, and an explicit format wins', () => {
    const rows = [
      {
        model: 'SimpleNet',
        accuracy: 0.98231,
        accuracyDrop: 0.0003,
        sizeBytes: 940584,
        speedup: 3.608,
        'p50 ms': 0.0714,
        gain: 0.0012,
      },
    ];
    const t = tableText(rows, { formats: { gain: 'drop' } });
    expect(t.markdown.split('\n')).to.deep.equal([
      '| model | accuracy | accuracyDrop | sizeBytes | speedup | p50 ms | gain |',
      '|:---|---:|---:|---:|---:|---:|---:|',
      '| SimpleNet | 98.23% | 0.03 pt | 940,584 | 3.61x | 0.0714 | 0.12 pt |',
    ]);
    expect(t.quantities).to.deep.equal(['number', 'fraction', 'drop', 'bytes', 'ratio', 'ms', 'drop']);
  });
});
