// The interactive chart HTML, run in Debian's Chromium against a small server that answers like
// Jupyter's (/files/ under a base URL): plotly.js is fetched once per page however many charts
// there are, each chart is drawn by Plotly (the PNG removed), and without a Jupyter page or
// plotly.js the PNG stays. A page that already has window.Plotly (the HTML export) loads nothing.
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { AddressInfo } from 'net';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../lib/viz/render';
import { plotlyHtml, plotlySource, NOTEBOOK_ROOT_ENV } from '../../lib/viz/plotly-html';
import { lineChart } from '../../lib/viz/figures';

const ROOT = path.resolve(__dirname, '..', '..');
const PLOTLY = path.join(ROOT, 'node_modules', 'plotly.js-dist-min', 'plotly.min.js');
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='; // 1x1

/** Inserts outputs as the classic Notebook does: scripts run while their element is still detached. */
function page(head: string, bodyAttrs: string, outputs: string[]): string {
  return `<!DOCTYPE html><html><head>${head}</head><body ${bodyAttrs}><div id="cells"></div><script>
    const outputs = ${JSON.stringify(outputs).replace(/</g, '\\u003c')};
    for (const html of outputs) {
      const area = document.createElement('div');
      area.innerHTML = html;
      for (const old of [...area.querySelectorAll('script')]) {
        const s = document.createElement('script');
        s.textContent = old.textContent;
        old.remove();
        document.head.appendChild(s); // runs now, while the output is still detached
      }
      setTimeout(() => document.getElementById('cells').appendChild(area), 200);
    }
  </script></body></html>`;
}

describe('viz/plotly-html (in Chromium)', function () {
  this.timeout(120000);
  let browser: Browser | undefined;
  let server: http.Server;
  let base = '';
  const requests: string[] = [];
  const pages = new Map<string, string>();

  before(async function () {
    if (!fs.existsSync(CHROMIUM_PATH) || !fs.existsSync(PLOTLY)) this.skip();
    server = http.createServer((req, res) => {
      const url = decodeURIComponent((req.url ?? '').split('?')[0] as string);
      requests.push(url);
      if (pages.has(url)) {
        res.writeHead(200, { 'content-type': 'text/html' }).end(pages.get(url));
      } else if (/^\/(nb|lab-base)\/files\/node_modules\/plotly\.js-dist-min\/plotly\.min\.js$/.test(url)) {
        res.writeHead(200, { 'content-type': 'application/javascript' }).end(fs.readFileSync(PLOTLY));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  function charts(n: number, cwd: string) {
    const source = plotlySource(cwd);
    return Array.from({ length: n }, (_, i) =>
      plotlyHtml(lineChart({ title: `chart ${i} </script>`, series: [{ name: 'a', x: [1, 2, 3], y: [i, 2, 1] }] }), {
        png: PNG,
        alt: `chart ${i}`,
        source,
      }),
    );
  }

  async function open(url: string, wait: boolean) {
    const p = await (browser as Browser).newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(base + url);
    if (wait)
      await p.waitForFunction(() => document.querySelectorAll('.tfc-plotly.js-plotly-plot').length === 3, undefined, {
        timeout: 60000,
      });
    else await p.waitForTimeout(1500);
    const state = await p.evaluate(() =>
      Array.from(document.querySelectorAll('.tfc-plotly')).map((d) => ({
        traces: ((d as unknown as { _fullData?: unknown[] })._fullData ?? []).length,
        img: Boolean(d.querySelector('img')),
        title: d.querySelector('.gtitle')?.textContent ?? '',
      })),
    );
    await p.close();
    return { state, errors };
  }

  it('classic Notebook: loads plotly.js once from /files/ beside the notebook and draws every chart', async () => {
    requests.length = 0;
    pages.set(
      '/nb/notebooks/notebooks/x.ipynb',
      page('', 'data-base-url="/nb/" data-notebook-path="notebooks/x.ipynb"', charts(3, path.join(ROOT, 'notebooks'))),
    );
    const { state, errors } = await open('/nb/notebooks/notebooks/x.ipynb', true);
    expect(errors).to.deep.equal([]);
    expect(state.map((s) => [s.traces, s.img])).to.deep.equal([
      [1, false],
      [1, false],
      [1, false],
    ]);
    expect(state[0]?.title).to.equal('chart 0 </script>'); // the spec survived inside the script element
    expect(requests.filter((r) => r.endsWith('plotly.min.js'))).to.deep.equal([
      '/nb/files/node_modules/plotly.js-dist-min/plotly.min.js',
    ]);
  });

  it('JupyterLab: finds the base URL in the page config and the server root from TFJS_COMPRESS_NOTEBOOK_ROOT', async () => {
    requests.length = 0;
    const previous = process.env[NOTEBOOK_ROOT_ENV];
    process.env[NOTEBOOK_ROOT_ENV] = ROOT;
    try {
      const source = plotlySource(path.join(ROOT, 'build'));
      expect(source?.fromRoot).to.deep.equal(['node_modules/plotly.js-dist-min/plotly.min.js']);
      expect(source?.fromNotebook).to.equal('../node_modules/plotly.js-dist-min/plotly.min.js');
      const config = '<script id="jupyter-config-data" type="application/json">{"baseUrl": "/lab-base/"}</script>';
      pages.set('/lab-base/lab/workspaces/auto-x', page(config, '', charts(3, path.join(ROOT, 'build', 'somewhere'))));
    } finally {
      if (previous === undefined) delete process.env[NOTEBOOK_ROOT_ENV];
      else process.env[NOTEBOOK_ROOT_ENV] = previous;
    }
    const { state, errors } = await open('/lab-base/lab/workspaces/auto-x', true);
    expect(errors).to.deep.equal([]);
    expect(state.every((s) => s.traces === 1 && !s.img)).to.equal(true);
    expect(requests.filter((r) => r.endsWith('plotly.min.js'))).to.deep.equal([
      '/lab-base/files/node_modules/plotly.js-dist-min/plotly.min.js',
    ]);
  });

  it('a page that already has plotly.js (the HTML export) fetches nothing more', async () => {
    requests.length = 0;
    pages.set(
      '/export.html',
      page(
        '<script src="/nb/files/node_modules/plotly.js-dist-min/plotly.min.js"></script>',
        '',
        charts(3, path.join(ROOT, 'notebooks')),
      ),
    );
    const { state } = await open('/export.html', true);
    expect(state.every((s) => s.traces === 1)).to.equal(true);
    expect(requests.filter((r) => r.endsWith('plotly.min.js'))).to.have.length(1); // the page's own tag
  });

  it('keeps the PNG where plotly.js cannot be loaded (no Jupyter page, or nothing served)', async () => {
    pages.set('/static.html', page('', '', charts(3, path.join(ROOT, 'notebooks'))));
    pages.set(
      '/nb/notebooks/elsewhere/y.ipynb',
      page(
        '',
        'data-base-url="/nowhere/" data-notebook-path="elsewhere/y.ipynb"',
        charts(3, path.join(ROOT, 'notebooks')),
      ),
    );
    for (const url of ['/static.html', '/nb/notebooks/elsewhere/y.ipynb']) {
      const { state, errors } = await open(url, false);
      expect(errors, url).to.deep.equal([]);
      expect(
        state.map((s) => [s.traces, s.img]),
        url,
      ).to.deep.equal([
        [0, true],
        [0, true],
        [0, true],
      ]);
    }
  });
});
