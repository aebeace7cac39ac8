import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { layerTimes, prunedAndTuned, pruningSpeedups, sparsityForMacs } from '../../course/channel-speed';
import { cnn } from '../../course/models/cnn';
import { channels } from '../../lib/prune/channels';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { ConfigError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';

// The course CNN (8 and 16 filters) is narrower than one tile of the default rounding: roundTo 1.
describe('course/channel-speed', () => {
  it('sparsityForMacs picks the candidate whose MACs are closest to the target', async () => {
    const model = cnn({ seed: 1 });
    const { best, candidates } = await sparsityForMacs(model, 0.5, [0.2, 0.35, 0.5], { roundTo: 1 });
    expect(candidates.map((c) => c.convChannels)).to.deep.equal([
      [6, 13],
      [5, 10],
      [4, 8],
    ]);
    const distance = (c: { macsRatio: number }) => Math.abs(c.macsRatio - 0.5);
    expect(candidates.every((c) => distance(best) <= distance(c))).to.equal(true);
    expect(best.sparsity).to.equal(0.35);
    let err: unknown;
    try {
      await sparsityForMacs(model, 0, [0.5]);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    model.dispose();
  });

  it('pruningSpeedups times original and pruned on three runtimes in the same rounds, and leaks nothing', async () => {
    const model = cnn({ seed: 1 });
    const { model: pruned } = await channels(model, { sparsity: 0.5, roundTo: 1 });
    let s: Awaited<ReturnType<typeof pruningSpeedups>> | undefined;
    await expectNoLeak(async () => {
      s = await pruningSpeedups(model, pruned, { batchSizes: [8], rounds: 3, runs: 2, minTimeMs: 0 });
    });
    for (const runtime of ['tfjsWasm', 'tfjsWasmInferenceForm', 'ort'] as const) {
      const f = s?.[runtime].batch8;
      expect(f?.roundSpeedups, runtime).to.have.length(3);
      expect(f?.speedup, runtime).to.be.greaterThan(0);
      expect(f?.speedup).to.equal([...(f?.roundSpeedups ?? [])].sort((a, b) => a - b)[1]);
    }
    model.dispose();
    pruned.dispose();
  });

  it('layerTimes gives every layer of each model and its time relative to the first model', async () => {
    const model = cnn({ seed: 1 });
    const { model: pruned } = await channels(model, { sparsity: 0.5, roundTo: 1 });
    const t = await layerTimes([model, pruned], { batchSize: 4, rounds: 3 });
    expect(Object.keys(t.ms[0] ?? {})).to.deep.equal(model.layers.map((l) => l.name));
    expect(Object.values(t.ratioToFirst[0] ?? {}).every((r) => r === 1)).to.equal(true);
    expect(Object.keys(t.ratioToFirst[1] ?? {})).to.deep.equal(model.layers.map((l) => l.name));
    model.dispose();
    pruned.dispose();
  });

  it('prunedAndTuned fine-tunes once and reads the cache afterwards', async () => {
    const previous = process.env.TFJS_COMPRESS_CACHE;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-cache-'));
    process.env.TFJS_COMPRESS_CACHE = dir;
    try {
      const { train, test } = loadMnist();
      const model = cnn({ seed: 1 });
      const options = {
        prune: { sparsity: 0.5, roundTo: 1 },
        train: sliceImageSet(train, 0, 256),
        test: sliceImageSet(test, 0, 200),
        epochs: 1,
        baseKey: 'untrained cnn seed 1',
        label: 'test-tuned',
      };
      const first = await prunedAndTuned(model, options);
      const second = await prunedAndTuned(model, options);
      expect([first.fromCache, second.fromCache]).to.deep.equal([false, true]);
      expect(second.meta).to.deep.equal(first.meta);
      expect((second.model.getLayer('conv2').getConfig() as { filters: number }).filters).to.equal(8);
      const x = tf.randomUniform([2, 28, 28, 1]);
      expect(
        tf.tidy(
          () =>
            tf
              .max(tf.abs(tf.sub(first.model.predict(x) as tf.Tensor, second.model.predict(x) as tf.Tensor)))
              .dataSync()[0],
        ),
      ).to.be.lessThan(1e-6);
      tf.dispose([x]);
      [model, first.model, second.model].forEach((m) => m.dispose());
    } finally {
      if (previous === undefined) delete process.env.TFJS_COMPRESS_CACHE;
      else process.env.TFJS_COMPRESS_CACHE = previous;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
