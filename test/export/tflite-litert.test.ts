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
import { randomInput, sqnrDb, top1Agreement } from './tflite-fixtures';
import { tfliteInterpreter } from '../../lib/export/tflite/runtime';
import { inspectTflite } from '../../lib/export/tflite/inspect';
import { postTraining } from '../../lib/quantize/post-training';
import { toTensors } from '../../lib/data/tensors';
import { smallMnist, tinyMlp } from '../quantize/fixtures';

const ROOT = path.resolve(__dirname, '../../node_modules/@litertjs');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

const PAGE = `<!doctype html><html><head><script type="importmap">
{"imports": {"@litertjs/wasm-utils": "/litertjs/wasm-utils/dist/index.js"}}
</script></head><body><script type="module">
import { loadLiteRt, loadAndCompile, Tensor } from '/litertjs/core/dist/index.js';
let loaded;
window.runModel = async (url, input, shape) => {
  loaded ??= loadLiteRt('/litertjs/core/wasm/');
  await loaded;
  const model = await loadAndCompile(url, { accelerator: 'wasm' });
  const x = new Tensor(new Float32Array(input), shape);
  const [y] = await model.run(x);
  const out = Array.from(y.toTypedArray());
  x.delete(); y.delete(); model.delete();
  return out;
};
window.ready = true;
</script></body></html>`;

/** Serves the page, the model files (by name) and node_modules/@litertjs on 127.0.0.1 (a free port). */
function serve(models: Map<string, Uint8Array>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0] as string;
    if (url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    const model = models.get(url.slice(1));
    if (model) return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from(model));
    const file = path.resolve(ROOT, '.' + url.replace(/^\/litertjs/, ''));
    if (!url.startsWith('/litertjs/') || !file.startsWith(ROOT) || !fs.existsSync(file))
      return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' })
      .end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

type RunModel = (url: string, input: number[], shape: number[]) => Promise<number[]>;

describe('export/tflite in LiteRT.js (headless Chromium)', function () {
  this.timeout(180000);
  const models = new Map<string, Uint8Array>();
  let browser: Browser | undefined;
  let server: http.Server | undefined;
  let page: import('playwright-core').Page | undefined;
  before(async function () {
    if (!fs.existsSync(CHROMIUM_PATH)) this.skip(); // Debian chromium: make setup installs it
    server = await serve(models);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction('window.ready === true');
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  });
  const runInBrowser = (name: string, bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<number[]> => {
    models.set(name, bytes);
    return (page as import('playwright-core').Page).evaluate(
      ([url, input, dims]) => (window as unknown as { runModel: RunModel }).runModel(url, input, dims),
      [`/${name}`, Array.from(x), shape] as const,
    );
  };

  it('runs the exported fp32 zoo model (conv, depthwise, BN, Add, pooling, concat, softmax) with outputs within 1e-4 of tfjs', async () => {
    const model = zooModel(11);
    const shape = [1, ...(model.inputs[0]?.shape ?? []).slice(1)] as number[];
    const x = randomInput(shape, 3);
    const want = tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync());
    const got = await runInBrowser('zoo.tflite', toTflite(model).bytes, x, shape);
    model.dispose();
    expect(got.length).to.equal(want.length);
    expect(Math.max(...got.map((v, i) => Math.abs(v - (want[i] as number))))).to.be.below(1e-4);
  });

  it('runs the INT8 SimpleNet as TFLite 2.9 in Node does, per-tensor FULLY_CONNECTED; and per-channel (which 2.9 zeroes)', async () => {
    const mlp = await tinyMlp();
    const { model: q } = await postTraining(mlp, smallMnist().train, {
      mode: 'static',
      calibrationCount: 200,
    });
    const { xs, ys } = toTensors(smallMnist().test, { inputShape: [784], start: 0, end: 20 });
    const x = xs.dataSync() as Float32Array;
    tf.dispose([xs, ys]);
    const perTensor = toTflite(q, { batchSize: 20 });
    const node = Array.from(tfliteInterpreter(perTensor).run(x));
    const browserPerTensor = await runInBrowser('int8.tflite', perTensor.bytes, x, [20, 784]);
    // The same integer kernels on the same file. LiteRT.js is a newer TFLite whose requantization may
    // round a tie the other way: at most one step of the output grid apart, and the same top-1.
    const summary = inspectTflite(perTensor.bytes);
    const dequantize = summary.operators.find((o) => o.op === 'DEQUANTIZE');
    const outputStep = summary.tensors[dequantize?.inputs[0] as number]?.quantization?.scale[0];
    const steps =
      Math.max(...browserPerTensor.map((v, i) => Math.abs(v - (node[i] as number)))) / (outputStep as number);
    expect(steps, `max difference in output steps (step ${outputStep})`).to.be.at.most(1.0001);
    expect(top1Agreement(browserPerTensor, node, 10)).to.equal(1);
    const perChannel = toTflite(q, { perChannelFullyConnected: true, batchSize: 20 });
    const browserPerChannel = await runInBrowser('int8-per-channel.tflite', perChannel.bytes, x, [20, 784]);
    const sim = tf.tidy(() => (q.predict(tf.tensor(x, [20, 784])) as tf.Tensor).dataSync());
    // LiteRT.js reads per-channel FULLY_CONNECTED scales: its logits follow the simulated (per-channel) model.
    expect(browserPerChannel.some((v) => v !== 0)).to.equal(true);
    expect(top1Agreement(browserPerChannel, sim, 10)).to.be.at.least(0.95);
    expect(sqnrDb(browserPerChannel, sim)).to.be.above(20);
    q.dispose();
    mlp.dispose();
  });
});
