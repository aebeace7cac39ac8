// Drives the demo page (web/) in headless Chromium (playwright-core with the system's chromium,
// never a downloaded browser) and reads back what the page measured: bytes downloaded per model,
// latency in interleaved rounds after a warm-up, predictions and outputs on the sample digits.
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../lib/errors';
import { requireOptional } from '../lib/core/optional-package';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../lib/viz/render';

/** One model's figures as the page measured them. */
export interface BrowserModelResult {
  readonly key: string;
  readonly label: string;
  readonly note: string;
  readonly kind: string;
  readonly runtime: string;
  /** e.g. 'float32', 'CSR + 5-bit shared weights + Huffman', 'ONNX INT8 (QDQ)'. */
  readonly format: string;
  /** Bytes the page downloaded for the model (its files, counted by the page). */
  readonly downloadBytes: number;
  /** Per file, as the page counted it. */
  readonly files: Record<string, number>;
  /** Deep Compression: the same model's dense TensorFlow.js files, for comparison. */
  readonly denseFileBytes?: number;
  readonly loadMs: number;
  readonly p50Batch1Ms: number;
  readonly p90Batch1Ms: number;
  readonly p50Batch32Ms: number;
  readonly p90Batch32Ms: number;
  /** The fastest round (less disturbed by other processes than the median on a busy machine). */
  readonly minBatch1Ms: number;
  readonly minBatch32Ms: number;
  /** The model its speed-up is measured against (its reference), and the one change between them. */
  readonly reference?: string;
  readonly change?: string;
  /** The reference's p50 / this model's p50 (same batch size): one change; 1 for the baseline. */
  readonly speedupBatch1: number;
  readonly speedupBatch32: number;
  /** This model's median when it ran first in a round / when it did not (1: no order effect). */
  readonly firstInRoundRatio: number;
  readonly sampleAccuracy: number;
  readonly samples: number;
  /** Predicted class of each sample digit. */
  readonly predicted: number[];
  /** Model outputs on the sample digits, row-major [samples, classes]. */
  readonly outputs: number[];
}

/** One interleaved round: the order the models ran in and each one's time per call. */
export interface BrowserRound {
  readonly round: number;
  readonly batch: number;
  readonly order: string[];
  readonly ms: Record<string, number>;
}

/** What the page reported. */
export interface BrowserResult {
  readonly backend: string;
  readonly tfjs: string;
  readonly ort: string;
  readonly userAgent: string;
  /** Threads of each runtime in the page (1 unless the page is cross-origin isolated). */
  readonly threads: { readonly tfjs: number; readonly ort: number };
  readonly warmupRounds: number;
  readonly rounds: BrowserRound[];
  readonly models: BrowserModelResult[];
  readonly screenshot: string;
  /** Text of the page's status line and of its speed-up line. */
  readonly status: string;
  readonly speedupText: string;
  /**
   * p50 of the first model / p50 of a model doing the same arithmetic in the same runtime (the
   * pruned model decoded to dense weights), at batch 1 and 32: how far from 1 the page's own
   * noise puts a ratio. Undefined when there is no such pair.
   */
  readonly sameArithmeticRatio?: { readonly batch1: number; readonly batch32: number; readonly key: string };
}

/** Options for {@link runWebDemoInBrowser}. */
export interface BrowserRunOptions {
  /** PNG written here (folders created). */
  readonly screenshotPath: string;
  /** tfjs backend in the page ('wasm', the default; 'cpu', 'webgl'). */
  readonly backend?: string;
  /** Measured rounds (each model at batch 1 and 32 per round, order rotated). Default: the page's (60). */
  readonly rounds?: number;
  /** Length of one sample (back-to-back calls), ms. Default: the page's (5). */
  readonly sampleMs?: number;
  readonly timeoutMs?: number;
  readonly executablePath?: string;
  readonly args?: readonly string[];
}

/**
 * Opens the demo page (served at `url`, loopback) in headless Chromium, waits for its
 * measurements, saves a screenshot, and returns what the page measured.
 * @example const r = await runWebDemoInBrowser(server.url, {screenshotPath: 'build/web-demo.png'});
 */
export async function runWebDemoInBrowser(url: string, options: BrowserRunOptions): Promise<BrowserResult> {
  const { chromium } = requireOptional<typeof import('playwright-core')>('playwright-core', 'runWebDemoInBrowser');
  const browser = await chromium.launch({
    executablePath: options.executablePath ?? CHROMIUM_PATH,
    args: [...(options.args ?? CHROMIUM_ARGS)],
    headless: true,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    const query = new URLSearchParams();
    if (options.backend) query.set('backend', options.backend);
    if (options.rounds) query.set('rounds', String(options.rounds));
    if (options.sampleMs) query.set('sampleMs', String(options.sampleMs));
    await page.goto(`${url}/${query.size ? `?${query}` : ''}`);
    await page.waitForFunction(
      () => (window as unknown as { __results?: { done?: boolean } }).__results?.done === true,
      undefined,
      { timeout: options.timeoutMs ?? 180000 },
    );
    const raw = await page.evaluate(() => (window as unknown as { __results: Record<string, unknown> }).__results);
    const status = (await page.textContent('#status')) ?? '';
    const speedupText = (await page.textContent('#speedup')) ?? '';
    fs.mkdirSync(path.dirname(options.screenshotPath), { recursive: true });
    await page.screenshot({ path: options.screenshotPath, fullPage: true });
    if (raw.error || errors.length) {
      throw new DataError(
        `runWebDemoInBrowser: the page to finish without errors, got "${String(raw.error ?? errors.join('; '))}". See the screenshot ${options.screenshotPath}.`,
      );
    }
    const r = raw as unknown as Omit<BrowserResult, 'screenshot' | 'status' | 'speedupText'>;
    return {
      backend: r.backend,
      tfjs: r.tfjs,
      ort: r.ort,
      userAgent: r.userAgent,
      threads: r.threads,
      warmupRounds: r.warmupRounds,
      rounds: r.rounds,
      models: r.models,
      sameArithmeticRatio: r.sameArithmeticRatio,
      screenshot: options.screenshotPath,
      status,
      speedupText,
    };
  } finally {
    await browser.close();
  }
}
