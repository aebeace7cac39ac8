// The dependency graph read from the layer registry: roles, broadcast merges, softmax over
// channels, skip as a black box, and the typed errors for layers it cannot follow.
// The widths here sit below the runtimes' tiles, so these prune with roundTo: 1 (no rounding);
// the default, hardware-aware rounding has its own tests in round-to.test.ts.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { UnsupportedLayerError } from '../../lib/errors';
import { channels, ChannelReport } from '../../lib/prune/channels';
import { DependencyGraph, PruningGroup } from '../../lib/prune/graph';
import { oracleDistances } from '../helpers/channel-oracle';

type T = tf.SymbolicTensor;
const seeded = (s: number) => tf.initializers.glorotUniform({ seed: s });
const conv = (name: string, filters: number, seed: number, extra: Record<string, unknown> = {}) =>
  tf.layers.conv2d({
    name,
    filters,
    kernelSize: 3,
    padding: 'same',
    kernelInitializer: seeded(seed),
    ...(extra as object),
  });
const summary = (gs: PruningGroup[]) => gs.map((g) => [g.producers, g.tied, g.consumers, g.frozen]);

/** The pruned model against the original with the removed channels unread (test/helpers/channel-oracle.ts). */
async function expectOracle(
  model: tf.LayersModel,
  pruned: tf.LayersModel,
  report: ChannelReport,
  skip: string[] = [],
): Promise<void> {
  const x = tf.randomNormal([2, ...((model.inputs[0] as T).shape.slice(1) as number[])], 0, 1, 'float32', 5);
  const { changed, diff } = await oracleDistances(model, pruned, report, x, skip);
  x.dispose();
  expect(changed).to.be.greaterThan(1e-3);
  expect(diff).to.be.lessThan(1e-5);
}

