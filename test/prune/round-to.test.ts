// Hardware-aware channel counts: kept channels rounded to the target runtime's tile (by default a
// multiple of every measured runtime's tile), residual groups and Concatenate kept consistent, the
// pruned model equal to the original with the removed channels unread, and a requested fraction
// of the MACs met by the rounded counts.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { cnn } from '../../course/models/cnn';
import { channels, ChannelReport } from '../../lib/prune/channels';
import { keptCounts, macsWithCounts, roundKept, sparsityForMacsRatio } from '../../lib/prune/channel-counts';
import { DependencyGraph } from '../../lib/prune/graph';
import { tileOf } from '../../lib/prune/tiles';
import { profileModel } from '../../lib/profile/profile-model';
import { mobileNetV2 } from '../fixtures/architectures';
import { oracleDistances } from '../helpers/channel-oracle';
import { expectNoLeak } from '../helpers/leak';

/** MobileNetV2 at its real widths (16 to 1280 channels) on a small input, so it builds and runs fast. */
const mobileNet = () => mobileNetV2({ seed: 5, inputShape: [32, 32, 3], classes: 10, classifierActivation: 'linear' });

/** Two conv branches of 32 and 48 filters concatenated, then a conv that reads both. */
function concatNet(): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const x = tf.input({ shape: [8, 8, 3], name: 'in' });
  const conv = (name: string, filters: number, input: tf.SymbolicTensor, seed: number) =>
    tf.layers
      .conv2d({ name, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed) })
      .apply(input) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([conv('a', 32, x, 1), conv('b', 48, x, 2)]);
  const c = conv('c', 64, cat as tf.SymbolicTensor, 3);
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 3, name: 'out' }).apply(gap) as tf.SymbolicTensor });
}

const filtersOf = (m: tf.LayersModel, name: string) => (m.getLayer(name).getConfig() as { filters: number }).filters;

/** Every open group's count is a multiple of `roundTo`, or the group's own size when it is below one tile or left whole. */
function expectRounded(report: ChannelReport, roundTo: number): void {
  for (const g of report.groups) {
    if (g.reason) continue;
    const ok = g.channelsAfter % roundTo === 0 || g.channelsAfter === g.channelsBefore;
    expect(ok, `${g.producers.join('+')}: ${g.channelsBefore} -> ${g.channelsAfter}`).to.equal(true);
  }
}

