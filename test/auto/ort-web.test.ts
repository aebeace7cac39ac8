// auto.search with target 'ort-web': candidates timed in onnxruntime-web (wasm) inside real headless
// Chromium (the library's one ortWebPage harness), scored in ONNX Runtime for Node on the same .onnx
// files. The page is opened once for the search and closed at its end, even when the search fails.
import * as fs from 'fs';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { loadWideCnn } from '../../course/models/wide-cnn';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { search, splitData } from '../../lib/auto';

const pageFolders = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('tfjs-compress-ort-web-')).length;

describe('auto.search, target ort-web (onnxruntime-web in headless Chromium)', function () {
  this.timeout(900_000);
  it('times every candidate in onnxruntime-web, keeps the held-out drop within maxDrop, and closes its page', async () => {
    const { model } = await loadWideCnn();
    const data = splitData(sliceImageSet(loadMnist().test, 0, 300), { seed: 5 });
    const folders = pageFolders();
    const before = tf.memory().numTensors;
    const { model: chosen, report } = await search(model, data, {
      target: 'ort-web',
      maxDrop: 0.02,
      sparsities: [0.5],
      rankLayers: 1,
      rounds: 3,
      batchSize: 8,
    });
    chosen.dispose();
    expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
    expect(pageFolders(), 'the page was closed and its folder removed').to.equal(folders);
    expect(report.target).to.equal('ort-web');
    expect(report.candidates.length).to.be.at.least(3);
    expect(report.candidates.every((c) => c.format === 'onnx')).to.equal(true);
    expect(report.candidates.map((c) => c.label)).to.include('int8');
    for (const c of report.candidates) {
      expect(c.latencyMs, c.label).to.be.greaterThan(0);
      expect(c.originalLatencyMs, c.label).to.be.greaterThan(0);
      expect(Number.isFinite(c.speedup), c.label).to.equal(true);
    }
    expect(report.chosen.accuracyDrop).to.be.at.most(0.02);
    expect(report.chosen.stages.at(-1)?.kind).to.be.oneOf(['quantize', 'export']);
    model.dispose();
  });
});
