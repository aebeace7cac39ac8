import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import {
  buildModel,
  mutate,
  sample,
  validateSpace,
  paretoFront,
  taskOf,
  MlpSpace,
  CnnSpace,
  Genotype,
  NasTask,
} from '../../lib/nas';
import { genotypeKey } from '../../lib/nas/space';
import { spearman } from '../../lib/nas/rank-correlation';
import { pearson } from '../../lib/nas/latency-table';
import { kendall } from '../../lib/nas/rank-correlation';
import { checkGenotype } from '../../lib/nas/space';
import { ranks } from '../../lib/nas/rank-correlation';
import { poolMatrix } from '../../lib/nas/build';
import { makeImageSet } from '../../lib/data/image-set';
import { Rng } from '../../lib/core/rng';
import { ConfigError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';
import { maxAbsDiff } from '../helpers/backends';

const mlpSpace: MlpSpace = {
  kind: 'mlp',
  resolutions: [28, 14, 7],
  depths: [0, 1, 2],
  widths: [16, 32, 64],
  activations: ['relu', 'tanh'],
};
const task: NasTask = { inputShape: [28, 28, 1], classes: 10 };
const cnnSpace: CnnSpace = {
  kind: 'cnn',
  resolutions: [28, 14],
  stages: [1, 2, 3],
  channels: [4, 8],
  kernelSizes: [3, 5],
  separable: [false, true],
  activations: ['relu'],
};

describe('nas/space, sample, mutate', () => {
  it('rejects empty and contradictory spaces with ConfigError', () => {
    expect(() => validateSpace({ ...mlpSpace, widths: [] })).to.throw(ConfigError, /non-empty list of widths/);
    expect(() => validateSpace({ ...mlpSpace, resolutions: [10] }, 'f', task)).to.throw(
      ConfigError,
      /heights that divide the input's 28/,
    );
    expect(() => validateSpace(mlpSpace, 'f', { inputShape: [32, 32, 3], classes: 10 })).to.throw(
      ConfigError,
      /resolutions/,
    );
    expect(() => validateSpace(mlpSpace, 'f', { inputShape: [28, 28], classes: 10 } as unknown as NasTask)).to.throw(
      ConfigError,
      /inputShape \[height, width, channels\]/,
    );
    expect(() => validateSpace(mlpSpace, 'f', { inputShape: [28, 28, 1], classes: 1 })).to.throw(
      ConfigError,
      /classes an integer >= 2/,
    );
    expect(() => validateSpace({ ...cnnSpace, resolutions: [7], stages: [3, 4] })).to.throw(ConfigError, /realizable/);
    expect(() => validateSpace({ ...cnnSpace, kernelSizes: [2] })).to.throw(ConfigError, /odd/);
    expect(() => validateSpace({ kind: 'rnn' } as unknown as MlpSpace)).to.throw(ConfigError, /kind 'mlp' or 'cnn'/);
    expect(() => validateSpace({ ...mlpSpace, depths: [0], widths: [] })).to.not.throw();
  });

  it('samples seeded genotypes inside the space', () => {
    for (const space of [mlpSpace, cnnSpace]) {
      const a = Array.from({ length: 30 }, (_, i) => sample(space, new Rng(i)));
      const b = Array.from({ length: 30 }, (_, i) => sample(space, new Rng(i)));
      expect(a.map(genotypeKey)).to.deep.equal(b.map(genotypeKey));
      a.forEach((g) => checkGenotype(g, space));
      expect(new Set(a.map(genotypeKey)).size).to.be.above(15);
    }
    // A 7-pixel CNN cannot have 3 stages: never sampled.
    const small: CnnSpace = { ...cnnSpace, resolutions: [7, 28] };
    for (let i = 0; i < 50; i++) {
      const g = sample(small, new Rng(i));
      if (g.kind === 'cnn' && g.resolution === 7) expect(g.stages.length).to.be.at.most(2);
    }
  });

  it('mutates into a different genotype that stays in the space', () => {
    const rng = new Rng(4);
    for (const space of [mlpSpace, cnnSpace]) {
      let g: Genotype = sample(space, rng);
      for (let i = 0; i < 40; i++) {
        const child = mutate(g, space, rng);
        expect(genotypeKey(child)).to.not.equal(genotypeKey(g));
        checkGenotype(child, space);
        g = child;
      }
    }
    expect(genotypeKey({ kind: 'mlp', resolution: 14, widths: [64, 32], activation: 'relu' })).to.equal(
      'mlp-r14-relu-64x32',
    );
  });

  it('builds models whose parameter counts match the hand count', () => {
    const mlp = buildModel({ kind: 'mlp', resolution: 14, widths: [32], activation: 'relu' }, { seed: 1, task });
    // the frozen pooling matrix (56 x 14) counts too
    expect(mlp.countParams()).to.equal(56 * 14 + 196 * 32 + 32 + 32 * 10 + 10);
    expect(mlp.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0)).to.equal(
      196 * 32 + 32 + 32 * 10 + 10,
    );
    expect(mlp.inputs[0]!.shape).to.deep.equal([null, 28, 28, 1]);
    const linear = buildModel({ kind: 'mlp', resolution: 28, widths: [], activation: 'relu' }, { seed: 1, task });
    expect(linear.countParams()).to.equal(7850);
    // separable stage on 14x14: depthwise 3x3x1 (9) + pointwise 1x1x1x8 (8) + BN 4*8 (32); then 7x7x8 -> 10.
    const cnn = buildModel(
      { kind: 'cnn', resolution: 14, stages: [{ channels: 8, kernelSize: 3, separable: true }], activation: 'relu' },
      { seed: 1, task },
    );
    expect(cnn.countParams()).to.equal(9 + 8 + 32 + 7 * 7 * 8 * 10 + 10);
    expect(cnn.outputs[0]!.shape).to.deep.equal([null, 10]);
    [mlp, linear, cnn].forEach((m) => m.dispose());
  });

  it('pools MLP inputs exactly like 2D average pooling', () => {
    for (const resolution of [14, 7]) {
      const m = buildModel({ kind: 'mlp', resolution, widths: [4], activation: 'relu' }, { seed: 1, task });
      const pooled = tf.model({ inputs: m.inputs, outputs: m.getLayer('flatten').output as tf.SymbolicTensor });
      const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 2);
      const want = tf.reshape(tf.avgPool(x as tf.Tensor4D, 28 / resolution, 28 / resolution, 'valid'), [
        3,
        resolution * resolution,
      ]);
      expect(maxAbsDiff(pooled.predict(x) as tf.Tensor, want)).to.be.below(1e-6);
      tf.dispose([x, want]);
      m.dispose();
    }
  });

  it("pools RGB inputs of any size exactly like 2D average pooling, and builds for the task's classes", () => {
    const rgb: NasTask = { inputShape: [12, 8, 3], classes: 5 };
    expect(poolMatrix(2, 2, 1).arraySync()).to.deep.equal([[0.25], [0.25], [0.25], [0.25]]);
    const m = buildModel({ kind: 'mlp', resolution: 6, widths: [4], activation: 'relu' }, { seed: 1, task: rgb });
    expect(m.inputs[0]!.shape).to.deep.equal([null, 12, 8, 3]);
    expect(m.outputs[0]!.shape).to.deep.equal([null, 5]);
    const pooled = tf.model({ inputs: m.inputs, outputs: m.getLayer('flatten').output as tf.SymbolicTensor });
    const x = tf.randomUniform([2, 12, 8, 3], 0, 1, 'float32', 3);
    const want = tf.reshape(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), [2, 6 * 4 * 3]);
    expect(maxAbsDiff(pooled.predict(x) as tf.Tensor, want)).to.be.below(1e-6);
    tf.dispose([x, want]);
    m.dispose();
    const cnn = buildModel(
      { kind: 'cnn', resolution: 12, stages: [{ channels: 4, kernelSize: 3, separable: false }], activation: 'relu' },
      { seed: 1, task: rgb },
    );
    expect(cnn.inputs[0]!.shape).to.deep.equal([null, 12, 8, 3]);
    expect(cnn.outputs[0]!.shape).to.deep.equal([null, 5]);
    cnn.dispose();
    expect(() =>
      buildModel({ kind: 'mlp', resolution: 5, widths: [], activation: 'relu' }, { seed: 1, task: rgb }),
    ).to.throw(ConfigError, /divides the input's height 12/);
    expect(() =>
      buildModel(
        {
          kind: 'cnn',
          resolution: 12,
          stages: [1, 2, 3, 4].map(() => ({ channels: 4, kernelSize: 3, separable: false })),
          activation: 'relu',
        },
        { seed: 1, task: rgb },
      ),
    ).to.throw(ConfigError, /at least one pixel/);
    const set = makeImageSet(
      'rgb',
      new Uint8Array(2 * 12 * 8 * 3),
      new Uint8Array([0, 4]),
      { height: 12, width: 8, channels: 3 },
      ['a', 'b', 'c', 'd', 'e'],
    );
    expect(taskOf(set)).to.deep.equal(rgb);
  });

  it('runs built models forward without leaks', async () => {
    for (const g of [sample(mlpSpace, new Rng(1)), sample(cnnSpace, new Rng(2))]) {
      const m = buildModel(g, { seed: 1, task });
      const x = tf.zeros([2, 28, 28, 1]);
      await expectNoLeak(() => m.predict(x));
      x.dispose();
      m.dispose();
    }
  });

  it('extracts the Pareto front and computes Pearson correlation', () => {
    const pts = [
      { a: 0.9, l: 1 },
      { a: 0.95, l: 2 },
      { a: 0.9, l: 3 },
      { a: 0.97, l: 5 },
      { a: 0.96, l: 6 },
    ];
    const front = paretoFront(pts, [
      { name: 'acc', value: (p) => p.a, maximize: true },
      { name: 'lat', value: (p) => p.l, maximize: false },
    ]);
    expect(front).to.deep.equal([pts[0], pts[1], pts[3]]);
    expect(pearson([1, 2, 3], [2, 4, 6])).to.be.closeTo(1, 1e-12);
    expect(pearson([1, 2, 3], [3, 2, 1])).to.be.closeTo(-1, 1e-12);
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).to.be.closeTo(0.8, 1e-12);
    expect(() => pearson([1], [1])).to.throw(ConfigError);
    expect(ranks([10, 30, 20, 20])).to.deep.equal([1, 4, 2.5, 2.5]);
    expect(spearman([1, 2, 3, 4], [10, 20, 40, 30])).to.be.closeTo(0.8, 1e-12);
    expect(kendall([1, 2, 3, 4], [10, 20, 40, 30])).to.be.closeTo(4 / 6, 1e-12);
    expect(kendall([1, 2, 3], [3, 2, 1])).to.be.closeTo(-1, 1e-12);
    // tau-b with a tie in b: pairs (1,2) conc, (1,3) tie in b, (2,3) disc -> 0 / sqrt(3 * 2)
    expect(kendall([1, 2, 3], [1, 2, 1])).to.be.closeTo(0, 1e-12);
    expect(() => spearman([1, 2], [1, NaN])).to.throw(ConfigError, /finite/);
  });
});
