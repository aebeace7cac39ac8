// prune.channels on small models: slicing, groups, importance, options.
// The widths here sit below the runtimes' tiles, so these prune with roundTo: 1 (no rounding);
// the default, hardware-aware rounding has its own tests in round-to.test.ts.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError, UnsupportedLayerError } from '../../lib/errors';
import { cnn } from '../../course/models/cnn';
import { simpleNet } from '../../course/models/simplenet';
import { channels } from '../../lib/prune/channels';
import { DependencyGraph } from '../../lib/prune/graph';
import { slimmingRegularizer } from '../../lib/prune/importance';
import { expectNoLeak } from '../helpers/leak';
import { maxAbsDiff } from '../helpers/backends';
import { zeroRemovedChannels } from '../helpers/zero-removed';

const seeded = (s: number) => tf.initializers.glorotUniform({ seed: s });

/** conv -> BN -> relu -> [conv -> BN] + shortcut -> relu -> depthwise -> conv -> GAP -> dense. */
function residualNet(): tf.LayersModel {
  const x = tf.input({ shape: [6, 6, 2], name: 'in' });
  const c1 = tf.layers
    .conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'c1', kernelInitializer: seeded(1) })
    .apply(x) as tf.SymbolicTensor;
  const b1 = tf.layers.batchNormalization({ name: 'b1' }).apply(c1) as tf.SymbolicTensor;
  const r1 = tf.layers.activation({ activation: 'relu', name: 'r1' }).apply(b1) as tf.SymbolicTensor;
  const c2 = tf.layers
    .conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'c2', kernelInitializer: seeded(2) })
    .apply(r1) as tf.SymbolicTensor;
  const b2 = tf.layers.batchNormalization({ name: 'b2' }).apply(c2) as tf.SymbolicTensor;
  const add = tf.layers.add({ name: 'add' }).apply([r1, b2]) as tf.SymbolicTensor;
  const r2 = tf.layers.activation({ activation: 'relu', name: 'r2' }).apply(add) as tf.SymbolicTensor;
  const dw = tf.layers
    .depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw', depthwiseInitializer: seeded(3) })
    .apply(r2) as tf.SymbolicTensor;
  const c3 = tf.layers
    .conv2d({ filters: 5, kernelSize: 1, name: 'c3', kernelInitializer: seeded(4) })
    .apply(dw) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c3) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'out', kernelInitializer: seeded(5) }).apply(gap) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out });
}

/** Two conv branches concatenated, pooled, flattened (NHWC), dense, dense. */
function concatNet(): tf.LayersModel {
  const x = tf.input({ shape: [4, 4, 1], name: 'in' });
  const a = tf.layers
    .conv2d({
      filters: 3,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: 'ca',
      kernelInitializer: seeded(1),
    })
    .apply(x) as tf.SymbolicTensor;
  const b = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: 'cb',
      kernelInitializer: seeded(2),
    })
    .apply(x) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([a, b]) as tf.SymbolicTensor;
  const p = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(cat) as tf.SymbolicTensor;
  const f = tf.layers.flatten({ name: 'flat' }).apply(p) as tf.SymbolicTensor;
  const h = tf.layers
    .dense({ units: 8, activation: 'relu', name: 'h', kernelInitializer: seeded(3) })
    .apply(f) as tf.SymbolicTensor;
  const o = tf.layers.dense({ units: 2, name: 'o', kernelInitializer: seeded(4) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: o });
}

/** rescaling -> conv -> BN -> swish -> squeeze-excite (GAP -> Reshape [1, 1, C] -> conv -> sigmoid conv -> Multiply) -> conv -> Reshape [flat] -> dense. */
function squeezeExciteNet(): tf.LayersModel {
  const x = tf.input({ shape: [5, 5, 3], name: 'in' });
  const r = tf.layers.rescaling({ scale: 1 / 255, name: 'scale' }).apply(x) as tf.SymbolicTensor;
  const c1 = tf.layers
    .conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, name: 'c1', kernelInitializer: seeded(1) })
    .apply(r) as tf.SymbolicTensor;
  const b1 = tf.layers
    .batchNormalization({
      name: 'b1',
      gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 9 }),
    })
    .apply(c1) as tf.SymbolicTensor;
  const a1 = tf.layers.activation({ activation: 'swish', name: 'a1' }).apply(b1) as tf.SymbolicTensor;
  let se = tf.layers.globalAveragePooling2d({ name: 'squeeze' }).apply(a1) as tf.SymbolicTensor;
  se = tf.layers.reshape({ targetShape: [1, 1, 6], name: 'se_reshape' }).apply(se) as tf.SymbolicTensor;
  se = tf.layers
    .conv2d({
      filters: 3,
      kernelSize: 1,
      activation: 'swish',
      name: 'se_reduce',
      kernelInitializer: seeded(2),
      biasInitializer: seeded(3),
    })
    .apply(se) as tf.SymbolicTensor;
  se = tf.layers
    .conv2d({
      filters: 6,
      kernelSize: 1,
      activation: 'sigmoid',
      name: 'se_expand',
      kernelInitializer: seeded(4),
      biasInitializer: seeded(5),
    })
    .apply(se) as tf.SymbolicTensor;
  const excite = tf.layers.multiply({ name: 'excite' }).apply([a1, se]) as tf.SymbolicTensor;
  const c2 = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      strides: 2,
      name: 'c2',
      kernelInitializer: seeded(6),
      biasInitializer: seeded(7),
    })
    .apply(excite) as tf.SymbolicTensor;
  const flat = tf.layers.reshape({ targetShape: [16], name: 'flat' }).apply(c2) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'out', kernelInitializer: seeded(8) }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out });
}

