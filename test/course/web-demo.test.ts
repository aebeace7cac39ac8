// The browser deployment in Debian's Chromium: the page downloads four models (tfjs fp32, the
// pruned model in its Deep Compression encoding, ONNX fp32 and INT8 for onnxruntime-web), measures
// them in interleaved rounds and predicts sample digits. The test checks the numbers the page
// shows against the files and against the same models run in Node, and keeps a screenshot.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { simpleNet } from '../../course/models/simplenet';
import { loadMnist } from '../../course/data/mnist';
import { magnitude } from '../../lib/prune/magnitude';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { prepareWebModels, startWebDemo } from '../../course/web-demo';
import { webDemoModels } from '../../course/web-demo-models';
import { runWebDemoInBrowser } from '../../course/web-demo-browser';
import { OnnxModel } from '../../lib/export/onnx/to-onnx';

const ROOT = path.resolve(__dirname, '../..');

/** Largest |a - b|, and whether the labels agree wherever the reference's top two differ by more than `margin`. */
function compare(
  page: number[],
  ref: Float32Array,
  classes: number,
  margin: number,
): { maxDiff: number; labelsAgree: boolean } {
  let maxDiff = 0;
  let labelsAgree = true;
  for (let i = 0; i < ref.length / classes; i++) {
    const row = Array.from(ref.subarray(i * classes, (i + 1) * classes));
    const sorted = [...row].sort((a, b) => b - a);
    const pageRow = page.slice(i * classes, (i + 1) * classes);
    row.forEach((v, c) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - (pageRow[c] as number)));
    });
    if (
      (sorted[0] as number) - (sorted[1] as number) > margin &&
      pageRow.indexOf(Math.max(...pageRow)) !== row.indexOf(sorted[0] as number)
    )
      labelsAgree = false;
  }
  return { maxDiff, labelsAgree };
}

