// auto.search on an ONNX model: the course's cached wide MNIST CNN (trained on real MNIST) exported
// by the library's ONNX exporter, searched on real MNIST test images as feeds, timed and scored in
// real ONNX Runtime. The chosen point keeps the held-out drop within maxDrop, its bytes load in ONNX
// Runtime and are the size the report says; a search interrupted after a few evaluations resumes
// from its journal without redoing them; other targets are refused with a typed error; no leaks.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { loadWideCnn } from '../../course/models/wide-cnn';
import { loadMnist } from '../../course/data/mnist';
import { ImageSet } from '../../lib/data/image-set';
import { toOnnx, inspectOnnx, ortSession } from '../../lib/export';
import { search } from '../../lib/auto';
import type { OnnxAutoData } from '../../lib/auto';
import type { OnnxFeeds } from '../../lib/onnx';
import { ConfigError } from '../../lib/errors';
import { quantize } from '../../lib/onnx/quantize';
import { cli, mnistNpy } from '../cli/helpers';

/** Examples [from, to) of `set` as feeds of `batch` images in [0, 1] (the model's NHWC input) and their labels. */
function feedsOf(set: ImageSet, input: string, from: number, to: number, batch: number) {
  const size = set.height * set.width * set.channels;
  const feeds: OnnxFeeds[] = [];
  for (let i = from; i < to; i += batch) {
    const n = Math.min(batch, to - i);
    const data = Float32Array.from(set.images.subarray(i * size, (i + n) * size), (v) => v / 255);
    feeds.push({ [input]: { data, dims: [n, set.height, set.width, set.channels] } });
  }
  return { feeds, labels: Int32Array.from(set.labels.subarray(from, to)) };
}

