// Axes written in their quantity: bytes in KiB/MiB, fractions in percent, counts as 25M, log axes
// with readable ticks, and the builders applying them (bars both ways, points with sizes).
import { expect } from 'chai';
import { axisFormat, formatAs, formatBytesShort, formatCount } from '../../lib/viz/axes';
import { barChart, scatterChart } from '../../lib/viz/figures';

describe('viz/axes', () => {
  it('writes bytes in the largest binary unit, counts with k/M/G, fractions in percent', () => {
    expect(formatBytesShort(4805041)).to.equal('4.58 MiB');
    expect(formatBytesShort(1536)).to.equal('1.5 KiB');
    expect(formatBytesShort(512)).to.equal('512 B');
    expect(formatBytesShort(3 * 1024 ** 3)).to.equal('3 GiB');
    expect(formatCount(25_000_000)).to.equal('25M');
    expect(formatCount(1234)).to.equal('1.23k');
    expect(formatCount(-2500)).to.equal('-2.5k');
    expect(formatAs('percent', 0.98234)).to.equal('98.23%');
    expect(formatAs('ms', 0.116552)).to.equal('0.117 ms');
    expect(formatAs('bytes', NaN)).to.equal('');
  });

  it('byte axes tick at round numbers of one unit, from zero on a linear axis', () => {
    const ax = axisFormat('bytes', [4805041, 1208055], false) as { tickvals: number[]; ticktext: string[] };
    expect(ax.ticktext[0]).to.equal('0 MiB');
    expect(ax.ticktext).to.include('4 MiB');
    expect(ax.tickvals[ax.ticktext.indexOf('4 MiB')]).to.equal(4 * 1024 ** 2);
    expect(Math.max(...ax.tickvals)).to.be.at.least(4805041); // the tallest bar is under the top tick
    const log = axisFormat('bytes', [2048, 5e6], true) as { ticktext: string[] };
    expect(log.ticktext.every((t) => / (KiB|MiB)$/.test(t))).to.equal(true);
  });

  it('percent and count axes say how to write ticks and hover values; unknown values add nothing', () => {
    expect(axisFormat('percent', [0.1, 0.9], false)).to.deep.include({ tickformat: '.0%', hoverformat: '.2%' });
    expect(axisFormat('percent', [0.97, 0.99], false)).to.deep.include({ tickformat: '.1%' });
    expect(axisFormat('count', [25_000_000], false)).to.deep.include({ exponentformat: 'SI' });
    const log = axisFormat('ms', [0.11, 23], true) as { ticktext: string[]; tickmode: string };
    expect(log.tickmode).to.equal('array');
    expect(log.ticktext).to.include.members(['0.1', '1', '10']);
    expect(axisFormat('bytes', [NaN], false)).to.deep.equal({});
  });

  it('barChart: per-bar colours, hover text, upper whiskers, and horizontal bars with the value axis on x', () => {
    const v = barChart({
      categories: ['a', 'b'],
      yFormat: 'bytes',
      logY: true,
      series: [{ name: 's', values: [1e6, 4e6], color: ['#111', '#222'], upperErrors: [1, 2], hoverText: ['x', 'y'] }],
    });
    const t = v.data[0] as Record<string, any>;
    expect(t.marker.color).to.deep.equal(['#111', '#222']);
    expect(t.error_y).to.deep.include({ symmetric: false, array: [1, 2], arrayminus: [0, 0] });
    expect(t).to.deep.include({ hovertext: ['x', 'y'], hoverinfo: 'text' });
    expect((v.layout.yaxis as Record<string, any>).type).to.equal('log');
    expect((v.layout.yaxis as Record<string, any>).ticktext.every((s: string) => s.endsWith('MiB'))).to.equal(true);
    const h = barChart({
      categories: ['a', 'b'],
      orientation: 'h',
      xFormat: 'count',
      series: [{ name: 's', values: [1, 2] }],
    });
    expect(h.data[0]).to.deep.include({ orientation: 'h', y: ['a', 'b'], x: [1, 2] });
    expect(h.layout.yaxis).to.deep.include({ autorange: 'reversed' });
    expect(h.layout.xaxis).to.deep.include({ exponentformat: 'SI' });
  });

  it('scatterChart: marker sizes, symbol and colour per series; a legend beside the plot when asked', () => {
    const f = scatterChart({
      legend: 'right',
      series: [{ name: 'p', x: [1], y: [2], markerSize: [30], symbol: 'star', color: '#f00' }],
    });
    expect((f.data[0] as Record<string, any>).marker).to.deep.equal({ size: [30], symbol: 'star', color: '#f00' });
    expect(f.layout.legend).to.deep.include({ orientation: 'v', xanchor: 'left' });
  });
});
