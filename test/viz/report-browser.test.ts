// The HTML reports as a reader opens them: Debian's headless Chromium (playwright-core, never a
// downloaded browser) loads each page from its file, offline. The run report comes from a real
// run (the npm-shipped MNIST CNN pruned to 90% without fine-tuning, so its accuracy check fails);
// the profile report from nsfwjs's real MobileNetV2 (161 layers, weights stored as uint8).
// Checked: plotly.js drew every chart (SVG traces, the static drawing gone), no page error and no
// request beyond the file itself, the banner names the failed check with the report's numbers,
// latency is on a log axis, and the layer graph accounts for every layer, in its blocks, in
// their sections and in the whole graph, coloured by precision and sparsity on request.
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../lib/viz/render';
import { hasOptional } from '../../lib/core/optional-package';
import { runRecipe } from '../../lib/pipeline/run';
import { PipelineReport } from '../../lib/pipeline/report';
import { reportFigures } from '../../lib/pipeline/report-figures';
import { profileModel, ProfileReport, profileHtml } from '../../lib/profile';
import { layerBlocks } from '../../lib/profile/graph-blocks';
import { layerPrecisions } from '../../lib/profile/precision';
import { profileFigures } from '../../lib/profile/report-html';
import {
  MNIST_CNN,
  NSFW_MOBILENET_V2,
  bundledArtifacts,
  loadNsfwMobileNetV2,
  verifiedModelFiles,
} from '../fixtures/real-models';
import { mnistNpy, tmpDir } from '../cli/helpers';

interface Opened {
  readonly page: Page;
  readonly errors: string[];
  readonly requests: string[];
}

/** The figures' drawn state: title, traces Plotly holds, SVG trace groups, axis types and tick labels. */
async function charts(page: Page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('figure.tfc-chart')).map((fig) => {
      const plot = fig.querySelector('.tfc-plot') as HTMLElement & {
        _fullData?: unknown[];
        _fullLayout?: { title?: { text?: string }; yaxis?: { type?: string }; xaxis?: { type?: string } };
      };
      return {
        drawn: plot.classList.contains('js-plotly-plot'),
        title: plot._fullLayout?.title?.text ?? '',
        traces: (plot._fullData ?? []).length,
        svgTraces: plot.querySelectorAll('svg .trace').length,
        yType: plot._fullLayout?.yaxis?.type,
        yTicks: Array.from(plot.querySelectorAll('.ytick text')).map((t) => t.textContent ?? ''),
        fallback: Boolean(fig.querySelector('.tfc-fallback')),
      };
    }),
  );
}