describe('auto.search on an ONNX model (the wide MNIST CNN exported to ONNX), target ort', function () {
  this.timeout(900_000);
  let bytes: Uint8Array;
  let data: OnnxAutoData;
  before(async () => {
    const { model } = await loadWideCnn();
    bytes = toOnnx(model).bytes;
    const input = inspectOnnx(bytes).inputName;
    const test = loadMnist().test;
    data = { search: feedsOf(test, input, 0, 300, 50), heldOut: feedsOf(test, input, 300, 600, 50) };
  });

  it('chooses a point within maxDrop on held-out feeds, whose bytes load in ONNX Runtime at the reported size', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-auto-onnx-'));
    const copy = bytes.slice();
    const before = tf.memory().numTensors;
    const {
      model,
      bytes: chosen,
      report,
    } = await search(bytes, data, {
      target: 'ort',
      maxDrop: 0.01,
      rankLayers: 2,
      rounds: 3,
      journalDir: dir,
    });
    expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
    expect(Buffer.from(bytes).equals(Buffer.from(copy)), 'input modified').to.equal(true);
    expect(report.chosen.accuracyDrop).to.be.at.most(0.01);
    expect(report.chosen.heldOutExamples).to.equal(300);
    expect(report.original.examples).to.equal(300);
    const labels = report.candidates.map((c) => c.label);
    expect(labels[0]).to.equal('original');
    expect(labels).to.include.members(['int8', 'dynamic int8']);
    expect(report.sensitivity).to.deep.equal([]);
    expect(report.warnings.join(' ')).to.match(/pruning needs a TensorFlow\.js model/);
    expect(report.chosen.stages.length).to.equal(1);
    expect(report.original.selfSpeedup).to.be.above(0);
    // The chosen file: the size the report says, and it runs in ONNX Runtime.
    const file = path.join(dir, 'chosen.onnx');
    fs.writeFileSync(file, chosen);
    expect(fs.statSync(file).size).to.equal(report.chosen.sizeBytes);
    expect(model.proto.graph?.node?.length).to.be.above(0);
    const s = await ortSession(chosen);
    expect(s.inputNames).to.deep.equal([inspectOnnx(bytes).inputName]);
    await s.release();
    expect(JSON.parse(JSON.stringify(report)).chosen.label).to.equal(report.chosen.label);
    // The INT8 fallback reverts nodes by the names the quantize report gives (onnx.quantize's skip):
    // a name from the all-INT8 candidate's per-node SQNR, skipped, stays float.
    const int8 = report.candidates.find((c) => c.label === 'int8');
    const node = Object.keys(int8?.layerSqnrDb ?? {})[0] as string;
    expect(node).to.be.a('string');
    const q = await quantize(bytes, () => data.search.feeds, { mode: 'static', skip: [node], compareCount: 0 });
    expect(q.report.nodes.map((n) => n.name)).to.not.include(node);
    expect(q.report.skipped.map((n) => n.name)).to.include(node);
    console.log(
      `    ONNX auto: chose ${report.chosen.label}, ${report.chosen.speedupOnTarget?.toFixed(2)}x on ort, ` +
        `size ${report.chosen.sizeRatio.toFixed(3)}, held-out drop ${report.chosen.accuracyDrop.toFixed(4)}, ` +
        `self ${report.original.selfSpeedup.toFixed(3)}, ${report.evaluations} evaluations, ${report.searchSeconds.toFixed(1)} s; ` +
        report.candidates
          .map((c) => `${c.label} ${c.accuracy.toFixed(3)} ${c.speedup?.toFixed(2)}x ${c.sizeBytes} B`)
          .join('; '),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resumes an interrupted search from its journal without redoing finished evaluations', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-auto-onnx-resume-'));
    const options = {
      target: 'ort' as const,
      goal: 'size' as const,
      maxDrop: 0.01,
      rankLayers: 1,
      rounds: 1,
      journalDir: dir,
    };
    let seen = 0;
    const stop = new Error('interrupted');
    await search(bytes, data, {
      ...options,
      onEvaluation: () => {
        if (++seen === 2) throw stop;
      },
    }).then(
      () => expect.fail('the search was not interrupted'),
      (e: unknown) => expect(e).to.equal(stop),
    );
    const lines: string[] = [];
    const { report } = await search(bytes, data, { ...options, onEvaluation: (t) => lines.push(t) });
    expect(report.resumed).to.equal(true);
    expect(report.reusedEvaluations).to.equal(2);
    expect(lines.filter((l) => l.startsWith('reused'))).to.have.length(2);
    expect(report.candidates.map((c) => c.label)).to.include('float16 weights');
    expect(report.chosen.sizeBytes).to.be.below(report.original.sizeBytes);
    expect(report.chosen.accuracyDrop).to.be.at.most(0.01);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses targets other than ort, and a batch size, for an ONNX model with a typed error', async () => {
    for (const target of ['ort-web', 'tflite', 'tfjs-wasm'] as const) {
      const e = await search(bytes, data, { target, maxDrop: 0.01 }).catch((x: unknown) => x);
      expect(e).to.be.instanceOf(ConfigError);
      expect((e as Error).message).to.match(
        /^auto\.search: target 'ort' for an ONNX model .* got "[a-z-]+"\. Use target 'ort'/,
      );
    }
    const e = await search(bytes, data, { target: 'ort', maxDrop: 0.01, batchSize: 8 }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(ConfigError);
  });

  it('tfjs-compress auto --model model.onnx writes the chosen model, its report, and a recipe the ONNX pipeline runs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-auto-onnx-cli-'));
    const modelFile = path.join(dir, 'wide.onnx');
    fs.writeFileSync(modelFile, bytes);
    const files = mnistNpy(dir, 300, 1000);
    const out = path.join(dir, 'out');
    const args = ['auto', '--model', modelFile, '--data', files.xs, '--labels', files.ys, '--scale', String(1 / 255)];
    const r = cli([...args, '--target', 'ort', '--goal', 'size', '--max-drop', '0.01', '--out', out, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'auto-report.json'), 'utf8')) as {
      chosen: { sizeBytes: number; accuracyDrop: number; label: string; stages: unknown[] };
      original: { sizeBytes: number };
    };
    expect(fs.statSync(path.join(out, 'model.onnx')).size).to.equal(report.chosen.sizeBytes);
    expect(report.chosen.accuracyDrop).to.be.at.most(0.01);
    expect(report.chosen.sizeBytes).to.be.below(report.original.sizeBytes);
    const recipe = JSON.parse(fs.readFileSync(path.join(out, 'recipe.json'), 'utf8')) as { stages: unknown[] };
    expect(recipe.stages).to.deep.equal(report.chosen.stages);
    // The pipeline's run of the recipe: the same quantization, so the same file size.
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run', 'report.json'), 'utf8')) as {
      stages: { sizeBytes: number; accuracyDrop?: number }[];
    };
    expect(fs.existsSync(path.join(out, 'run', 'deploy.json'))).to.equal(true);
    if (report.chosen.stages.some((st) => (st as { kind: string }).kind === 'quantize'))
      expect(run.stages.at(-1)?.sizeBytes).to.equal(report.chosen.sizeBytes);
    console.log(
      `    ONNX auto CLI (goal size): chose ${report.chosen.label}, ${report.chosen.sizeBytes} of ${report.original.sizeBytes} B; ` +
        `recipe run: ${run.stages.map((st) => `${st.sizeBytes} B, drop ${st.accuracyDrop}`).join('; ')}`,
    );
    // Run again with the same arguments: the search resumes from its journal.
    const again = cli([...args, '--target', 'ort', '--goal', 'size', '--max-drop', '0.01', '--out', out]);
    expect(again.status, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/evaluations \(\d+ from the journal\)/);
    expect(again.stdout).to.not.match(/\(0 from the journal\)/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
