// The notebook runner must fail on what Jupyter's own exit code misses: an error thrown later in
// a timer, an unhandled promise rejection, a failed course check, and an executed notebook over
// 2 MB. Its executed copies number the first cell In [1], and its HTML draws every chart with
// plotly.js loaded once. Runs the real runner with the real tslab kernel on tiny notebooks, and
// opens the HTML in Debian's Chromium.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../lib/viz/render';

const root = path.resolve(__dirname, '..', '..');
const kernelDir = path.join(root, 'build', 'jupyter');

function notebook(dir: string, name: string, cells: string[]): string {
  const nb = {
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, execution_count: null, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { display_name: 'TypeScript (tslab)', language: 'typescript', name: 'tslab' } },
    nbformat: 4, nbformat_minor: 5,
  };
  const file = path.join(dir, `${name}.ipynb`);
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

describe('test/notebooks/run.py (the course runner)', function () {
  this.timeout(600000);

  it('passes good notebooks and fails late throws, unhandled rejections, failed checks and oversized notebooks', async function () {
    if (!fs.existsSync('/usr/bin/jupyter') || !fs.existsSync(path.join(kernelDir, 'kernels', 'tslab', 'kernel.json'))) {
      this.skip(); // make test runs `make setup` first, so this only skips outside the Makefile
    }
    // Inside the repository, so the notebooks resolve the tfjs-compress package like the course does.
    fs.mkdirSync(path.join(root, 'build'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, 'build', 'runner-test-'));
    const files = [
      notebook(dir, 'good', ['const x: number = 1 + 1;\nconsole.log(x);', 'console.log(x + 1);']),
      notebook(dir, 'charts', ["import * as tfc from 'tfjs-compress';",
        "await tfc.viz.show(tfc.viz.lineChart({ title: 'one', series: [{ name: 'a', x: [1, 2, 3], y: [1, 4, 9] }] }));",
        "await tfc.viz.show(tfc.viz.histogram({ title: 'two', series: [{ name: 'w', values: Array.from({ length: 200000 }, (_, i) => Math.sin(i)) }] }));"]),
      notebook(dir, 'too-large', ["console.log('x'.repeat(2200000));"]),
      notebook(dir, 'late-throw', ["setTimeout(() => { throw new Error('thrown later'); }, 10);\nconsole.log('cell finished');"]),
      notebook(dir, 'rejection', ["(async () => { await new Promise((r) => setTimeout(r, 10)); throw new Error('nobody awaited me'); })();\nconsole.log('cell finished');"]),
      notebook(dir, 'check', ["import * as course from 'tfjs-compress-course';\nconst one: number = 1;\ncourse.check('one is two', one === 2);"]),
      notebook(dir, 'type-error', ["const s: string = 42;"]),
    ];
    let out = '';
    let status = 0;
    try {
      out = execFileSync('/usr/bin/python3', [path.join(root, 'test', 'notebooks', 'run.py'), ...files], {
        cwd: dir, env: { ...process.env, JUPYTER_PATH: kernelDir }, encoding: 'utf8',
      });
    } catch (e) {
      const err = e as { status: number; stdout: string };
      status = err.status;
      out = err.stdout;
    }
    expect(status).to.equal(1);
    expect(out).to.match(/ok {3}.*good\.ipynb/);
    expect(out).to.match(/FAIL .*late-throw\.ipynb/);
    expect(out).to.contain('thrown later');
    expect(out).to.match(/FAIL .*rejection\.ipynb/);
    expect(out).to.contain('nobody awaited me');
    expect(out).to.match(/FAIL .*check\.ipynb/);
    expect(out).to.contain('check failed: one is two');
    expect(out).to.match(/FAIL .*type-error\.ipynb/);
    expect(out).to.contain("Type 'number' is not assignable to type 'string'");
    expect(out).to.match(/FAIL .*too-large\.ipynb/);
    expect(out).to.match(/the executed notebook is 2,2\d\d,\d\d\d bytes, over the 2,097,152-byte limit; largest outputs: cell 0 stream/);
    expect(out.trim().split('\n').pop()).to.equal('2 passed, 5 failed');

    // Executed copies are numbered from In [1]; charts are stored small.
    const executed = path.join(dir, 'build', 'notebooks');
    const good = JSON.parse(fs.readFileSync(path.join(executed, 'good.ipynb'), 'utf8')) as { cells: { execution_count: number }[] };
    expect(good.cells.map((c) => c.execution_count)).to.deep.equal([1, 2]);
    expect(fs.statSync(path.join(executed, 'charts.ipynb')).size).to.be.lessThan(400000);
    const charts = JSON.parse(fs.readFileSync(path.join(executed, 'charts.ipynb'), 'utf8')) as { cells: { outputs: { output_type: string; data?: Record<string, unknown> }[] }[] };
    const shown = charts.cells.flatMap((c) => c.outputs).filter((o) => o.output_type === 'display_data' && o.data && 'text/html' in o.data);
    expect(shown.map((o) => Object.keys(o.data as object).sort())).to.deep.equal(Array(2).fill(['application/vnd.plotly.v1+json', 'image/png', 'text/html', 'text/plain']));

    // The HTML loads plotly.js once, has one plot div per chart, and draws both in a browser.
    const html = fs.readFileSync(path.join(executed, 'charts.html'), 'utf8');
    expect(html.match(/<script src="plotly\.min\.js"><\/script>/g)).to.have.length(1);
    expect(html.match(/<div id="tfc-plot-[^"]+" class="tfc-plotly"/g)).to.have.length(2);
    expect(fs.statSync(path.join(executed, 'plotly.min.js')).size).to.be.greaterThan(1e6);
    if (fs.existsSync(CHROMIUM_PATH)) {
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
      try {
        const page = await browser.newPage();
        await page.goto(`file://${path.join(executed, 'charts.html')}`, { waitUntil: 'domcontentloaded' });
        await page.waitForFunction(() => document.querySelectorAll('.tfc-plotly.js-plotly-plot .main-svg').length >= 2, undefined, { timeout: 30000 });
        const plotted = await page.evaluate(() => Array.from(document.querySelectorAll('.tfc-plotly')).map((d) => ((d as unknown as { _fullData?: unknown[] })._fullData ?? []).length));
        expect(plotted).to.deep.equal([1, 1]);
      } finally {
        await browser.close();
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
