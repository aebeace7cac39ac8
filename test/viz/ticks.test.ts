// Log axes read 1, 10, 100, 1k, 10k (or 0.2, 0.5, 1 within a decade), never "5, 2, 10k".
import { expect } from 'chai';
import { logAxisTicks, tickLabel } from '../../lib/viz/ticks';
import { barChart, histogram, lineChart } from '../../lib/viz/figures';

describe('viz/ticks', () => {
  it('labels thousands with k, M, G and writes small numbers out', () => {
    expect([1, 10, 100, 1000, 10000, 2e6, 3e9, 0.01, 0.2].map(tickLabel)).to.deep.equal([
      '1',
      '10',
      '100',
      '1k',
      '10k',
      '2M',
      '3G',
      '0.01',
      '0.2',
    ]);
  });

  it('uses powers of ten over more than three decades, at most about 8 of them', () => {
    expect(logAxisTicks([3, 4000])?.ticktext).to.deep.equal(['1', '10', '100', '1k', '10k']);
    expect(logAxisTicks([0.0013, 9])?.ticktext).to.deep.equal(['0.001', '0.01', '0.1', '1', '10']);
    const wide = logAxisTicks([1e-3, 1e12]);
    expect(wide?.tickvals.length).to.be.at.most(9);
    expect(wide?.tickvals.every((v) => Number.isInteger(Math.log10(v)))).to.equal(true);
  });

  it('uses 1-2-5 steps up to three decades (or every digit in a narrow range), written in full', () => {
    expect(logAxisTicks([0.15, 0.9])?.ticktext).to.deep.equal(['0.1', '0.2', '0.5', '1']);
    expect(logAxisTicks([30000, 940000])?.ticktext).to.deep.equal(['20k', '50k', '100k', '200k', '500k', '1M']);
    expect(logAxisTicks([0.25, 0.48])?.ticktext).to.deep.equal(['0.2', '0.3', '0.4', '0.5']);
    expect(logAxisTicks([0.31, 0.48])).to.equal(undefined); // one digit inside: Plotly's own ticks then
    expect(logAxisTicks([])).to.equal(undefined);
    expect(logAxisTicks([0, -1, NaN])).to.equal(undefined);
  });

  it('is applied by the builders to their log axes only', () => {
    const line = lineChart({
      logX: true,
      logY: true,
      series: [
        {
          name: 'a',
          x: [1, 2, 4, 8, 16, 32, 64, 128, 256],
          y: [500, 2000, 9000, 40000, 60000, 61000, 62000, 63000, 64000],
        },
      ],
    });
    expect((line.layout.xaxis as { ticktext: string[] }).ticktext).to.deep.equal([
      '1',
      '2',
      '5',
      '10',
      '20',
      '50',
      '100',
      '200',
      '500',
    ]);
    expect((line.layout.yaxis as { ticktext: string[] }).ticktext).to.deep.equal([
      '200',
      '500',
      '1k',
      '2k',
      '5k',
      '10k',
      '20k',
      '50k',
      '100k',
    ]);
    expect((line.layout.xaxis as { type: string }).type).to.equal('log');
    const bar = barChart({ logY: true, categories: ['a', 'b'], series: [{ name: 's', values: [0.05, 30] }] });
    expect((bar.layout.yaxis as { tickmode: string }).tickmode).to.equal('array');
    expect(lineChart({ series: [{ name: 'a', x: [1, 2], y: [1, 2] }] }).layout.xaxis).to.not.have.property('tickvals');
    const h = histogram({
      logY: true,
      series: [{ name: 'h', values: Array.from({ length: 5000 }, (_, i) => (i % 100 === 0 ? 10 : Math.sqrt(i % 97))) }],
    });
    const hy = h.layout.yaxis as { tickvals: number[]; ticktext: string[] };
    expect(hy.ticktext).to.deep.equal(hy.tickvals.map(tickLabel));
    expect(hy.ticktext.length).to.be.at.least(2);
  });
});
