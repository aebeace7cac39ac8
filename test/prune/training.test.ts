import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { makeImageSet } from '../../lib/data/image-set';
import { simpleNet } from '../../lib/models/simplenet';
import { magnitude } from '../../lib/prune/magnitude';
import { ConstantSparsity, PolynomialDecay } from '../../lib/prune/schedule';
import { fineTune, iterativePrune, pruningHooks } from '../../lib/prune/training';
import { sparsityReport } from '../../lib/prune/sparsity';
import { expectNoLeak } from '../helpers/leak';
import { Rng } from '../../lib/core/rng';

function tinyData(n = 64) {
  const rng = new Rng(5);
  const images = new Uint8Array(n * 16);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(256);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.int(3);
  return makeImageSet('tiny', images, labels, { height: 4, width: 4 }, ['a', 'b', 'c']);
}
const tinyNet = () => simpleNet({ seed: 1, hidden: [16, 8], inputSize: 16, numClasses: 3 });

describe('prune/schedule', () => {
  it('ConstantSparsity prunes every `frequency` steps in its window', () => {
    const s = new ConstantSparsity({ targetSparsity: 0.9, beginStep: 10, endStep: 30, frequency: 10 });
    expect([0, 10, 15, 20, 30, 40].map((t) => s.shouldPrune(t))).to.deep.equal([false, true, false, true, true, false]);
    expect(s.sparsityAt(5)).to.equal(0);
    expect(s.sparsityAt(12)).to.equal(0.9);
  });

  it('PolynomialDecay follows Zhu & Gupta', () => {
    const s = new PolynomialDecay({ initialSparsity: 0.5, finalSparsity: 0.9, beginStep: 0, endStep: 100, frequency: 10 });
    expect(s.sparsityAt(0)).to.be.closeTo(0.5, 1e-12);
    expect(s.sparsityAt(50)).to.be.closeTo(0.9 - 0.4 * 0.125, 1e-12);
    expect(s.sparsityAt(100)).to.be.closeTo(0.9, 1e-12);
    expect(s.sparsityAt(1000)).to.be.closeTo(0.9, 1e-12);
    expect(s.shouldPrune(100)).to.equal(true);
    expect(s.shouldPrune(110)).to.equal(false);
  });

  it('rejects bad schedules with ConfigError', () => {
    expect(() => new ConstantSparsity({ targetSparsity: 1 })).to.throw(ConfigError);
    expect(() => new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.9, endStep: -1 })).to.throw(ConfigError);
    expect(() => new ConstantSparsity({ targetSparsity: 0.5, frequency: 0 })).to.throw(ConfigError, /frequency/);
  });
});

describe('prune/training', () => {
  it('fineTune keeps pruned weights exactly zero and does not modify its input', async () => {
    const model = tinyNet();
    const { model: pruned } = await magnitude(model, { sparsity: 0.7 });
    const before = sparsityReport(pruned).layers.map((l) => l.zeros);
    const w0 = Array.from(pruned.getWeights()[0]!.dataSync());
    const { model: tuned, report } = await fineTune(pruned, tinyData(), { epochs: 2, seed: 1, batchSize: 16, learningRate: 1e-2 });
    expect(report.sparsity.layers.map((l) => l.zeros)).to.deep.equal(before);
    expect(Array.from(pruned.getWeights()[0]!.dataSync())).to.deep.equal(w0);
    // and the kept weights did train
    expect(Array.from(tuned.getWeights()[0]!.dataSync())).to.not.deep.equal(w0);
    [model, pruned, tuned].forEach((m) => m.dispose());
  });

  it('a PolynomialDecay schedule reaches its final sparsity', async () => {
    const model = tinyNet();
    const schedule = new PolynomialDecay({ initialSparsity: 0, finalSparsity: 0.8, beginStep: 0, endStep: 6, frequency: 2 });
    const { model: tuned, report } = await fineTune(model, tinyData(), { epochs: 2, seed: 1, batchSize: 16, schedule });
    expect(report.sparsity.layers.map((l) => l.sparsity)).to.deep.equal([0.80078125, 0.796875, 0.7916666666666666]);
    tuned.dispose();
    model.dispose();
  });

  it('iterativePrune steps through its sparsities', async () => {
    const model = tinyNet();
    const { model: out, report } = await iterativePrune(model, tinyData(), { sparsities: [0.5, 0.8], epochsPerRound: 1, seed: 1, batchSize: 32 });
    expect(report.rounds.map((r) => r.sparsity)).to.deep.equal([0.5, 0.8]);
    expect(report.sparsity.layers[0]!.zeros).to.equal(Math.round(0.8 * 256));
    out.dispose();
    model.dispose();
  });

  it('pruningHooks needs exactly one of masks or schedule', () => {
    const model = tinyNet();
    expect(() => pruningHooks(model, {})).to.throw(ConfigError, /exactly one of masks or schedule/);
    model.dispose();
  });

  it('does not leak', async () => {
    const model = tinyNet();
    const schedule = new ConstantSparsity({ targetSparsity: 0.5, frequency: 2 });
    await expectNoLeak(() => fineTune(model, tinyData(32), { epochs: 1, seed: 1, batchSize: 16, schedule }));
    model.dispose();
  });
});
