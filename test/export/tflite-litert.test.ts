// The exported .tflite run by LiteRT.js (@litertjs/core, its wasm CPU runtime) in headless
// Chromium: the browser runtime reads the same file as TFLite in Node, and its outputs match
// tfjs. LiteRT.js is browser-only, so a tiny static server on 127.0.0.1 serves its files from
// node_modules and the model from memory; playwright-core drives Debian's chromium.
import * as tf from '@tensorflow/tfjs';
import * as http from 'http';
import * as fs from 'fs';
import * as path from 'path';
import { AddressInfo } from 'net';
import { expect } from 'chai';
import { chromium, Browser } from 'playwright-core';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../lib/viz/render';
import { zooModel } from './fixtures';
import { randomInput } from './tflite-fixtures';

const ROOT = path.resolve(__dirname, '../../node_modules/@litertjs');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

const PAGE = `<!doctype html><html><head><script type="importmap">
{"imports": {"@litertjs/wasm-utils": "/litertjs/wasm-utils/dist/index.js"}}
</script></head><body><script type="module">
import { loadLiteRt, loadAndCompile, Tensor } from '/litertjs/core/dist/index.js';
window.runModel = async (input, shape) => {
  await loadLiteRt('/litertjs/core/wasm/');
  const model = await loadAndCompile('/model.tflite', { accelerator: 'wasm' });
  const x = new Tensor(new Float32Array(input), shape);
  const [y] = await model.run(x);
  const out = Array.from(y.toTypedArray());
  x.delete(); y.delete(); model.delete();
  return out;
};
window.ready = true;
</script></body></html>`;

/** Serves the page, the model bytes and node_modules/@litertjs on 127.0.0.1 (a free port). */
function serve(model: Uint8Array): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0] as string;
    if (url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    if (url === '/model.tflite') return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from(model));
    const file = path.resolve(ROOT, '.' + url.replace(/^\/litertjs/, ''));
    if (!url.startsWith('/litertjs/') || !file.startsWith(ROOT) || !fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('export/tflite in LiteRT.js (headless Chromium)', function () {
  this.timeout(180000);
  let browser: Browser | undefined;
  let server: http.Server | undefined;
  after(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  });

  it('runs the exported fp32 zoo model (conv, depthwise, BN, Add, pooling, concat, softmax) with outputs within 1e-4 of tfjs', async function () {
    if (!fs.existsSync(CHROMIUM_PATH)) this.skip(); // Debian chromium: make setup installs it
    const model = zooModel(11);
    const shape = [1, ...(model.inputs[0]?.shape ?? []).slice(1)] as number[];
    const x = randomInput(shape, 3);
    const want = tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync());
    server = await serve(toTflite(model).bytes);
    model.dispose();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction('window.ready === true');
    const got = await page.evaluate(([input, dims]) => (window as unknown as { runModel: (a: number[], s: number[]) => Promise<number[]> }).runModel(input, dims), [Array.from(x), shape] as const);
    expect(got.length).to.equal(want.length);
    const diff = Math.max(...got.map((v, i) => Math.abs(v - (want[i] as number))));
    expect(diff).to.be.below(1e-4);
  });
});
