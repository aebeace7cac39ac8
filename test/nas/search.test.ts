import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import {
  agingEvolution,
  randomSearch,
  buildModel,
  LatencyTable,
  latencyPredictor,
  LocalEvaluator,
  Evaluator,
  Genotype,
  MlpSpace,
  CandidateResult,
  ProxyRecipe,
  NasTask,
  taskOf,
} from '../../lib/nas';
import { genotypeKey } from '../../lib/nas/space';
import { genotypeCost } from '../../lib/nas/proxy';
import { pairedLatency } from '../../lib/nas/genotype-latency';
import { proxyEvaluate } from '../../lib/nas/proxy';
import { ConfigError } from '../../lib/errors';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';

const space: MlpSpace = {
  kind: 'mlp',
  resolutions: [28, 14, 7],
  depths: [0, 1, 2],
  widths: [8, 16, 32, 64],
  activations: ['relu', 'tanh'],
};
const task: NasTask = { inputShape: [28, 28, 1], classes: 10 };

// A synthetic landscape: accuracy grows with log-width and resolution; no training.
function fakeAccuracy(g: Genotype): number {
  if (g.kind !== 'mlp') return 0;
  const w = g.widths.reduce((a, b) => a + Math.log2(b), 0);
  return 0.5 + 0.02 * w + 0.05 * Math.log2(g.resolution / 7) + (g.activation === 'relu' ? 0.01 : 0);
}
class FakeEvaluator implements Evaluator {
  readonly calls: Genotype[][] = [];
  constructor(readonly concurrency = 2) {}
  async evaluate(gs: readonly Genotype[]): Promise<CandidateResult[]> {
    this.calls.push([...gs]);
    return Promise.all(
      gs.map(async (g) => ({
        key: genotypeKey(g),
        genotype: g,
        accuracy: fakeAccuracy(g),
        ...(await genotypeCost(g, task)),
        trainSeconds: 0,
        fromCache: false,
      })),
    );
  }
  async close(): Promise<void> {}
}

