import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { chromium } from 'playwright-core';
import { lineChart, barChart, histogram, imageGrid, saveFigure } from '../../lib/viz';
import { renderUnavailableReason } from '../../lib/viz/render';
import { renderPng, closeRenderer, CHROMIUM_PATH, CHROMIUM_ARGS } from '../../lib/viz/render';
import { tableText } from '../../lib/viz/table';

/** Counts non-white pixels of a PNG by decoding it in the browser (a real check that a chart was drawn). */
async function inkPixels(png: Uint8Array): Promise<{ width: number; height: number; ink: number }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    return await page.evaluate(async (b64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d') as CanvasRenderingContext2D;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 0; i < d.length; i += 4)
        if ((d[i] as number) < 200 || (d[i + 1] as number) < 200 || (d[i + 2] as number) < 200) ink++;
      return { width: img.width, height: img.height, ink };
    }, Buffer.from(png).toString('base64'));
  } finally {
    await browser.close();
  }
}

describe('viz', function () {
  this.timeout(60000);
  after(() => closeRenderer());

  it('builders return plain Plotly specs', () => {
    const f = lineChart({
      title: 't',
      xTitle: 'x',
      yTitle: 'y',
      logX: true,
      series: [{ name: 'a', x: [1, 2], y: [3, 4], yError: [0.1, 0.2] }],
    });
    expect(f.data[0]).to.include({ type: 'scatter', mode: 'lines+markers', name: 'a' });
    expect((f.layout.xaxis as { type: string }).type).to.equal('log');
    expect(JSON.parse(JSON.stringify(f))).to.deep.equal(f);
    const b = barChart({ categories: ['p', 'q'], series: [{ name: 's', values: [1, 2] }] });
    expect(b.data[0]).to.include({ type: 'bar' });
    const h = histogram({
      series: [
        { name: 'h', values: new Float32Array([1, 2, 2]) },
        { name: 'g', values: [3] },
      ],
      nbins: 2,
    });
    expect(h.data.map((t) => t.type)).to.deep.equal(['bar', 'bar']); // binned here: counts, not values
    expect(h.data[0]?.x).to.deep.equal(h.data[1]?.x); // shared bins
    expect((h.data[0]?.y as number[]).reduce((a, b) => a + b, 0)).to.equal(3);
    expect((h.data[1]?.y as number[]).reduce((a, b) => a + b, 0)).to.equal(1);
    const g = imageGrid({ images: [new Uint8Array(4), new Uint8Array(4)], height: 2, width: 2, titles: ['a', 'b'] });
    expect(g.data).to.have.length(2);
    expect(g.layout).to.have.property('xaxis2');
  });

  it('renders a real chart in headless chromium: PNG of the layout size with ink on it', async function () {
    if (renderUnavailableReason()) this.skip();
    const png = await renderPng(
      lineChart({
        title: 'accuracy',
        series: [{ name: 'a', x: [0, 1, 2, 3], y: [1, 3, 2, 4] }],
        width: 500,
        height: 300,
      }),
    );
    expect(Array.from(png.subarray(1, 4))).to.deep.equal([0x50, 0x4e, 0x47]); // "PNG"
    const { width, height, ink } = await inkPixels(png);
    expect([width, height]).to.deep.equal([500, 300]);
    expect(ink).to.be.greaterThan(1000); // axes, line, labels
    const blank = await inkPixels(
      await renderPng({
        data: [],
        layout: { width: 500, height: 300, xaxis: { visible: false }, yaxis: { visible: false } },
      }),
    );
    expect(blank.ink).to.be.lessThan(ink / 5);
  });

  it('saveFigure writes the PNG and the JSON spec', async () => {
    const base = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-viz-')), 'fig');
    const files = await saveFigure(
      barChart({ categories: ['a'], series: [{ name: 's', values: [1] }] }),
      base + '.png',
    );
    expect(files).to.include(base + '.json');
    if (!renderUnavailableReason()) expect(fs.statSync(base + '.png').size).to.be.greaterThan(1000);
  });

  it('tableText renders Markdown and escaped HTML with the union of columns', () => {
    const t = tableText([
      { a: 1, b: '<x>' },
      { a: 0.12345, c: 1234567 },
    ]);
    expect(t.columns).to.deep.equal(['a', 'b', 'c']);
    expect(t.markdown.split('\n')[0]).to.equal('| a | b | c |');
    expect(t.markdown.split('\n')[1]).to.equal('|---:|:---|---:|'); // numbers right, text left
    expect(t.markdown).to.contain('| 0.1235 |  | 1,234,567 |');
    expect(t.html).to.contain('&lt;x&gt;');
    expect(t.html).to.contain('<td style="text-align: left">&lt;x&gt;</td>');
    expect(t.html).to.contain('<th style="text-align: right">c</th>');
  });
});