describe('course/web demo in headless Chromium', function () {
  this.timeout(300000);

  it('shows exact download bytes, Node-equal predictions and interleaved rounds for tfjs, Deep Compression and onnxruntime-web models', async () => {
    const mnist = loadMnist();
    const baseline = simpleNet({ seed: 1, hidden: [64, 32] });
    const pruned = await magnitude(baseline, { sparsity: 0.9, scope: 'global' });
    const demo = await webDemoModels({
      baseline,
      pruned: pruned.model,
      calibration: mnist.train,
      calibrationCount: 200,
      baselineLabel: 'MLP 64-32 fp32',
      prunedLabel: 'MLP 64-32 pruned 90%',
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-web-'));
    const n = 64;
    const info = prepareWebModels(dir, demo.models, mnist.test, n);
    const server = await startWebDemo(dir);
    const rounds = 8;
    let r: Awaited<ReturnType<typeof runWebDemoInBrowser>>;
    const screenshotPath = path.join(ROOT, 'build', 'web-demo-test.png');
    try {
      expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:/);
      fs.rmSync(screenshotPath, { force: true });
      r = await runWebDemoInBrowser(server.url, { screenshotPath, backend: 'wasm', rounds });
    } finally {
      await server.close();
    }
    expect(r.backend).to.equal('wasm');
    expect(r.status).to.equal('done: 4 models measured');
    expect(r.models.map((m) => m.key)).to.deep.equal(['baseline', 'pruned-dc', 'onnx-fp32', 'onnx-int8']);
    expect(r.models.map((m) => m.runtime)).to.deep.equal(['tfjs', 'tfjs', 'onnxruntime-web', 'onnxruntime-web']);

    // Bytes: what the page downloaded is what is on disk, file by file.
    r.models.forEach((m, i) => {
      const entry = info.models[i];
      expect(m.files, m.key).to.deep.equal(entry?.files);
      expect(m.downloadBytes, m.key).to.equal(entry?.fileBytes);
      for (const [name, bytes] of Object.entries(m.files))
        expect(bytes).to.equal(fs.statSync(path.join(dir, m.key, name)).size);
    });
    const dc = r.models[1];
    expect(dc?.denseFileBytes).to.equal(
      fs
        .readdirSync(path.join(dir, 'pruned-dc-dense'))
        .reduce((a, f) => a + fs.statSync(path.join(dir, 'pruned-dc-dense', f)).size, 0),
    );
    expect(dc?.files['weights.tfdc']).to.equal(demo.encodedBytes);
    expect(dc?.downloadBytes).to.be.lessThan((dc?.denseFileBytes as number) / 4);

    // Predictions: each model in the page against the same model in Node (tfjs wasm, onnxruntime-node).
    const x = tf.tidy(() => tf.tensor2d(mnist.test.images.subarray(0, n * 784), [n, 784], 'float32').div(255));
    const xData = x.dataSync() as Float32Array;
    const tfjsOut = (m: tf.LayersModel) => tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync() as Float32Array);
    const ortOut = async (m: OnnxModel) => {
      const s = await ortSession(m);
      try {
        return (await runOrt(s, xData, [n, 784])).data;
      } finally {
        await s.release();
      }
    };
    const refs = [tfjsOut(baseline), tfjsOut(demo.decoded), await ortOut(demo.onnxFp32), await ortOut(demo.onnxInt8)];
    x.dispose();
    const diffs = r.models.map((m, i) => ({ key: m.key, ...compare(m.outputs, refs[i] as Float32Array, 10, 1e-3) }));
    console.log(
      `      page vs Node, max |output difference|: ${diffs.map((d) => `${d.key} ${d.maxDiff.toExponential(1)}`).join(', ')}`,
    );
    for (const d of diffs) {
      expect(d.labelsAgree, d.key).to.equal(true);
      expect(d.maxDiff, d.key).to.be.lessThan(d.key === 'onnx-int8' ? 1e-3 : 1e-4);
    }
    r.models.forEach((m) => expect(m.predicted.length).to.equal(n));

    // Latency: interleaved rounds, each model first equally often, after a warm-up.
    expect(r.warmupRounds).to.be.greaterThan(0);
    expect(r.rounds.length).to.equal(rounds * 2);
    for (const batch of [1, 32]) {
      const mine = r.rounds.filter((x1) => x1.batch === batch);
      const keys = r.models.map((m) => m.key);
      for (const round of mine) {
        const shift = keys.indexOf(round.order[0] as string);
        expect(round.order).to.deep.equal([...keys.slice(shift), ...keys.slice(0, shift)]); // a rotation
        for (const k of keys) expect(round.ms[k]).to.be.greaterThan(0);
      }
      for (const k of keys)
        expect(mine.filter((x1) => x1.order[0] === k).length, `${k} first at batch ${batch}`).to.equal(
          rounds / keys.length,
        );
    }
    for (const m of r.models) {
      for (const v of [m.p50Batch1Ms, m.p50Batch32Ms, m.speedupBatch1, m.speedupBatch32, m.minBatch1Ms])
        expect(v).to.be.greaterThan(0);
      expect(m.p90Batch32Ms).to.be.at.least(m.p50Batch32Ms);
      expect(m.minBatch32Ms).to.be.at.most(m.p50Batch32Ms);
    }
    // The decoded pruned model does the baseline's arithmetic in tfjs: the page reports their ratio as its noise.
    expect(r.sameArithmeticRatio?.key).to.equal('pruned-dc');
    expect(r.sameArithmeticRatio?.batch32).to.equal(dc?.speedupBatch32);
    // One change per ratio: INT8 against fp32 in onnxruntime-web, fp32 ONNX against tfjs fp32 (the runtime switch).
    const int8 = r.models[3] as (typeof r.models)[number];
    const fp32 = r.models[2] as (typeof r.models)[number];
    expect([int8.reference, fp32.reference, r.models[1]?.reference, r.models[0]?.reference]).to.deep.equal([
      'onnx-fp32',
      'baseline',
      'baseline',
      undefined,
    ]);
    expect(int8.speedupBatch1).to.be.closeTo(fp32.p50Batch1Ms / int8.p50Batch1Ms, 1e-9);
    expect(fp32.speedupBatch32).to.be.closeTo((r.models[0]?.p50Batch32Ms as number) / fp32.p50Batch32Ms, 1e-9);
    expect(r.models[0]?.speedupBatch1).to.equal(1);
    expect(r.speedupText.indexOf('quantization: float32 -> static INT8, both in onnxruntime-web')).to.equal(0);
    expect(r.speedupText).to.contain(
      `×${int8.speedupBatch1.toFixed(2)} at batch 1, ×${int8.speedupBatch32.toFixed(2)} at batch 32`,
    );
    expect(r.speedupText).to.contain(
      `runtime switch: TensorFlow.js -> onnxruntime-web, both float32: ×${fp32.speedupBatch1.toFixed(2)} at batch 1`,
    );
    expect(fs.statSync(screenshotPath).size).to.be.greaterThan(10000);
    console.log(
      `      ${r.userAgent.match(/Chrome\/[\d.]+/)?.[0]}, tfjs ${r.tfjs} (${r.backend}), onnxruntime-web ${r.ort}: INT8 vs fp32 in ORT-web x${int8.speedupBatch1.toFixed(2)} (batch 1), x${int8.speedupBatch32.toFixed(2)} (batch 32); ORT-web fp32 vs tfjs fp32 x${fp32.speedupBatch1.toFixed(2)} (batch 1); ` +
        `pruned download ${dc?.downloadBytes} bytes vs ${dc?.denseFileBytes} dense`,
    );
    demo.decoded.dispose();
    pruned.model.dispose();
    baseline.dispose();
  });
});