/** Sets channel c of a conv/dense producer to exactly zero output (kernel slice and bias). */
function zeroChannel(model: tf.LayersModel, name: string, cs: number[]): void {
  const layer = model.getLayer(name);
  const ws = layer.getWeights();
  const fixed = tf.tidy(() =>
    ws.map((w) => {
      const c = w.shape[w.rank - 1] as number;
      const keep = tf.tensor1d(Array.from({ length: c }, (_, i) => (cs.includes(i) ? 0 : 1)));
      return tf.mul(w, keep);
    }),
  );
  layer.setWeights(fixed);
  tf.dispose(fixed);
}

/** Sets BN gamma and beta of channels to zero, so the BN output is exactly zero there. */
function zeroBn(model: tf.LayersModel, name: string, cs: number[]): void {
  const layer = model.getLayer(name);
  const ws = layer.getWeights();
  const fixed = tf.tidy(() =>
    ws.map((w, i) =>
      i < 2 ? tf.mul(w, tf.tensor1d(Array.from({ length: w.size }, (_, k) => (cs.includes(k) ? 0 : 1)))) : w.clone(),
    ),
  );
  layer.setWeights(fixed);
  tf.dispose(fixed);
}

async function expectSameOutputs(a: tf.LayersModel, b: tf.LayersModel, shape: number[]): Promise<void> {
  const x = tf.randomNormal([3, ...shape], 0, 1, 'float32', 7);
  const ya = a.predict(x) as tf.Tensor;
  const yb = b.predict(x) as tf.Tensor;
  expect(maxAbsDiff(ya, yb)).to.be.lessThan(1e-4);
  tf.dispose([x, ya, yb]);
}

describe('prune/graph', () => {
  it('groups residual Add branches, ties BN and depthwise, freezes the output', () => {
    const model = residualNet();
    const groups = new DependencyGraph(model).groups();
    expect(groups.map((g) => [g.producers, g.tied, g.consumers, g.frozen])).to.deep.equal([
      [['c1', 'c2'], ['b1', 'b2', 'dw'], ['c2', 'c3'], false],
      [['c3'], [], ['out'], false],
      [['out'], [], [], true],
    ]);
    model.dispose();
  });

  it('maps Concatenate offsets and NHWC Flatten indices', () => {
    const model = concatNet();
    const g = new DependencyGraph(model);
    const groups = g.groups();
    expect(groups.map((x) => x.producers)).to.deep.equal([['ca'], ['cb'], ['h'], ['o']]);
    const kept = new Map([
      [groups[0]!.id, [2]],
      [groups[1]!.id, [0, 3]],
    ]);
    // concat keeps ca:2 and cb:0,3 -> [2, 3, 6]; flatten of 2x2 positions repeats with stride 7
    expect(g.keptIndices(g.spaces.get('cat')!, kept)).to.deep.equal([2, 3, 6]);
    expect(g.keptIndices(g.spaces.get('flat')!, kept)).to.deep.equal([2, 3, 6, 9, 10, 13, 16, 17, 20, 23, 24, 27]);
    model.dispose();
  });

  it('squeeze-excite: Multiply unites the gate with the block, Reshape [1, 1, C] passes channels, Reshape to rank 1 flattens', () => {
    const model = squeezeExciteNet();
    const g = new DependencyGraph(model);
    const groups = g.groups();
    expect(groups.map((x) => [x.producers, x.tied, x.consumers, x.frozen])).to.deep.equal([
      [['c1', 'se_expand'], ['b1'], ['se_reduce', 'c2'], false],
      [['se_reduce'], [], ['se_expand'], false],
      [['c2'], [], ['out'], false],
      [['out'], [], [], true],
    ]);
    // c2's [2, 2, 4] output flattened: channel 1 of the 4 kept at the 4 spatial positions.
    expect(g.keptIndices(g.spaces.get('flat')!, new Map([[groups[2]!.id, [1]]]))).to.deep.equal([1, 5, 9, 13]);
    model.dispose();
  });

  it('refuses an unsupported layer with its name and the way out', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, inputShape: [4], name: 'd1' }),
        tf.layers.reshape({ targetShape: [2, 4], name: 'rs' }),
        tf.layers.flatten({ name: 'f' }),
        tf.layers.dense({ units: 2, name: 'd2' }),
      ],
    });
    expect(() => new DependencyGraph(model)).to.throw(
      UnsupportedLayerError,
      /Reshape that keeps the last \(channel\) axis, got layer "rs" of class Reshape \(input \[8\], output \[2, 4\]\)\. Add "rs" to skip to treat it as a black box/,
    );
    model.dispose();
  });
});

