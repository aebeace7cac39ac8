// auto.search on a real trained model (the course's cached wide MNIST CNN) with real ONNX Runtime
// timings: the chosen point keeps the drop within maxDrop on held-out data the search never used,
// the report is plain JSON with the front, each layer's decision and a latency model, the input is
// not modified and nothing leaks; and the emitted recipe, run by the pipeline (what `tfjs-compress
// run` does), reproduces the chosen artifact's size exactly and its accuracy within noise.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { loadWideCnn } from '../../course/models/wide-cnn';
import { saveModel } from '../../lib/data/model-io';
import { loadDataFiles } from '../../lib/data/data-files';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { autoRecipe, search, shipRecipe, splitData } from '../../lib/auto';
import { JOURNAL_FILE } from '../../lib/auto/journal';
import { candidateStages } from '../../lib/auto/candidate';
import { planOf } from '../../lib/quantize/plan';
import { mnistNpy } from '../cli/helpers';

describe('auto.search on the cached wide MNIST CNN, target ort', function () {
  this.timeout(900_000);
  it('keeps the held-out drop within maxDrop, reports front, layers and a latency model; its recipe reproduces it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-auto-test-'));
    const { model } = await loadWideCnn();
    const modelDir = path.join(dir, 'model');
    await saveModel(model, modelDir);
    const files = mnistNpy(dir, 600, 1000);
    const loaded = await loadDataFiles(files.xs, { inputShape: [28, 28, 1], labels: files.ys, scale: 1 / 255 });
    const source = loaded.source as { xs: tf.Tensor; ys: tf.Tensor };
    const data = splitData(source, { heldOutFraction: 0.5, seed: 1 });
    const out = path.join(dir, 'out');
    const weightsBefore = model.getWeights().map((w) => w.dataSync().slice());
    const before = tf.memory().numTensors;
    const { model: chosen, report } = await search(model, data, {
      target: 'ort',
      maxDrop: 0.01,
      sparsities: [0.5],
      rankLayers: 3,
      batchSize: 32,
      journalDir: out,
    });
    chosen.dispose();
    expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
    model.getWeights().forEach((w, i) => expect(w.dataSync()).to.deep.equal(weightsBefore[i]));

    expect(report.chosen.accuracyDrop).to.be.at.most(0.01);
    expect(report.chosen.heldOutExamples).to.equal(300);
    expect(report.original.examples).to.equal(300);
    expect(report.candidates[0]?.label).to.equal('original');
    expect(report.candidates.map((c) => c.label)).to.include('int8');
    expect(report.candidates.some((c) => c.candidate.sparsity === 0.5)).to.equal(true);
    expect(report.front).to.include(report.candidates.reduce((a, b) => (a.accuracy >= b.accuracy ? a : b)).label);
    expect(report.sensitivity.map((s) => s.layer)).to.include.members(['conv1', 'conv2', 'fc1']);
    expect(report.layers.every((l) => l.why.length > 0)).to.equal(true);
    expect(report.latencyModel?.points).to.equal(report.candidates.length);
    expect(report.latencyModel?.medianAbsErrorPct).to.be.a('number');
    expect(report.resumed).to.equal(false);
    expect(report.reusedEvaluations).to.equal(0);
    expect(fs.existsSync(path.join(out, JOURNAL_FILE))).to.equal(true);
    expect(JSON.parse(JSON.stringify(report))).to.deep.equal(report);

    // The recipe through the pipeline: the same artifact, byte count for byte count.
    const recipe = autoRecipe(report, {
      recipeDir: out,
      modelDir,
      data: { path: files.xs, labels: files.ys, scale: 1 / 255 },
    });
    const { run } = await shipRecipe(recipe, out);
    const last = run.stages.at(-1);
    const artifact = last?.artifacts?.find((a) => a.format === report.chosen.format);
    expect(artifact?.sizeBytes).to.equal(report.chosen.sizeBytes);
    const n = report.chosen.heldOutExamples + report.original.examples;
    const searchAccuracy = report.candidates.find((c) => c.label === report.chosen.label)?.accuracy as number;
    const expected =
      (report.chosen.accuracy * report.chosen.heldOutExamples + searchAccuracy * report.original.examples) / n;
    expect(Math.abs((artifact?.accuracy as number) - expected)).to.be.at.most(0.01);
    expect(run.checks?.passed).to.equal(true);
    if (report.chosen.candidate.precision === 'int8') expect(last?.kind).to.equal('quantize');

    // A second search over the same journal redoes nothing.
    const again = await search(model, data, {
      target: 'ort',
      maxDrop: 0.01,
      sparsities: [0.5],
      rankLayers: 3,
      batchSize: 32,
      journalDir: out,
    });
    again.model.dispose();
    expect(again.report.resumed).to.equal(true);
    expect(again.report.reusedEvaluations).to.equal(again.report.evaluations);
    expect(again.report.chosen).to.deep.equal(report.chosen);
    expect(planOf(model)).to.equal(undefined);
    model.dispose();
    data.dispose();
    loaded.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('measures TFLite files in TFLite, and for a size goal on tfjs-wasm picks by file size', async () => {
    const { model } = await loadWideCnn();
    const set = sliceImageSet(loadMnist().test, 0, 300);
    const data = splitData(set, { seed: 2 });
    const before = tf.memory().numTensors;
    const lite = await search(model, data, { target: 'tflite', maxDrop: 0.02, sparsities: [0.5], rankLayers: 2 });
    lite.model.dispose();
    expect(lite.report.candidates.every((c) => c.format === 'tflite')).to.equal(true);
    expect(lite.report.candidates.map((c) => c.label)).to.include('int8');
    expect(lite.report.chosen.accuracyDrop).to.be.at.most(0.02);
    const small = await search(model, data, { target: 'tfjs-wasm', goal: 'size', maxDrop: 0.02, sparsities: [0.5] });
    small.model.dispose();
    expect(small.report.candidates.every((c) => c.format === 'tfjs-layers')).to.equal(true);
    const within = small.report.candidates.filter((c) => small.report.original.accuracy - c.accuracy <= 0.02);
    const smallest = Math.min(...within.map((c) => c.sizeBytes));
    if (small.report.rejected.length === 0) expect(small.report.chosen.sizeBytes).to.equal(smallest);
    expect(small.report.chosen.sizeRatio).to.be.lessThan(0.5); // INT8 weight files: a quarter of float32, plus the topology
    expect(tf.memory().numTensors).to.equal(before);
    model.dispose();
  });

  it('stops starting evaluations once the budget is spent, and still returns a checked point', async () => {
    const { model } = await loadWideCnn();
    const data = splitData(sliceImageSet(loadMnist().test, 0, 200), { seed: 3 });
    const { model: m, report } = await search(model, data, { target: 'ort', maxDrop: 0.02, budgetSeconds: 0.001 });
    m.dispose();
    expect(report.budgetExhausted).to.equal(true);
    expect(report.candidates.map((c) => c.label)).to.deep.equal(['original']);
    expect(report.chosen.label).to.equal('original');
    expect(report.chosen.accuracyDrop).to.equal(0);
    model.dispose();
  });

  it('with training data, pruned candidates are distilled from the original; the recipe (a distill stage) reproduces one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-auto-distill-'));
    const { model } = await loadWideCnn();
    const modelDir = path.join(dir, 'model');
    await saveModel(model, modelDir);
    const files = mnistNpy(dir, 400, 0);
    const trainFiles = mnistNpy(dir, 512, 2000);
    const loaded = await loadDataFiles(files.xs, { inputShape: [28, 28, 1], labels: files.ys, scale: 1 / 255 });
    const train = await loadDataFiles(trainFiles.xs, {
      inputShape: [28, 28, 1],
      labels: trainFiles.ys,
      scale: 1 / 255,
    });
    const data = splitData(loaded.source as { xs: tf.Tensor; ys: tf.Tensor }, { heldOutFraction: 0.5, seed: 4 });
    const before = tf.memory().numTensors;
    const { model: m, report } = await search(
      model,
      { ...data, training: train.source },
      { target: 'ort', maxDrop: 0.5, sparsities: [0.5], probeSparsity: 0.5, rankLayers: 1 },
    );
    m.dispose();
    expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
    const pruned = report.candidates.filter((c) => c.candidate.sparsity > 0);
    expect(pruned.length).to.be.greaterThan(0);
    expect(pruned.every((c) => c.candidate.fineTuneEpochs === 1 && /distill 1/.test(c.label))).to.equal(true);
    // The pruned float candidate's stages: prune, distill from the original, export; run as a recipe.
    const float = pruned.find((c) => c.candidate.precision === 'float')!;
    const stages = candidateStages(float.candidate, 'ort', 256);
    expect(stages.map((s) => s.kind)).to.deep.equal(['prune', 'distill', 'export']);
    expect(stages[1]).to.deep.include({ kind: 'distill', epochs: 1 });
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const recipe = autoRecipe(
      { ...report, chosen: { ...report.chosen, stages } },
      {
        recipeDir: out,
        modelDir,
        data: { path: files.xs, labels: files.ys, scale: 1 / 255 },
        training: { path: trainFiles.xs, labels: trainFiles.ys, scale: 1 / 255 },
      },
    );
    expect(recipe.data?.training?.path).to.be.a('string');
    const { run } = await shipRecipe(recipe, out);
    expect(run.stages.map((s) => s.kind)).to.include('distill');
    const onnx = run.stages.at(-1)?.artifacts?.find((a) => a.format === 'onnx');
    expect(onnx?.sizeBytes).to.equal(float.sizeBytes);
    // Scored on all 400 images (the 200 the search scored it on, and 200 others): within noise.
    expect(Math.abs((onnx?.accuracy as number) - float.accuracy)).to.be.at.most(0.03);
    data.dispose();
    loaded.dispose();
    train.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
