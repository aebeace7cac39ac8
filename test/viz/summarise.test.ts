// Large traces are summarised before a figure is stored: binned, min/max-decimated, sampled or
// block-averaged, with exact counts and extremes kept; small figures pass through untouched.
import { expect } from 'chai';
import { histogramBins } from '../../lib/viz/bins';
import { summariseFigure, SUMMARY_LIMITS } from '../../lib/viz/summarise';
import { histogram, lineChart } from '../../lib/viz/figures';

describe('viz/bins and viz/summarise', () => {
  it('histogramBins: the hand-checkable example, shared nice bins, every finite value counted once', () => {
    expect(histogramBins([[0, 1, 1, 2]], 2)).to.deep.equal({
      start: 0,
      size: 1,
      centres: [0.5, 1.5, 2.5],
      counts: [[1, 2, 1]],
    });
    const a = Array.from({ length: 10000 }, (_, i) => Math.sin(i) * 3);
    const b = [NaN, Infinity, -0.5, 7.25];
    const bins = histogramBins([a, b], 80);
    expect(
      [1, 2, 2.5, 5]
        .map(() => bins.size / 10 ** Math.floor(Math.log10(bins.size)))
        .some((r) => [1, 2, 2.5, 5].includes(+r.toFixed(6))),
    ).to.equal(true);
    expect(bins.counts[0]?.reduce((s, c) => s + c, 0)).to.equal(10000);
    expect(bins.counts[1]?.reduce((s, c) => s + c, 0)).to.equal(2); // NaN and Infinity skipped
    expect(bins.start).to.be.at.most(Math.min(...a));
    expect(bins.start + bins.size * bins.centres.length).to.be.at.least(7.25);
    expect(histogramBins([[], [NaN]]).centres).to.deep.equal([]);
    expect(histogramBins([[5, 5, 5]]).counts[0]?.reduce((s, c) => s + c, 0)).to.equal(3); // one value: still one bin holding all
  });

  it('leaves small figures unchanged', () => {
    const fig = lineChart({ series: [{ name: 'a', x: [1, 2, 3], y: [3, 1, 2] }] });
    const s = summariseFigure(fig);
    expect(s.figure).to.equal(fig);
    expect(s.notes).to.deep.equal([]);
  });

  it('bins raw Plotly histograms with shared edges, keeping the counts exact', () => {
    const w = Array.from({ length: 200704 }, (_, i) => Math.cos(i) * 0.1);
    const nz = w.filter((_, i) => i % 13 === 0);
    const s = summariseFigure({
      data: [
        { type: 'histogram', name: 'baseline', x: w, nbinsx: 60 },
        { type: 'histogram', name: 'pruned', x: nz },
      ],
      layout: {},
    });
    expect(s.figure.data.map((t) => t.type)).to.deep.equal(['bar', 'bar']);
    expect(s.figure.data[0]?.x).to.deep.equal(s.figure.data[1]?.x);
    expect((s.figure.data[0]?.y as number[]).reduce((a, b) => a + b, 0)).to.equal(w.length);
    expect((s.figure.data[1]?.y as number[]).reduce((a, b) => a + b, 0)).to.equal(nz.length);
    expect(s.notes[0]).to.match(/^baseline: 200,704 values binned into \d+ bins/);
    expect(JSON.stringify(s.figure).length).to.be.lessThan(20000);
    expect(s.figure.layout.barmode).to.equal('overlay');
  });

  it("keeps each bucket's min and max of a long line, so a single spike survives", () => {
    const y = Array.from({ length: 100000 }, (_, i) => Math.sin(i / 1000));
    y[54321] = 50;
    const s = summariseFigure(
      lineChart({ series: [{ name: 'loss', x: y.map((_, i) => i), y, text: y.map((_, i) => `step ${i}`) }] }),
    );
    const t = s.figure.data[0] as { x: number[]; y: number[]; text: string[] };
    expect(t.y.length).to.be.at.most(SUMMARY_LIMITS.points);
    expect(Math.max(...t.y)).to.equal(50);
    expect(t.x[t.y.indexOf(50)]).to.equal(54321);
    expect(t.text[t.y.indexOf(50)]).to.equal('step 54321');
    expect(t.x).to.deep.equal([...t.x].sort((a, b) => a - b)); // order kept
  });

  it('samples point clouds and averages large heatmaps over blocks', () => {
    const n = 12000;
    const cloud = summariseFigure({
      data: [
        {
          type: 'scatter',
          mode: 'markers',
          x: Array.from({ length: n }, (_, i) => i),
          y: Array.from({ length: n }, (_, i) => i % 7),
        },
      ],
      layout: {},
    });
    expect((cloud.figure.data[0]?.x as number[]).length).to.be.at.most(SUMMARY_LIMITS.points);
    const z = Array.from({ length: 400 }, (_, r) => Array.from({ length: 400 }, (_, c) => r + c));
    const heat = summariseFigure({ data: [{ type: 'heatmap', z }], layout: {} });
    const hz = heat.figure.data[0]?.z as number[][];
    expect(hz.length * (hz[0] as number[]).length).to.be.at.most(SUMMARY_LIMITS.heatmapCells);
    expect(hz[0]?.[0]).to.equal(1); // mean of r + c over the 2x2 block at the origin: (0 + 1 + 1 + 2) / 4
    expect(heat.notes[0]).to.match(/400x400 heatmap averaged over 2x2 blocks/);
  });

  it('histogram() stores counts: a 200,000-value chart is a few kilobytes', () => {
    const fig = histogram({
      series: [{ name: 'w', values: Float32Array.from({ length: 200000 }, (_, i) => Math.sin(i)) }],
    });
    expect(JSON.stringify(fig).length).to.be.lessThan(15000);
    expect(summariseFigure(fig).notes).to.deep.equal([]);
  });
});
