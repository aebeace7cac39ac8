// One verb shape across the pruning techniques: `prune.magnitude` and `prune.channels` take the
// same words (sparsity, layers, skip, seed), return {model, report} with a plain-JSON report and
// leave their input alone; every prune verb refuses a tf.GraphModel with what to do instead.
// The widths here sit below the runtimes' tiles, so these prune with roundTo: 1 (no rounding);
// the default, hardware-aware rounding has its own tests in round-to.test.ts.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { simpleNet } from '../../course/models/simplenet';
import { channels } from '../../lib/prune/channels';
import { DependencyGraph } from '../../lib/prune/graph';
import { computeMasks, magnitude, masksFromZeros, stripPruning } from '../../lib/prune/magnitude';
import { sensitivityScan } from '../../lib/prune/sensitivity';
import { sizeReport } from '../../lib/prune/size';
import { sparsityReport } from '../../lib/prune/sparsity';
import { ConstantSparsity } from '../../lib/prune/schedule';
import { fineTune, iterativePrune, pruningHooks } from '../../lib/prune/training';

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
const layerWeights = (m: tf.LayersModel, name: string) =>
  m
    .getLayer(name)
    .getWeights()
    .map((w) => Array.from(w.dataSync()));

describe('prune verbs: one shape, one vocabulary', () => {
  it('magnitude and channels return {model, report} with a plain-JSON report and leave the input alone', async () => {
    const model = simpleNet({ seed: 3, hidden: [12, 8], inputSize: 6, numClasses: 3 });
    const before = weightsOf(model);
    for (const verb of [magnitude, channels] as const) {
      const result = await verb(model, { sparsity: 0.5 });
      expect(Object.keys(result).sort(), verb.name).to.deep.equal(['model', 'report']);
      expect(result.model).to.not.equal(model);
      expect(JSON.parse(JSON.stringify(result.report)), verb.name).to.deep.equal(result.report);
      expect(weightsOf(model), verb.name).to.deep.equal(before);
      result.model.dispose();
    }
    model.dispose();
  });

  it("`layers` sets one layer's sparsity and `skip` leaves a layer untouched, in both verbs", async () => {
    const model = simpleNet({ seed: 3, hidden: [12, 8], inputSize: 6, numClasses: 3 });
    const m = await magnitude(model, { sparsity: 0.5, layers: { fc1: 0.25 }, skip: ['fc2'] });
    const c = await channels(model, { roundTo: 1, sparsity: 0.5, skip: ['fc2'] });
    expect(m.report.sparsity.layers.map((l) => [l.name, l.sparsity])).to.deep.equal([
      ['fc1', 0.25],
      ['fc2', 0],
      ['fc3', 0.5],
    ]);
    expect(layerWeights(m.model, 'fc2')).to.deep.equal(layerWeights(model, 'fc2'));
    // channels: fc1's group loses a quarter of 12; fc2 is a black box, so fc1's outputs (fc2's inputs) stay whole too.
    const c2 = await channels(model, { roundTo: 1, sparsity: 0.5, layers: { fc1: 0.25 } });
    expect(c2.report.groups.map((g) => [g.producers[0], g.channelsAfter, g.sparsity])).to.deep.equal([
      ['fc1', 9, 0.25],
      ['fc2', 4, 0.5],
      ['fc3', 3, undefined],
    ]);
    expect(c.report.groups.map((g) => [g.producers[0], g.channelsAfter, g.reason])).to.deep.equal([
      ['fc1', 12, 'is read by skipped layer fc2'],
      ['fc2', 8, 'comes out of skipped layer fc2'],
      ['fc3', 3, 'reaches the model output (fc3)'],
    ]);
    expect(layerWeights(c.model, 'fc2')).to.deep.equal(layerWeights(model, 'fc2'));
    [m, c, c2].forEach((r) => r.model.dispose());
    model.dispose();
  });

  it('channels refuses the old `ratio` with a ConfigError that says to use sparsity', async () => {
    const model = simpleNet({ seed: 3, hidden: [4], inputSize: 6, numClasses: 3 });
    let err: unknown;
    try {
      await channels(model, { ratio: 0.5 } as never);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.equal(
      'prune.channels: sparsity (the fraction of channels removed, the word magnitude pruning uses too), got ratio: 0.5. Rename ratio to sparsity, e.g. {sparsity: 0.5}.',
    );
    for (const [opts, message] of [
      [
        { sparsity: 0.5, layers: { fc1: 0.25 }, skip: ['fc1'] },
        /got "fc1", whose channels cannot be pruned \(the group comes out of skipped layer fc1\)/,
      ],
      [{ sparsity: 1 }, /sparsity in \[0, 1\), got 1/],
      [
        { sparsity: 0.5, layers: { fc2: 0.5 } },
        /layers to name Dense\/Conv layers whose channels can be pruned, got "fc2", whose channels cannot be pruned \(the group reaches the model output \(fc2\)\)/,
      ],
      [{ sparsity: 0.5, seed: 'x' }, /a numeric seed, got "x"/],
      [
        { sparsity: 0.5, importance: 'random' },
        /a numeric seed for importance 'random', got undefined\. Pass e\.g\. seed: 1\./,
      ],
      [{ sparsity: 0.5, minChannels: 0 }, /minChannels a positive integer, got 0/],
    ] as const) {
      let e2: unknown;
      try {
        await channels(model, opts as never);
      } catch (e) {
        e2 = e;
      }
      expect(e2, JSON.stringify(opts)).to.be.instanceOf(ConfigError);
      expect((e2 as Error).message).to.match(message);
    }
    model.dispose();
  });

  it('every prune verb refuses a tf.GraphModel with a ConfigError naming what works on it, and the backend stays usable', async () => {
    const gm = new tf.GraphModel('memory://none') as unknown as tf.LayersModel;
    const data = { xs: tf.zeros([2, 6]), ys: tf.tensor1d([0, 1], 'int32') };
    const calls: [string, () => unknown][] = [
      ['prune.magnitude', () => magnitude(gm, { sparsity: 0.5 })],
      ['prune.channels', () => channels(gm, { roundTo: 1, sparsity: 0.5 })],
      ['prune.fineTune', () => fineTune(gm, data, { epochs: 1, seed: 1 })],
      ['prune.iterativePrune', () => iterativePrune(gm, data, { sparsities: [0.5], epochsPerRound: 1, seed: 1 })],
      ['prune.sensitivityScan', () => sensitivityScan(gm, data, { sparsities: [0.5] })],
      ['prune.stripPruning', () => stripPruning(gm)],
      ['prune.pruningHooks', () => pruningHooks(gm, { schedule: new ConstantSparsity({ targetSparsity: 0.5 }) })],
      ['DependencyGraph', () => new DependencyGraph(gm)],
      ['computeMasks', () => computeMasks(gm, { sparsity: 0.5 })],
      ['masksFromZeros', () => masksFromZeros(gm)],
      ['sparsityReport', () => sparsityReport(gm)],
      ['sizeReport', () => sizeReport(gm)],
    ];
    const before = tf.memory().numTensors;
    for (const [fn, call] of calls) {
      let err: unknown;
      try {
        await call();
      } catch (e) {
        err = e;
      }
      expect(err, fn).to.be.instanceOf(ConfigError);
      expect((err as Error).message, fn).to.match(
        new RegExp(
          `^${fn.replace('.', '\\.')}: a tf.LayersModel, got a tf.GraphModel .*tensorflowjs_converter --output_format tfjs_layers_model`,
        ),
      );
    }
    expect(tf.memory().numTensors).to.equal(before);
    expect(tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0])).to.equal(3);
    tf.dispose([data.xs, data.ys]);
  });
});
