import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { batchesOf, sourceCount, toTargets } from '../../lib/data/source';
import { makeImageSet } from '../../lib/data/image-set';
import { ConfigError, DataError, ShapeError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';

async function collect(source: Parameters<typeof batchesOf>[0], options: Parameters<typeof batchesOf>[1]) {
  const out: { xs: number[][]; ys?: number[][]; size: number }[] = [];
  for await (const b of batchesOf(source, options)) {
    const flat = b.xs.reshape([b.size, -1]);
    out.push({
      xs: flat.arraySync() as number[][],
      ...(b.ys ? { ys: b.ys.arraySync() as number[][] } : {}),
      size: b.size,
    });
    flat.dispose();
  }
  return out;
}

describe('data/source (the data contract)', () => {
  let xs: tf.Tensor;
  let labels: tf.Tensor;
  before(() => {
    xs = tf.tensor2d([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
    labels = tf.tensor1d([0, 1, 2, 1, 0], 'int32');
  });
  after(() => tf.dispose([xs, labels]));

  it('tensors: batched in order, integer labels one-hot, the last batch short; leaves the inputs alone', async () => {
    await expectNoLeak(async () => {
      const got = await collect({ xs, ys: labels }, { batchSize: 2, classes: 3, inputShape: [2] });
      expect(got.map((b) => b.size)).to.deep.equal([2, 2, 1]);
      expect(got[0]?.xs).to.deep.equal([
        [0, 0],
        [1, 1],
      ]);
      expect(got[2]?.ys).to.deep.equal([[1, 0, 0]]);
    });
    expect(xs.isDisposed).to.equal(false);
  });

  it('tensors: a seed shuffles reproducibly and covers every example once; limit keeps the first ones', async () => {
    const a = (await collect({ xs }, { batchSize: 2, seed: 4 })).flatMap((b) => b.xs.map((r) => r[0]));
    const b = (await collect({ xs }, { batchSize: 2, seed: 4 })).flatMap((b) => b.xs.map((r) => r[0]));
    expect(a).to.deep.equal(b);
    expect([...a].sort()).to.deep.equal([0, 1, 2, 3, 4]);
    expect((await collect({ xs }, { batchSize: 10, limit: 2 }))[0]?.xs).to.deep.equal([
      [0, 0],
      [1, 1],
    ]);
  });

  it('a batched tf.data.Dataset of {xs, ys} is read as model.fitDataset reads it, and disposed as it goes', async () => {
    const ds = tf.data
      .array([0, 1, 2, 3, 4])
      .map((i) => ({ xs: tf.fill([2], i as number), ys: tf.scalar((i as number) % 3, 'int32') }))
      .batch(2);
    await expectNoLeak(async () => {
      const got = await collect(ds, { classes: 3, inputShape: [2] });
      expect(got.map((b) => b.size)).to.deep.equal([2, 2, 1]);
      expect(got[1]?.xs).to.deep.equal([
        [2, 2],
        [3, 3],
      ]);
      expect(got[1]?.ys).to.deep.equal([
        [0, 0, 1],
        [1, 0, 0],
      ]);
    });
  });

  it('an unbatched tf.data.Dataset (element rank = input rank) is batched here; [xs, ys] elements work', async () => {
    const ds = tf.data.array([0, 1, 2]).map((i) => [tf.fill([2], i as number), tf.tensor1d([1, 0])] as tf.Tensor[]);
    await expectNoLeak(async () => {
      const got = await collect(ds as unknown as tf.data.Dataset<tf.TensorContainer>, {
        batchSize: 2,
        inputShape: [2],
      });
      expect(got.map((b) => b.size)).to.deep.equal([2, 1]);
      expect(got[0]?.ys).to.deep.equal([
        [1, 0],
        [1, 0],
      ]);
    });
  });

  it('an ImageSet is an adapter onto the same batches, shaped to the model input', async () => {
    const set = makeImageSet(
      's',
      Uint8Array.from({ length: 3 * 12 }, (_, i) => i),
      Uint8Array.of(0, 1, 1),
      { height: 2, width: 2, channels: 3 },
      ['a', 'b'],
    );
    const got: number[][] = [];
    for await (const b of batchesOf(set, { batchSize: 2, inputShape: [2, 2, 3], classes: 2 })) got.push(b.xs.shape);
    expect(got).to.deep.equal([
      [2, 2, 2, 3],
      [1, 2, 2, 3],
    ]);
    expect(sourceCount(set)).to.equal(3);
  });

  it('wrong input shapes are ShapeErrors before anything runs, naming both shapes, and leak nothing', async () => {
    const small = tf.zeros([4, 8, 8, 3]);
    await expectNoLeak(async () => {
      let err: unknown;
      try {
        for await (const _ of batchesOf({ xs: small }, { inputShape: [32, 32, 3], caller: 'quantize.postTraining' }))
          break;
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ShapeError);
      expect((err as Error).message).to.match(
        /quantize.postTraining: inputs of shape \[n, 32, 32, 3\] .* got \[4, 8, 8, 3\]/,
      );
      const set = makeImageSet('s', new Uint8Array(8), Uint8Array.of(0, 0), { height: 2, width: 2 }, ['a']);
      err = undefined;
      try {
        for await (const _ of batchesOf(set, { inputShape: [3, 3, 1] })) break;
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ShapeError);
      const ds = tf.data.array([0]).map(() => ({ xs: tf.zeros([1, 5]), ys: tf.zeros([1, 2]) }));
      err = undefined;
      try {
        for await (const _ of batchesOf(ds, { inputShape: [4] })) break;
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ShapeError);
    });
    small.dispose();
  });

  it('anything else is a ConfigError or DataError saying what to pass', async () => {
    const run = async (source: unknown) => {
      try {
        for await (const _ of batchesOf(source as never)) break;
      } catch (e) {
        return e as Error;
      }
      return undefined;
    };
    expect(await run([1, 2, 3]))
      .to.be.instanceOf(ConfigError)
      .and.have.property('message')
      .match(/tf.data.Dataset of \{xs, ys\}, tensors \{xs, ys\} or an ImageSet/);
    const y = tf.zeros([3]);
    expect(await run({ xs, ys: y })).to.be.instanceOf(ShapeError);
    y.dispose();
    expect(await run(tf.data.array([1, 2])))
      .to.be.instanceOf(DataError)
      .and.have.property('message')
      .match(/elements \{xs, ys\}/);
  });

  it('toTargets: labels to one-hot, one-hot kept, a single sigmoid target kept', () => {
    const t = toTargets(tf.tensor1d([2, 0], 'int32'), 3);
    expect(t.arraySync()).to.deep.equal([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const k = toTargets(tf.tensor2d([[0.5], [1]]), 1);
    expect(k.arraySync()).to.deep.equal([[0.5], [1]]);
    tf.dispose([t, k]);
  });
});
