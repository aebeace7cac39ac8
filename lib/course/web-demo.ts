// The course's browser deployment: write the models and sample digits where the static page (web/) finds
// them, serve page + models + the tfjs bundle on 127.0.0.1, and drive the page in headless
// Chromium (playwright-core with the system's chromium) to read its measurements and screenshot.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, DataError, describe } from '../errors';
import { writeJsonAtomic } from '../core/atomic';
import { requireOptional } from '../core/optional-package';
import { ImageSet, imageSize } from '../data/image-set';
import { ModelArtifacts, writeArtifacts } from '../data/model-io';
import { checkRegistryName } from '../serve/registry';
import { startStaticServer, StaticServer } from '../serve/static-server';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../viz/render';

/** One model for the page: its artifacts (float32 or quantized manifest) and how to label it. */
export interface WebModel {
  readonly key: string;
  readonly label: string;
  readonly artifacts: ModelArtifacts;
  /** e.g. 'uint8 weights from exporters' or 'fp32: no quantized exporter available'. */
  readonly note?: string;
}

/** What {@link prepareWebModels} wrote. */
export interface WebModelsInfo {
  readonly dir: string;
  readonly models: { key: string; label: string; note: string; path: string; fileBytes: number }[];
  readonly samples: number;
}

/**
 * Writes `<dir>/<key>/model.json` + weights for each model, `<dir>/manifest.json`, and
 * `<dir>/samples.json` with the first `sampleCount` examples of `samples` (pixels 0-255, labels).
 */
export function prepareWebModels(dir: string, models: readonly WebModel[], samples: ImageSet, sampleCount = 200): WebModelsInfo {
  if (models.length === 0) throw new ConfigError(`prepareWebModels: at least one model, got none. Pass the baseline and the compressed model.`);
  if (!(Number.isInteger(sampleCount) && sampleCount > 0 && sampleCount <= samples.count)) {
    throw new ConfigError(`prepareWebModels: sampleCount in [1, ${samples.count}], got ${describe(sampleCount)}. Use e.g. 200.`);
  }
  const out: WebModelsInfo['models'] = [];
  for (const m of models) {
    checkRegistryName('prepareWebModels', 'model key', m.key);
    const sizes = writeArtifacts(path.join(dir, m.key), m.artifacts);
    out.push({ key: m.key, label: m.label, note: m.note ?? '', path: m.key, fileBytes: sizes.modelJsonBytes + sizes.weightBytes });
  }
  const px = imageSize(samples);
  const images: number[][] = [];
  for (let i = 0; i < sampleCount; i++) images.push(Array.from(samples.images.subarray(i * px, (i + 1) * px)));
  writeJsonAtomic(path.join(dir, 'manifest.json'), { models: out });
  fs.writeFileSync(path.join(dir, 'samples.json'), JSON.stringify({ images, labels: Array.from(samples.labels.subarray(0, sampleCount)) }));
  return { dir, models: out, samples: sampleCount };
}

/** The page's folder (web/ at the package root, beside lib/ and dist/). */
export function webRoot(): string {
  const dir = path.resolve(__dirname, '../../web');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw new DataError(`webRoot: the page at ${dir}/index.html, got no such file. Reinstall the package (web/ ships with it).`, dir);
  }
  return dir;
}

/** Serves web/ at /, `modelsDir` at /models/ and tfjs's browser bundle at /tf.min.js, on 127.0.0.1. */
export async function startWebDemo(modelsDir: string, port = 0): Promise<StaticServer> {
  return startStaticServer({
    mounts: { '/': webRoot(), '/models/': modelsDir },
    files: { '/tf.min.js': require.resolve('@tensorflow/tfjs/dist/tf.min.js') },
    port,
  });
}

/** One model's figures as the page measured them. */
export interface BrowserModelResult {
  readonly key: string;
  readonly label: string;
  readonly note: string;
  readonly format: string;
  readonly downloadBytes: number;
  readonly loadMs: number;
  readonly p50Batch1Ms: number;
  readonly p90Batch1Ms: number;
  readonly p50Batch32Ms: number;
  readonly sampleAccuracy: number;
  readonly samples: number;
}

/** What the page reported. */
export interface BrowserResult {
  readonly backend: string;
  readonly tfjs: string;
  readonly userAgent: string;
  readonly models: BrowserModelResult[];
  readonly screenshot: string;
  /** Text of the page's status line. */
  readonly status: string;
}

/** Options for {@link runWebDemoInBrowser}. */
export interface BrowserRunOptions {
  /** PNG written here (folders created). */
  readonly screenshotPath: string;
  /** tfjs backend in the page ('cpu', 'webgl'); default: the page's choice. */
  readonly backend?: string;
  readonly timeoutMs?: number;
  readonly executablePath?: string;
  readonly args?: readonly string[];
}

/**
 * Opens the demo page (served at `url`, loopback) in headless Chromium, waits for its
 * measurements, saves a screenshot, and returns what the page measured.
 */
export async function runWebDemoInBrowser(url: string, options: BrowserRunOptions): Promise<BrowserResult> {
  const { chromium } = requireOptional<typeof import('playwright-core')>('playwright-core', 'runWebDemoInBrowser');
  const browser = await chromium.launch({ executablePath: options.executablePath ?? CHROMIUM_PATH, args: [...(options.args ?? CHROMIUM_ARGS)], headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}/${options.backend ? `?backend=${encodeURIComponent(options.backend)}` : ''}`);
    await page.waitForFunction(() => (window as unknown as { __results?: { done?: boolean } }).__results?.done === true, undefined, { timeout: options.timeoutMs ?? 60000 });
    const raw = await page.evaluate(() => (window as unknown as { __results: Record<string, unknown> }).__results);
    const status = (await page.textContent('#status')) ?? '';
    fs.mkdirSync(path.dirname(options.screenshotPath), { recursive: true });
    await page.screenshot({ path: options.screenshotPath, fullPage: true });
    if (raw.error || errors.length) {
      throw new DataError(`runWebDemoInBrowser: the page to finish without errors, got "${String(raw.error ?? errors.join('; '))}". See the screenshot ${options.screenshotPath}.`);
    }
    const models = (raw.models as (BrowserModelResult & { predicted?: unknown })[]).map(({ predicted: _p, ...m }) => m);
    return { backend: String(raw.backend), tfjs: String(raw.tfjs), userAgent: String(raw.userAgent), models, screenshot: options.screenshotPath, status };
  } finally {
    await browser.close();
  }
}