describe('prune/channels', () => {
  it('shrinks SimpleNet neurons and its weights are the kept slices', async () => {
    const model = simpleNet({ seed: 1, hidden: [8, 6], inputSize: 5, numClasses: 3 });
    const { model: small, report } = await channels(model, { roundTo: 1, sparsity: 0.5 });
    expect(report.layers.map((l) => [l.name, l.channelsBefore, l.channelsAfter])).to.deep.equal([
      ['fc1', 8, 4],
      ['fc2', 6, 3],
      ['fc3', 3, 3],
    ]);
    expect(report.params).to.deep.equal({
      before: 5 * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3,
      after: 5 * 4 + 4 + 4 * 3 + 3 + 3 * 3 + 3,
    });
    expect(report.macs).to.deep.equal({ before: 40 + 48 + 18, after: 20 + 12 + 9 });
    const k1 = report.groups[0]!.kept;
    const w = model.getLayer('fc1').getWeights()[0]!.arraySync() as number[][];
    const ws = small.getLayer('fc1').getWeights()[0]!.arraySync() as number[][];
    expect(ws).to.deep.equal(w.map((row) => k1.map((j) => row[j])));
    small.dispose();
    model.dispose();
  });

  it('sparsity 0 keeps the outputs identical (sequential CNN with BN and Flatten)', async () => {
    const model = cnn({ seed: 1, filters: [4, 6], hidden: 8 });
    const { model: same, report } = await channels(model, { roundTo: 1, sparsity: 0 });
    expect(report.params.after).to.equal(report.params.before);
    await expectSameOutputs(model, same, [28, 28, 1]);
    same.dispose();
    model.dispose();
  });

  it('removing channels that are exactly zero leaves the outputs unchanged: CNN (BN gamma=beta=0)', async () => {
    const model = cnn({ seed: 1, filters: [4, 6], hidden: 8 });
    zeroBn(model, 'bn1', [1, 3]);
    zeroBn(model, 'bn2', [0, 2, 5]);
    zeroChannel(model, 'fc1', [2, 4, 7, 0]);
    const { model: small, report } = await channels(model, {
      roundTo: 1,
      sparsity: 0.5,
      importance: 'bn',
      layers: { fc1: 0.5 },
    });
    expect(report.groups.map((g) => g.kept)).to.deep.equal([[0, 2], [1, 3, 4], [1, 3, 5, 6], [...Array(10).keys()]]);
    expect(report.warnings.some((w) => /fc1.*ranked by l1/.test(w))).to.equal(true);
    expect(report.macs.after).to.be.lessThan(report.macs.before / 2);
    await expectSameOutputs(model, small, [28, 28, 1]);
    small.dispose();
    model.dispose();
  });

  it('removing zero channels leaves outputs unchanged: residual Add block with depthwise', async () => {
    const model = residualNet();
    zeroBn(model, 'b1', [1, 4]);
    zeroBn(model, 'b2', [1, 4]);
    zeroChannel(model, 'c3', [0, 2]);
    const { model: small, report } = await channels(model, {
      roundTo: 1,
      sparsity: 0.34,
      importance: 'bn',
      layers: { c3: 0.4 },
    });
    expect(report.groups[0]!.kept).to.deep.equal([0, 2, 3, 5]);
    expect(report.groups[1]!.kept).to.deep.equal([1, 3, 4]);
    expect(small.getLayer('dw').getWeights()[0]!.shape).to.deep.equal([3, 3, 4, 1]);
    await expectSameOutputs(model, small, [6, 6, 2]);
    small.dispose();
    model.dispose();
  });

  it('removing zero channels leaves outputs unchanged: Concatenate + Flatten + Dense', async () => {
    const model = concatNet();
    zeroChannel(model, 'ca', [1]);
    zeroChannel(model, 'cb', [0, 2]);
    zeroChannel(model, 'h', [3, 5, 6, 7]);
    const { model: small, report } = await channels(model, { roundTo: 1, sparsity: 0.5, layers: { ca: 0.34 } });
    expect(report.groups.slice(0, 3).map((g) => g.kept)).to.deep.equal([
      [0, 2],
      [1, 3],
      [0, 1, 2, 4],
    ]);
    expect(small.getLayer('h').getWeights()[0]!.shape).to.deep.equal([4 * 4, 4]);
    await expectSameOutputs(model, small, [4, 4, 1]);
    small.dispose();
    model.dispose();
  });

  it('squeeze-excite block: the pruned model equals the original with the removed channels zeroed', async () => {
    const model = squeezeExciteNet();
    const { model: small, report } = await channels(model, { roundTo: 1, sparsity: 0.5 });
    expect(report.groups.map((x) => [x.channelsBefore, x.channelsAfter])).to.deep.equal([
      [6, 3],
      [3, 1],
      [4, 2],
      [3, 3],
    ]);
    expect(small.getLayer('se_reshape').outputShape).to.deep.equal([null, 1, 1, 3]);
    expect(small.getLayer('flat').outputShape).to.deep.equal([null, 8]);
    expect(zeroRemovedChannels(model, report)).to.equal(3 + 2 + 2);
    await expectSameOutputs(model, small, [5, 5, 3]);
    small.dispose();
    model.dispose();
  });

  it('skip leaves a group whole and lets an unsupported layer through as a black box', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, inputShape: [4], name: 'd1' }),
        tf.layers.reshape({ targetShape: [2, 4], name: 'rs' }),
        tf.layers.flatten({ name: 'f' }),
        tf.layers.dense({ units: 6, name: 'd2' }),
        tf.layers.dense({ units: 2, name: 'd3' }),
      ],
    });
    const { model: small, report } = await channels(model, { roundTo: 1, sparsity: 0.5, skip: ['rs'] });
    expect(report.layers.map((l) => l.channelsAfter)).to.deep.equal([8, 3, 2]);
    await expectNoLeak(async () => (await channels(model, { roundTo: 1, sparsity: 0.5, skip: ['rs', 'd2'] })).model);
    small.dispose();
    model.dispose();
  });

  it('random and l2 importance are seeded and valid; bad options are typed errors', async () => {
    const model = simpleNet({ seed: 1, hidden: [8], inputSize: 5, numClasses: 3 });
    const r1 = await channels(model, { roundTo: 1, sparsity: 0.5, importance: 'random', seed: 3 });
    const r2 = await channels(model, { roundTo: 1, sparsity: 0.5, importance: 'random', seed: 3 });
    expect(r1.report.groups[0]!.kept).to.deep.equal(r2.report.groups[0]!.kept);
    const l2 = await channels(model, { roundTo: 1, sparsity: 0.25, importance: 'l2' });
    expect(l2.report.groups[0]!.channelsAfter).to.equal(6);
    [r1, r2, l2].forEach((r) => r.model.dispose());
    for (const opts of [
      { sparsity: 1 },
      { sparsity: 0.5, layers: { fc9: 0.5 } },
      { sparsity: 0.5, layers: { fc2: 0.5 } },
      { sparsity: 0.5, skip: ['x'] },
      { sparsity: 0.5, importance: 'l3' },
    ]) {
      let err: unknown;
      try {
        await channels(model, opts as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).to.be.instanceOf(ConfigError);
    }
    model.dispose();
  });

  it('slimmingRegularizer is lambda * sum |gamma| and does not leak', async () => {
    const model = cnn({ seed: 1, filters: [2, 3], hidden: 4 });
    zeroBn(model, 'bn1', []);
    const reg = slimmingRegularizer(model, { lambda: 0.5 });
    const v = reg();
    expect(v.dataSync()[0]).to.be.closeTo(0.5 * (2 + 3), 1e-6); // gammas start at 1
    v.dispose();
    await expectNoLeak(() => reg());
    expect(() => slimmingRegularizer(simpleNet({ seed: 1 }), { lambda: 1e-4 })).to.throw(
      ConfigError,
      /BatchNormalization/,
    );
    model.dispose();
  });

  it('does not leak', async () => {
    const model = residualNet();
    await expectNoLeak(() => channels(model, { roundTo: 1, sparsity: 0.5, importance: 'bn' }));
    model.dispose();
  });
});