describe('nas/search', () => {
  it("spends exactly the budget, in rounds of roundSize whatever the evaluator's workers, reproducibly", async () => {
    for (const strategy of [randomSearch, agingEvolution]) {
      const ev = new FakeEvaluator(1);
      const a = await strategy(space, { budget: 10, seed: 5, evaluator: ev, task, roundSize: 3 });
      const b = await strategy(space, { budget: 10, seed: 5, evaluator: new FakeEvaluator(4), task, roundSize: 3 });
      expect(a.history).to.have.length(10);
      expect(ev.calls.map((c) => c.length)).to.deep.equal([3, 3, 3, 1]);
      expect(a.history.map((s) => s.key)).to.deep.equal(b.history.map((s) => s.key));
      a.bestSoFar.forEach((v, i) => expect(v).to.be.at.least(a.bestSoFar[i - 1] ?? 0));
      expect(a.best.accuracy).to.equal(Math.max(...a.history.map((s) => s.accuracy)));
    }
  });

  it('evolution mutates members of its population after the random phase', async () => {
    const r = await agingEvolution(space, {
      budget: 24,
      seed: 2,
      evaluator: new FakeEvaluator(1),
      task,
      roundSize: 1,
      population: 6,
      sampleSize: 2,
    });
    // Every child after the first P differs from some earlier candidate by a single decision, so it
    // shares at least resolution, activation or the depth with an earlier one.
    const earlier = (i: number) => r.history.slice(0, i);
    for (let i = 6; i < r.history.length; i++) {
      const c = r.history[i]!.genotype;
      const close = earlier(i).some(
        (p) =>
          p.genotype.kind === 'mlp' &&
          c.kind === 'mlp' &&
          [
            p.genotype.resolution === c.resolution,
            p.genotype.activation === c.activation,
            p.genotype.widths.join() === c.widths.join(),
          ].filter(Boolean).length >= 2,
      );
      expect(close, `child ${r.history[i]!.key}`).to.equal(true);
    }
  });

  it('meets constraints on params and latency, and records the latency', async () => {
    const table = new LatencyTable({ batchSize: 8, runs: 3, warmupRuns: 1 });
    const r = await randomSearch(space, {
      budget: 6,
      seed: 1,
      evaluator: new FakeEvaluator(),
      task,
      constraints: { maxParams: 5000, maxLatencyMs: 1e6 },
      latencyMs: latencyPredictor(table, task),
    });
    r.history.forEach((s) => {
      expect(s.params).to.be.at.most(5000);
      expect(s.latencyMs).to.be.a('number').and.above(0);
    });
    expect(table.layers.length).to.be.above(0);
  });

  it('rejects a budget of 0, an empty space and unsatisfiable constraints with ConfigError', async () => {
    const ev = new FakeEvaluator();
    const fail = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a rejection');
    };
    const e0 = await fail(randomSearch(space, { budget: 0, seed: 1, evaluator: ev, task }));
    expect(e0).to.be.instanceOf(ConfigError);
    expect(e0.message).to.match(/budget a positive integer/);
    expect(
      await fail(agingEvolution({ ...space, depths: [] }, { budget: 3, seed: 1, evaluator: ev, task })),
    ).to.be.instanceOf(ConfigError);
    const e2 = await fail(
      randomSearch(space, { budget: 3, seed: 1, evaluator: ev, task, constraints: { maxParams: 10 }, maxTries: 20 }),
    );
    expect(e2).to.be.instanceOf(ConfigError);
    expect(e2.message).to.match(/meet the constraints/);
    expect(
      await fail(randomSearch(space, { budget: 3, seed: 1, evaluator: ev, task, constraints: { maxLatencyMs: 1 } })),
    ).to.be.instanceOf(ConfigError);
    expect(
      await fail(agingEvolution(space, { budget: 3, seed: 1, evaluator: ev, task, population: 2, sampleSize: 3 })),
    ).to.be.instanceOf(ConfigError);
    expect(await fail(randomSearch(space, { budget: 3, seed: 1, evaluator: ev, task, roundSize: 0 }))).to.be.instanceOf(
      ConfigError,
    );
    expect(
      await fail(
        randomSearch(space, { budget: 3, seed: 1, evaluator: ev, task: { inputShape: [30, 30, 1], classes: 10 } }),
      ),
    ).to.be.instanceOf(ConfigError);
  });

  it('times genotypes against a reference in paired rounds: scaled to referenceMs, memoized, no leaks, typed errors', async () => {
    const big = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 1024 }),
        tf.layers.dense({ units: 1024 }),
        tf.layers.dense({ units: 10 }),
      ],
    });
    const before = tf.memory().numTensors;
    const lat = pairedLatency(task, big, { referenceMs: 100, batchSize: 32, rounds: 3 });
    const tiny: Genotype = { kind: 'mlp', resolution: 28, widths: [8], activation: 'relu' };
    const ms = await lat(tiny);
    // 784x8 against 784x1024 + 1024x1024: far under the reference's 100 "ms"
    expect(ms).to.be.greaterThan(0).and.lessThan(100);
    expect(await lat(tiny)).to.equal(ms); // decided once per genotype
    expect(tf.memory().numTensors).to.equal(before);
    expect(() => pairedLatency(task, big, { referenceMs: 0 })).to.throw(ConfigError, /referenceMs/);
    expect(() => pairedLatency(task, big, { referenceMs: 1, rounds: 0 })).to.throw(ConfigError, /rounds/);
    big.dispose();
  });

  it('predicts latency as the sum of per-layer entries, sharing equal layers', async () => {
    const table = new LatencyTable({ batchSize: 4, runs: 3, warmupRuns: 1 });
    const m = buildModel({ kind: 'mlp', resolution: 28, widths: [16, 16, 16], activation: 'relu' }, { seed: 1, task });
    const before = tf.memory().numTensors;
    const ms = await table.predict(m);
    expect(tf.memory().numTensors).to.equal(before);
    // flatten, fc1 784->16, fc2 and fc3 16->16 (one entry), fc4 16->10
    expect(table.layers).to.have.length(4);
    const o = await table.overheadMs();
    const sum = table.layers.reduce(
      (s, l) => s + Math.max(0, l.ms - o) * (l.inputShape[0] === 16 && l.key.includes('"units":16') ? 2 : 1),
      o,
    );
    expect(ms).to.be.closeTo(sum, 1e-9);
    const copy = LatencyTable.fromJSON(JSON.parse(JSON.stringify(table)));
    expect(await copy.predict(m)).to.equal(ms); // read from the table, not re-measured
    m.dispose();
  });
});