describe('prune/graph from the layer registry', () => {
  it('a broadcast merge of (H, W, 1) with (H, W, C) freezes the single channel and unites nothing', () => {
    const x = tf.input({ shape: [4, 4, 2], name: 'in' });
    const a = conv('a', 6, 1).apply(x) as T;
    const gate = conv('gate', 1, 2, { activation: 'sigmoid' }).apply(x) as T;
    const m = tf.layers.multiply({ name: 'm' }).apply([a, gate]) as T;
    const model = tf.model({ inputs: x, outputs: conv('out', 3, 3).apply(m) as T });
    const groups = new DependencyGraph(model).groups();
    expect(summary(groups)).to.deep.equal([
      [['a'], [], ['out'], false],
      [['gate'], [], [], true],
      [['out'], [], [], true],
    ]);
    expect(groups[1]!.reason).to.equal('is broadcast over 6 channels in m');
    model.dispose();
  });

  it('a softmax over channels freezes them; a softmax over another axis and a sigmoid do not', () => {
    const x = tf.input({ shape: [4, 4, 2], name: 'in' });
    const a = tf.layers.softmax({ name: 'sm', axis: -1 }).apply(conv('a', 4, 1).apply(x) as T) as T;
    // tfjs's Softmax layer defaults to axis 1 (rows of the image here), Keras's to -1.
    const b = tf.layers.softmax({ name: 'sm_rows' }).apply(conv('b', 4, 2).apply(a) as T) as T;
    const c = conv('c', 4, 3, { activation: 'softmax' }).apply(b) as T;
    const d = conv('d', 4, 4, { activation: 'sigmoid' }).apply(c) as T;
    const model = tf.model({ inputs: x, outputs: conv('out', 2, 5).apply(d) as T });
    const groups = new DependencyGraph(model).groups();
    expect(groups.map((g) => [g.producers[0], g.reason])).to.deep.equal([
      ['a', 'goes through a softmax over channels (sm)'],
      ['b', undefined],
      ['c', 'goes through a softmax over channels (c)'],
      ['d', undefined],
      ['out', 'reaches the model output (out)'],
    ]);
    model.dispose();
  });

  it('PReLU is tied (alpha sliced on its channel axis) and Conv2DTranspose slices kernel axes 3 (in) and 2 (out)', async () => {
    const x = tf.input({ shape: [4, 4, 3], name: 'in' });
    let y = conv('c1', 8, 1).apply(x) as T;
    y = tf.layers
      .prelu({
        name: 'prelu',
        sharedAxes: [1, 2],
        alphaInitializer: tf.initializers.randomUniform({ minval: 0.1, maxval: 0.5, seed: 2 }),
      })
      .apply(y) as T;
    y = tf.layers
      .conv2dTranspose({
        name: 'up',
        filters: 6,
        kernelSize: 2,
        strides: 2,
        kernelInitializer: seeded(3),
        biasInitializer: tf.initializers.randomNormal({ seed: 4 }),
      })
      .apply(y) as T;
    y = tf.layers.activation({ name: 'relu', activation: 'relu' }).apply(y) as T;
    const model = tf.model({ inputs: x, outputs: conv('out', 2, 5).apply(y) as T });
    const { model: pruned, report } = await channels(model, { roundTo: 1, sparsity: 0.5 });
    expect(summary(new DependencyGraph(model).groups())).to.deep.equal([
      [['c1'], ['prelu'], ['up'], false],
      [['up'], [], ['out'], false],
      [['out'], [], [], true],
    ]);
    expect(pruned.getLayer('prelu').getWeights()[0]!.shape).to.deep.equal([1, 1, 4]);
    expect(pruned.getLayer('up').getWeights()[0]!.shape).to.deep.equal([2, 2, 3, 4]); // [kh, kw, outC, inC]
    await expectOracle(model, pruned, report);
    pruned.dispose();
    model.dispose();
  });

  it('a Reshape to rank 1 flattens; one that keeps the last axis passes the channels', async () => {
    const x = tf.input({ shape: [2, 2, 3], name: 'in' });
    const c = conv('c', 4, 1).apply(x) as T;
    const flat = tf.layers.reshape({ name: 'flat', targetShape: [16] }).apply(c) as T;
    const grid = tf.layers
      .reshape({ name: 'grid', targetShape: [1, 1, 8] })
      .apply(tf.layers.dense({ name: 'h', units: 8, kernelInitializer: seeded(2) }).apply(flat) as T) as T;
    const model = tf.model({ inputs: x, outputs: conv('out', 2, 3, { kernelSize: 1 }).apply(grid) as T });
    const g = new DependencyGraph(model);
    const groups = g.groups();
    expect(g.keptIndices(g.spaces.get('flat')!, new Map([[groups[0]!.id, [1, 2]]]))).to.deep.equal([
      1, 2, 5, 6, 9, 10, 13, 14,
    ]);
    const { model: pruned, report } = await channels(model, { roundTo: 1, sparsity: 0.5 });
    expect(pruned.getLayer('flat').outputShape).to.deep.equal([null, 8]);
    expect(pruned.getLayer('grid').outputShape).to.deep.equal([null, 1, 1, 4]);
    await expectOracle(model, pruned, report);
    pruned.dispose();
    model.dispose();
  });

  it('skip makes any layer a black box: a skipped BatchNormalization freezes its group and keeps its weights', async () => {
    const x = tf.input({ shape: [4, 4, 2], name: 'in' });
    const b = tf.layers
      .batchNormalization({ name: 'bn', betaInitializer: tf.initializers.randomNormal({ seed: 1 }) })
      .apply(conv('a', 6, 1).apply(x) as T) as T;
    const model = tf.model({ inputs: x, outputs: conv('out', 2, 3).apply(conv('b', 6, 2).apply(b) as T) as T });
    const { model: pruned, report } = await channels(model, { roundTo: 1, sparsity: 0.5, skip: ['bn'] });
    expect(report.groups.map((g) => [g.producers[0], g.channelsAfter, g.reason])).to.deep.equal([
      ['a', 6, 'is read by skipped layer bn'],
      ['b', 3, undefined],
      ['out', 2, 'reaches the model output (out)'],
    ]);
    expect(Array.from(pruned.getLayer('bn').getWeights()[1]!.dataSync())).to.deep.equal(
      Array.from(model.getLayer('bn').getWeights()[1]!.dataSync()),
    );
    await expectOracle(model, pruned, report, ['bn']);
    pruned.dispose();
    model.dispose();
  });

  it('refuses what it cannot follow with the layer, its class, the reason and the way out', async () => {
    const cases: [string, () => tf.LayersModel, RegExp][] = [
      [
        'unknown class',
        () =>
          tf.sequential({
            layers: [
              tf.layers.dense({ inputShape: [4], units: 4, name: 'd' }),
              tf.layers.masking({ name: 'mask' }),
              tf.layers.dense({ units: 2 }),
            ],
          }),
        /^prune\.channels: a layer class the layer registry knows \(lib\/core\/layers\.ts\), got layer "mask" of class Masking \(input \[4\], output \[4\]\)\. Add "mask" to skip to treat it as a black box/,
      ],
      [
        'opaque class',
        () =>
          tf.sequential({
            layers: [
              tf.layers.separableConv2d({ inputShape: [4, 4, 2], filters: 4, kernelSize: 3, name: 'sep' }),
              tf.layers.flatten(),
              tf.layers.dense({ units: 2 }),
            ],
          }),
        /a layer whose channels can be followed one by one .*, got layer "sep" of class SeparableConv2D/,
      ],
      [
        'channelCheck: BN axis',
        () =>
          tf.sequential({
            layers: [
              conv('c', 4, 1, { inputShape: [4, 4, 2] }),
              tf.layers.batchNormalization({ axis: 1, name: 'bn1' }),
              tf.layers.flatten(),
              tf.layers.dense({ units: 2 }),
            ],
          }),
        /BatchNormalization over the last \(channel\) axis, got layer "bn1" of class BatchNormalization/,
      ],
      [
        'channelCheck: depth multiplier',
        () =>
          tf.sequential({
            layers: [
              conv('c', 4, 1, { inputShape: [4, 4, 2] }),
              tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, name: 'dw2' }),
              tf.layers.flatten(),
              tf.layers.dense({ units: 2 }),
            ],
          }),
        /DepthwiseConv2D with depthMultiplier 1, got layer "dw2" of class DepthwiseConv2D/,
      ],
    ];
    for (const [what, build, message] of cases) {
      const model = build();
      let err: unknown;
      try {
        await channels(model, { roundTo: 1, sparsity: 0.5 });
      } catch (e) {
        err = e;
      }
      expect(err, what).to.be.instanceOf(UnsupportedLayerError);
      expect((err as Error).message, what).to.match(message);
      expect((err as UnsupportedLayerError).layerName, what).to.be.a('string');
      const name = (err as UnsupportedLayerError).layerName as string;
      // The way out works: the layer as a black box.
      const { model: pruned } = await channels(model, { roundTo: 1, sparsity: 0.5, skip: [name] });
      const weights = (m: tf.LayersModel) =>
        m
          .getLayer(name)
          .getWeights()
          .map((w) => Array.from(w.dataSync()));
      expect(weights(pruned), what).to.deep.equal(weights(model));
      pruned.dispose();
      model.dispose();
    }
  });
});
