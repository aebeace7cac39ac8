// Static PNGs of Plotly figures, rendered by Debian's chromium through playwright-core (never a
// browser that a tool downloads). One browser page is kept for the process and reused; it is
// closed at exit. When chromium or one of the two packages (optional dependencies) is absent,
// rendering reports why instead of failing.
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { Figure } from './figures';

/** A Plotly.js function, called inside the page. */
type PlotlyFn = (...args: unknown[]) => unknown;
import { ConfigError } from '../errors';
import { hasOptional, OPTIONAL_PACKAGES, requireOptional, resolveOptional } from '../core/optional-package';

export const CHROMIUM_PATH = process.env.TFJS_COMPRESS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let browser: Browser | undefined;
let page: Page | undefined;
let starting: Promise<Page> | undefined;

/** Why PNGs cannot be rendered here, or undefined when they can. */
export function renderUnavailableReason(): string | undefined {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    return `no chromium at ${CHROMIUM_PATH} (install Debian's chromium: apt-get install chromium), so charts show as Plotly JSON only`;
  }
  for (const name of ['playwright-core', 'plotly.js-dist-min']) {
    if (!hasOptional(name))
      return `the npm package ${name} is not installed (npm install ${name}@${OPTIONAL_PACKAGES[name]}), so charts show as Plotly JSON only`;
  }
  return undefined;
}

async function getPage(): Promise<Page> {
  if (page) return page;
  if (!starting) {
    starting = (async () => {
      const { chromium } = requireOptional<typeof import('playwright-core')>('playwright-core', 'renderPng');
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
      const p = await browser.newPage();
      await p.setContent('<html><body style="margin:0;background:white"><div id="plot"></div></body></html>');
      await p.addScriptTag({ path: resolveOptional('plotly.js-dist-min', 'renderPng', '/plotly.min.js') });
      page = p;
      process.once('exit', () => {
        void browser?.close();
      });
      return p;
    })();
  }
  return starting;
}

/**
 * Renders a figure to PNG bytes (its layout width x height, default 720 x 420).
 * @example const png = await renderPng(lineChart({series: [{name: 'a', x: [0, 1], y: [1, 2]}]}));
 */
export async function renderPng(fig: Figure): Promise<Uint8Array> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new ConfigError(
      `renderPng: a chromium browser, got ${renderUnavailableReason()}. Install Debian's chromium or set TFJS_COMPRESS_CHROMIUM.`,
    );
  }
  const p = await getPage();
  const width = Number(fig.layout.width ?? 720);
  const height = Number(fig.layout.height ?? 420);
  const url: string = await p.evaluate(
    async ({ data, layout, width, height }) => {
      const Plotly = (globalThis as unknown as { Plotly: { newPlot: PlotlyFn; toImage: PlotlyFn; purge: PlotlyFn } })
        .Plotly;
      const el = document.getElementById('plot') as HTMLElement;
      await Plotly.newPlot(el, data, { ...layout, width, height }, { staticPlot: true });
      const img = await Plotly.toImage(el, { format: 'png', width, height });
      Plotly.purge(el);
      return img as string;
    },
    { data: fig.data, layout: fig.layout, width, height },
  );
  return new Uint8Array(Buffer.from(url.replace(/^data:image\/png;base64,/, ''), 'base64'));
}

/** Closes the rendering browser (also done at process exit). */
export async function closeRenderer(): Promise<void> {
  const b = browser;
  browser = undefined;
  page = undefined;
  starting = undefined;
  await b?.close();
}

/** Writes `<file>.png` (when chromium is here) and `<file>.json` (the Plotly spec). Returns the paths written. */
export async function saveFigure(fig: Figure, file: string): Promise<string[]> {
  const base = file.replace(/\.(png|json)$/, '');
  fs.mkdirSync(path.dirname(base), { recursive: true });
  const written: string[] = [];
  fs.writeFileSync(`${base}.json`, JSON.stringify(fig));
  written.push(`${base}.json`);
  if (!renderUnavailableReason()) {
    fs.writeFileSync(`${base}.png`, await renderPng(fig));
    written.push(`${base}.png`);
  }
  return written;
}
