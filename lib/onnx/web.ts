// ONNX models in onnxruntime-web inside headless Chromium, as runtimes of the benchmark harness: a
// page served on 127.0.0.1 (onnxruntime-web's wasm build from node_modules, one thread: the page is
// not cross-origin isolated), each model and its feeds written beside it, run untimed for 1.5 s
// when loaded (V8 tiers WebAssembly up while it runs), each timed run one `session.run` in the
// page. A run's time includes one DevTools round trip (well under a millisecond), the same for
// every model, so ratios of models taking tens of ms are not moved by it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, DataError } from '../errors';
import { requireOptional, resolveOptional } from '../core/optional-package';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../viz/render';
import { StaticServer, startStaticServer } from '../serve/static-server';
import type { BenchRuntime } from '../bench/runtimes';
import { OnnxFeeds } from './feeds';

// The page's sessions are onnxruntime-web's, inside Chromium: not Node sessions (those all come from
// exporters' ortSession).
const PAGE = `<!doctype html><meta charset="utf-8"><title>onnx in the browser</title><script type="module">
const ort = await import('/ort/ort.wasm.min.mjs');
ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = 1;
const { InferenceSession: WebSession } = ort;
const sessions = {};
const TYPES = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array };
window.ortLoad = async (key, inputs) => {
  const bytes = new Uint8Array(await (await fetch('/files/' + key + '.onnx')).arrayBuffer());
  const session = await WebSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = {};
  for (const i of inputs) {
    const buffer = await (await fetch('/files/' + key + '.' + i.index + '.bin')).arrayBuffer();
    feeds[i.name] = new ort.Tensor(i.type, new TYPES[i.type](buffer), i.dims);
  }
  sessions[key] = { session, feeds };
  return ort.env.versions ? ort.env.versions.web : '';
};
window.ortRun = async (key) => {
  const { session, feeds } = sessions[key];
  const out = await session.run(feeds);
  for (const t of Object.values(out)) t.dispose && t.dispose();
};
window.ortWarm = async (key, ms) => {
  // V8 first runs WebAssembly in its baseline tier and optimizes hot functions later: run until
  // both have happened, so the first model timed is not the one paying for it.
  const t0 = performance.now();
  let n = 0;
  while (n < 5 || performance.now() - t0 < ms) { await window.ortRun(key); n++; }
  return n;
};
window.ortRelease = async (key) => { await sessions[key].session.release(); delete sessions[key]; };
window.ortReady = true;
</script>`;

/** Milliseconds of untimed runs when a model is loaded (the wasm code's tier-up). */
const WARM_MS = 1500;

/** A Chromium page running onnxruntime-web; close it when done. */
export interface OrtWebPage {
  /** onnxruntime-web's version, once a model is loaded. */
  readonly version: () => string;
  /** The model on the feeds as a harness runtime (batch size 1), loaded in the page on first activate. */
  runtime(
    bytes: Uint8Array,
    feeds: OnnxFeeds,
    options?: { readonly name?: string; readonly model?: string },
  ): BenchRuntime;
  close(): Promise<void>;
}

function typeName(v: OnnxFeeds[string]): string {
  if (v.type === 'bool') return 'bool';
  if (v.data instanceof Float32Array) return 'float32';
  if (v.data instanceof BigInt64Array) return 'int64';
  if (v.data instanceof Int32Array) return 'int32';
  if (v.data instanceof Uint8Array) return 'uint8';
  return 'int8';
}

/**
 * Starts headless Chromium (Debian's, through playwright-core) on a page with onnxruntime-web.
 * @example const web = await ortWebPage(); await bench.benchmark([web.runtime(fp32, feeds, {name: 'web-fp32'})], {batchSizes: [1]}); await web.close();
 */
export async function ortWebPage(): Promise<OrtWebPage> {
  const { chromium } = requireOptional<typeof import('playwright-core')>('playwright-core', 'onnx.ortWebPage');
  const ortDir = path.dirname(resolveOptional('onnxruntime-web', 'onnx.ortWebPage', '/wasm'));
  if (!fs.existsSync(CHROMIUM_PATH))
    throw new ConfigError(
      `onnx.ortWebPage: Chromium at ${CHROMIUM_PATH}, got none. Install Debian's chromium (apt-get install chromium).`,
    );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-compress-ort-web-'));
  fs.mkdirSync(path.join(dir, 'files'));
  fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
  let server: StaticServer | undefined;
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
  const errors: string[] = [];
  let version = '';
  try {
    server = await startStaticServer({
      mounts: { '/': dir },
      files: Object.fromEntries(
        ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'].map((n) => [
          `/ort/${n}`,
          path.join(ortDir, n),
        ]),
      ),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => (window as unknown as { ortReady?: boolean }).ortReady === true, undefined, {
      timeout: 60000,
    });
    let next = 0;
    const check = () => {
      if (errors.length)
        throw new DataError(
          `onnx.ortWebPage: a page without errors, got "${errors.join('; ').slice(0, 300)}". Check the model in onnxruntime-web.`,
        );
    };
    const opened = { server, browser };
    return {
      version: () => version,
      runtime(bytes, feeds, options = {}) {
        const key = `m${next++}`;
        let loaded = false;
        return {
          name: options.name ?? 'ort-web',
          ...(options.model !== undefined ? { model: options.model } : {}),
          threads: 1,
          inputShape: [1],
          async activate() {
            if (loaded) return;
            fs.writeFileSync(path.join(dir, 'files', `${key}.onnx`), bytes);
            const inputs = Object.entries(feeds).map(([name, v], index) => {
              fs.writeFileSync(
                path.join(dir, 'files', `${key}.${index}.bin`),
                new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength),
              );
              return { name, index, type: typeName(v), dims: [...v.dims] };
            });
            try {
              version = await page.evaluate(
                ([k, i]) => (window as unknown as { ortLoad(k: string, i: unknown): Promise<string> }).ortLoad(k, i),
                [key, inputs] as const,
              );
            } catch (e) {
              throw new DataError(
                `onnx.ortWebPage: a model onnxruntime-web loads, got "${(e as Error).message.slice(0, 300)}". Check the model's operators in onnxruntime-web.`,
              );
            }
            check();
            await page.evaluate(
              ([k, ms]) => (window as unknown as { ortWarm(k: string, ms: number): Promise<number> }).ortWarm(k, ms),
              [key, WARM_MS] as const,
            );
            loaded = true;
          },
          async run() {
            try {
              await page.evaluate((k) => (window as unknown as { ortRun(k: string): Promise<void> }).ortRun(k), key);
            } catch (e) {
              throw new DataError(
                `onnx.ortWebPage: a run in onnxruntime-web, got "${(e as Error).message.slice(0, 300)}". Check the feeds and the model in the browser.`,
              );
            }
          },
          async dispose() {
            if (loaded)
              await page.evaluate(
                (k) => (window as unknown as { ortRelease(k: string): Promise<void> }).ortRelease(k),
                key,
              );
            loaded = false;
          },
        };
      },
      async close() {
        await opened.browser.close();
        await opened.server.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await browser?.close();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