describe('prune/channels: hardware-aware channel counts (roundTo, target)', () => {
  it('roundKept: the nearest multiple (ties keep more), never below one tile or min, never above the channels', () => {
    expect(roundKept(11, 16, 8)).to.equal(8);
    expect(roundKept(22, 32, 8)).to.equal(24);
    expect(roundKept(12, 16, 8)).to.equal(16); // 1.5 tiles: a tie keeps more
    expect(roundKept(3, 16, 8)).to.equal(8); // never below one tile
    expect(roundKept(5, 6, 8)).to.equal(6); // fewer channels than a tile: all of them
    expect(roundKept(20, 24, 16)).to.equal(24); // 16 and 24 (all) are as near: keep more
    expect(roundKept(18, 24, 16)).to.equal(16);
    expect(roundKept(24, 24, 16)).to.equal(24); // left whole stays whole
    expect(roundKept(17, 32, 16, 20)).to.equal(32); // 16 would be below min
    expect(roundKept(5, 8, 1)).to.equal(5);
    expect(roundKept(0, 8, 1, 2)).to.equal(2);
  });

  it('by default (target any) every group of MobileNetV2 keeps a multiple of the tile; residual groups stay one width; equals the oracle', async () => {
    const model = mobileNet();
    const { model: pruned, report } = await channels(model, { sparsity: 0.3 });
    expect(report.target).to.equal('any');
    expect(report.roundTo).to.equal(tileOf('any'));
    expectRounded(report, report.roundTo);
    expect(report.groups.filter((g) => !g.reason && g.channelsAfter < g.channelsBefore).length).to.be.greaterThan(10);
    // A residual group's producers (block_3/4/5_project, ...) and its tied BatchNormalizations keep one count.
    for (const g of report.groups.filter((x) => x.producers.length > 1)) {
      for (const p of g.producers) expect(filtersOf(pruned, p), p).to.equal(g.channelsAfter);
      for (const t of g.tied.filter((n) => pruned.getLayer(n).getClassName() === 'BatchNormalization'))
        expect(pruned.getLayer(t).getWeights()[0]!.shape[0], t).to.equal(g.channelsAfter);
    }
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 7);
    const { changed, diff, scale } = await oracleDistances(model, pruned, report, x);
    expect(changed).to.be.greaterThan(1e-3 * scale); // the removed channels mattered
    expect(diff).to.be.lessThan(1e-4 * Math.max(1, scale));
    tf.dispose([x]);
    [model, pruned].forEach((m) => m.dispose());
  });

  it('Concatenate of rounded groups: each part a multiple of the tile, the consumer reads their sum, equals the oracle', async () => {
    const model = concatNet();
    const { model: pruned, report } = await channels(model, { sparsity: 0.3, roundTo: 16 });
    expect([filtersOf(pruned, 'a'), filtersOf(pruned, 'b'), filtersOf(pruned, 'c')]).to.deep.equal([16, 32, 48]); // 22 -> 16, 34 -> 32, 45 -> 48
    expect(pruned.getLayer('c').getWeights()[0]!.shape).to.deep.equal([3, 3, 48, 48]);
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 3);
    const { diff, changed } = await oracleDistances(model, pruned, report, x);
    expect(changed).to.be.greaterThan(0);
    expect(diff).to.be.lessThan(1e-5);
    x.dispose();
    [model, pruned].forEach((m) => m.dispose());
  });

  it('target names a runtime: its measured tile; roundTo 1 opts out; the 16/32 CNN at 0.3 keeps 11/22 unrounded and 8/24 at roundTo 8', async () => {
    const model = cnn({ seed: 1, filters: [16, 32] });
    const widths = (r: ChannelReport) => r.layers.filter((l) => l.className === 'Conv2D').map((l) => l.channelsAfter);
    const plain = await channels(model, { sparsity: 0.3, roundTo: 1 });
    const eight = await channels(model, { sparsity: 0.3, roundTo: 8 });
    expect(widths(plain.report)).to.deep.equal([11, 22]);
    expect(widths(eight.report)).to.deep.equal([8, 24]);
    expect((eight.model.getLayer('fc1').getConfig() as { units: number }).units).to.equal(88); // 128 - 38 = 90 -> 88
    expect(plain.report.target).to.equal(undefined);
    for (const target of ['ort', 'tfjs-wasm', 'tflite'] as const) {
      const r = await channels(model, { sparsity: 0.3, target });
      expect(r.report.target).to.equal(target);
      expect(r.report.roundTo).to.equal(tileOf(target));
      expectRounded(r.report, tileOf(target));
      r.model.dispose();
    }
    [model, plain.model, eight.model].forEach((m) => m.dispose());
  });

  it('macsRatio: the smallest uniform sparsity whose rounded counts keep at most that fraction; the report says what was kept', async () => {
    const model = mobileNet();
    const { model: pruned, report } = await channels(model, { macsRatio: 0.7 });
    const [before, after] = await Promise.all([profileModel(model), profileModel(pruned)]);
    expect(report.requestedMacsRatio).to.equal(0.7);
    expect(report.macsRatio).to.equal(after.totals.macs / before.totals.macs);
    expect(report.paramsRatio).to.equal(after.totals.params / before.totals.params);
    expect(report.macsRatio).to.be.at.most(0.7);
    expect(report.macsRatio).to.be.greaterThan(0.6); // rounding steps are small next to 30% of the MACs
    expectRounded(report, report.roundTo);
    // Counting MACs from the counts (what the search does) agrees with profiling the built model.
    const graph = new DependencyGraph(model);
    const groups = graph.groups();
    const countsAt = (s: number) => keptCounts(groups, s, { minChannels: 1, roundTo: report.roundTo });
    expect(macsWithCounts(graph, new Map())).to.equal(before.totals.macs);
    expect(macsWithCounts(graph, countsAt(report.sparsity))).to.equal(after.totals.macs);
    // Minimal: a little less sparsity keeps more than asked.
    expect(macsWithCounts(graph, countsAt(report.sparsity - 1e-6)) / before.totals.macs).to.be.greaterThan(0.7);
    expect(sparsityForMacsRatio(graph, 1, countsAt, 'test')).to.deep.equal({ sparsity: 0, macsRatio: 1 });
    [model, pruned].forEach((m) => m.dispose());
  });

  it('bad rounding and MACs options are ConfigErrors that say what to pass; nothing leaks', async () => {
    const model = cnn({ seed: 1, filters: [16, 32] });
    const cases: [unknown, RegExp][] = [
      [{ sparsity: 0.3, roundTo: 0 }, /prune\.channels: roundTo a positive integer, got 0\. Use 1 \(no rounding\)/],
      [{ sparsity: 0.3, roundTo: 2.5 }, /roundTo a positive integer, got 2\.5/],
      [{ sparsity: 0.3, target: 'gpu' }, /target one of 'any', 'ort', 'tfjs-wasm', 'tflite', got "gpu"/],
      [{ sparsity: 0.3, target: 'ort', roundTo: 8 }, /target or roundTo, got both \(target "ort", roundTo 8\)/],
      [{}, /sparsity \(the fraction of channels removed\) or macsRatio \(the fraction of MACs kept\), got neither/],
      [{ sparsity: 0.3, macsRatio: 0.5 }, /got both\. Pass one/],
      [{ macsRatio: 0 }, /macsRatio in \(0, 1\], got 0/],
      [{ macsRatio: 1.5 }, /macsRatio in \(0, 1\], got 1\.5/],
      [
        { macsRatio: 0.001, roundTo: 16 },
        /a macsRatio the model can reach \(at least 0\.\d+ with every prunable group at its minimum\), got 0\.001/,
      ],
    ];
    for (const [opts, message] of cases) {
      let err: unknown;
      try {
        await channels(model, opts as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).to.be.instanceOf(ConfigError);
      expect((err as Error).message, JSON.stringify(opts)).to.match(message);
    }
    await expectNoLeak(async () => (await channels(model, { macsRatio: 0.6, roundTo: 8 })).model);
    model.dispose();
  });
});