describe('reports in Chromium (run report with a failing check, profile of a 161-layer model)', function () {
  this.timeout(600_000);
  let browser: Browser | undefined;
  const dir = tmpDir('tfc-report-browser-');

  before(async function () {
    if (!fs.existsSync(CHROMIUM_PATH) || !hasOptional('plotly.js-dist-min') || !hasOptional('playwright-core'))
      this.skip();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  });
  after(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(file: string, figures: number): Promise<Opened> {
    const page = await (browser as Browser).newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(
      (n) => document.querySelectorAll('figure.tfc-chart .js-plotly-plot').length === n,
      figures,
      { timeout: 120_000 },
    );
    return { page, errors, requests };
  }

  it('run report: every chart drawn by plotly.js offline, the failed check in the banner, latency on a log axis', async () => {
    const calib = mnistNpy(dir, 100, 0);
    const evaluation = mnistNpy(dir, 300, 5000);
    const recipe = {
      version: 1,
      name: 'mnist cnn, pruned without fine-tuning',
      model: verifiedModelFiles(MNIST_CNN).dir,
      seed: 1,
      data: {
        calibration: { path: path.basename(calib.xs), scale: 1 / 255 },
        evaluation: { path: path.basename(evaluation.xs), labels: path.basename(evaluation.ys), scale: 1 / 255 },
      },
      stages: [
        { kind: 'prune', method: 'magnitude', sparsity: 0.9 },
        { kind: 'export', to: 'onnx' },
        { kind: 'bench', runtimes: ['tfjs-wasm', 'ort'], batchSizes: [1], rounds: 2 },
      ],
      checks: { maxAccuracyDrop: 0.001 },
    };
    const out = path.join(dir, 'run');
    const report: PipelineReport = await runRecipe(recipe as never, { baseDir: dir, outDir: out });
    expect(report.checks?.passed, 'a 90% cut without fine-tuning fails a 0.1-point check').to.equal(false);
    const file = path.join(out, 'report.html'); // the page the runner wrote
    const figures = reportFigures(report).length;
    expect(figures).to.equal(4);
    const { page, errors, requests } = await open(file, figures);
    try {
      expect(errors).to.deep.equal([]);
      expect(requests).to.deep.equal([pathToFileURL(file).href]); // nothing beyond the file itself
      const drawn = await charts(page);
      for (const c of drawn) {
        expect(c.drawn, c.title).to.equal(true);
        expect(c.traces, c.title).to.be.greaterThan(0);
        expect(c.svgTraces, c.title).to.be.greaterThan(0);
        expect(c.fallback, c.title).to.equal(false);
      }
      const latency = drawn.find((c) => c.title.startsWith('Latency'));
      expect(latency?.yType).to.equal('log');
      expect(drawn.find((c) => c.title.startsWith('Model size'))?.yTicks.some((t) => t.endsWith(' MiB'))).to.equal(
        true,
      );
      const banner = await page.evaluate(() => {
        const b = document.querySelector('.tfc-banner');
        const first = document.querySelector('body > h1')?.nextElementSibling;
        return {
          status: b?.getAttribute('data-status'),
          first: first === b,
          failed: Array.from(document.querySelectorAll('.tfc-failed-checks li')).map((li) => li.textContent),
          visible: Boolean(b && (b as HTMLElement).offsetHeight > 0 && b.getBoundingClientRect().top < 300),
        };
      });
      const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
      expect(banner).to.deep.equal({
        status: 'failed',
        first: true,
        visible: true,
        failed: [
          `Largest accuracy drop ${pct(report.checks?.worstDrop as number)} against at most ${pct(report.checks?.maxAccuracyDrop as number)}`,
        ],
      });
    } finally {
      await page.close();
    }
  });

  it('profile report of a 161-layer model: charts drawn, every layer in the graph, blocks open from the overview, colours switch', async () => {
    const model = await loadNsfwMobileNetV2();
    let report: ProfileReport;
    try {
      report = await profileModel(model);
    } finally {
      model.dispose();
    }
    const layers = report.layers;
    expect(layers.length).to.be.greaterThan(80);
    const specs = bundledArtifacts(NSFW_MOBILENET_V2).modelJson.weightsManifest.flatMap((g) => g.weights);
    const precision = layerPrecisions(layers, { specs });
    const file = path.join(dir, 'profile.html');
    fs.writeFileSync(file, profileHtml(report, { title: 'nsfwjs MobileNetV2', precision }));
    const { page, errors, requests } = await open(file, profileFigures(report).length);
    try {
      expect(errors).to.deep.equal([]);
      expect(requests).to.deep.equal([pathToFileURL(file).href]);
      for (const c of await charts(page))
        expect([c.drawn, c.svgTraces > 0, c.fallback], c.title).to.deep.equal([true, true, false]);
      const graph = await page.evaluate(() => ({
        blocks: Array.from(document.querySelectorAll('.tfc-graph-frame .tfc-block')).map((b) =>
          Number(b.getAttribute('data-layers')),
        ),
        sections: Array.from(document.querySelectorAll('details.tfc-graph-block')).map((d) =>
          Array.from(d.querySelectorAll('.tfc-layer')).map((l) => l.getAttribute('data-name')),
        ),
        all: Array.from(document.querySelectorAll('details.tfc-graph-all .tfc-layer')).map((l) =>
          l.getAttribute('data-name'),
        ),
      }));
      const names = layers.map((l) => l.name);
      expect(graph.blocks).to.deep.equal(layerBlocks(layers).map((b) => b.end - b.start));
      expect(graph.blocks.reduce((a, b) => a + b, 0)).to.equal(layers.length);
      expect(graph.sections.map((s) => s.length)).to.deep.equal(graph.blocks);
      expect(graph.sections.flat()).to.deep.equal(names); // each layer once, in order
      expect(graph.all).to.deep.equal(names);

      // A block of the overview opens its section.
      await page.locator('.tfc-block[data-block="2"]').click();
      await page.waitForFunction(
        () => (document.querySelectorAll('details.tfc-graph-block')[2] as HTMLDetailsElement).open,
      );

      // The colour switch: a uint8-stored convolution in the 8-bit colour, then by its sparsity.
      const fill = () =>
        page.evaluate(
          () => getComputedStyle(document.querySelector('.tfc-graph-frame .tfc-block .tfc-box') as Element).fill,
        );
      const kind = await fill();
      await page.locator('.tfc-graph input[value="precision"]').check();
      expect(await fill()).to.equal('rgb(253, 208, 162)'); // #fdd0a2, 8-bit
      await page.locator('.tfc-graph input[value="sparsity"]').check();
      const sparse = await fill();
      expect([kind, 'rgb(253, 208, 162)']).to.not.include(sparse);
      expect(
        await page.evaluate(
          () => getComputedStyle(document.querySelector('.tfc-legend[data-mode="sparsity"]') as Element).display,
        ),
      ).to.equal('inline');
    } finally {
      await page.close();
    }
  });
});