describe('nas/proxy on any data (in-process)', function () {
  this.timeout(120000);
  const recipe: ProxyRecipe = { epochs: 2, batchSize: 64, learningRate: 2e-3, seed: 0 };
  let saved: string | undefined;
  let tmp = '';
  before(() => {
    saved = process.env.TFJS_COMPRESS_CACHE;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nas-test-'));
    process.env.TFJS_COMPRESS_CACHE = tmp;
  });
  after(() => {
    if (saved === undefined) delete process.env.TFJS_COMPRESS_CACHE;
    else process.env.TFJS_COMPRESS_CACHE = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("trains a candidate on the caller's MNIST split deterministically, caches it, and does not leak", async () => {
    const mnist = loadMnist();
    const data = {
      task: taskOf(mnist.train),
      train: sliceImageSet(mnist.train, 0, 1024),
      validation: sliceImageSet(mnist.train, 59488),
    };
    const g: Genotype = { kind: 'mlp', resolution: 14, widths: [8], activation: 'tanh' };
    const before = tf.memory().numTensors;
    const a = await proxyEvaluate(g, data, recipe);
    expect(tf.memory().numTensors).to.equal(before);
    expect(a.fromCache).to.equal(false);
    expect(a.params).to.equal(56 * 14 + 196 * 8 + 8 + 8 * 10 + 10);
    expect(a.accuracy).to.be.above(0.3); // 32 steps: far above chance (0.1)
    const b = await proxyEvaluate(g, data, recipe);
    expect(b.fromCache).to.equal(true);
    expect(b.accuracy).to.equal(a.accuracy);
    // Other training data is another candidate: not read from the cache.
    const c = await proxyEvaluate(g, { ...data, train: sliceImageSet(mnist.train, 1024, 2048) }, recipe);
    expect(c.fromCache).to.equal(false);
  });

  it('searches RGB images of another size and class count, from tensors and from a tf.data.Dataset', async () => {
    // 3 classes of 12x8 RGB images: the class is the brightest channel.
    const n = 192;
    const xs = tf.tidy(() => tf.randomUniform([n, 12, 8, 3], 0, 1, 'float32', 5));
    const ys = tf.tidy(() => tf.argMax(tf.mean(xs, [1, 2]), 1));
    const rgb: NasTask = { inputShape: [12, 8, 3], classes: 3 };
    const rgbSpace: MlpSpace = {
      kind: 'mlp',
      resolutions: [12, 6],
      depths: [1],
      widths: [8, 16],
      activations: ['relu'],
    };
    const local = new LocalEvaluator(
      { task: rgb, train: { xs, ys }, validation: { xs, ys } },
      { ...recipe, epochs: 3, batchSize: 32 },
    );
    const r = await randomSearch(rgbSpace, { budget: 2, seed: 1, evaluator: local, task: rgb });
    expect(r.history).to.have.length(2);
    r.history.forEach((h) => expect(h.accuracy).to.be.within(0, 1));
    const ds = tf.data.zip({ xs: tf.data.array(tf.unstack(xs)), ys: tf.data.array(tf.unstack(ys)) }).batch(32);
    const fromDataset = await proxyEvaluate(
      r.best.genotype,
      { task: rgb, train: ds as unknown as tf.data.Dataset<tf.TensorContainer>, validation: { xs, ys } },
      { ...recipe, epochs: 1 },
    );
    expect(fromDataset.fromCache).to.equal(false); // a dataset has no fingerprint: not cached
    expect(
      () => new LocalEvaluator({ task: rgb, train: { xs, ys }, validation: { xs, ys } }, { ...recipe, epochs: 0 }),
    ).to.throw(ConfigError, /epochs a positive integer/);
    tf.dispose([xs, ys]);
    await local.close();
  });
});
