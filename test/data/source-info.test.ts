// What lib/data answers about any DataSource so that callers need not tell its kinds apart: input
// shape, fingerprint, subsets, labels, indexed examples, and crossing to worker threads.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { makeImageSet } from '../../lib/data/image-set';
import {
  indexedExamples,
  selectSource,
  sourceFingerprint,
  sourceInputShape,
  sourceLabelled,
} from '../../lib/data/source-info';
import { crossesAsIs, shipSource, unshipSource } from '../../lib/data/shipped';
import { resolvePreprocessing } from '../../lib/data/preprocess';
import { ConfigError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';

const set = (seed: number, labelled = true) =>
  makeImageSet(
    `set${seed}`,
    Uint8Array.from({ length: 5 * 12 }, (_, i) => (i * 7 + seed) % 256),
    Uint8Array.from([0, 1, 2, 0, 1]),
    { height: 2, width: 2, channels: 3 },
    ['a', 'b', 'c'],
    labelled ? {} : { labelled: false },
  );

describe('data/source-info and data/shipped (questions asked of any source)', () => {
  it('input shape, labels and indexed examples of an ImageSet, tensors and a tf.data dataset', () => {
    const xs = tf.zeros([5, 4, 3]);
    const ys = tf.tensor1d([0, 1, 2, 0, 1], 'int32');
    const ds = tf.data.array([{ xs: tf.zeros([4, 3]) }]) as tf.data.Dataset<tf.TensorContainer>;
    expect(sourceInputShape(set(1))).to.deep.equal([2, 2, 3]);
    expect(sourceInputShape({ xs })).to.deep.equal([4, 3]);
    expect(sourceInputShape(ds)).to.equal(undefined);
    expect([sourceLabelled(set(1)), sourceLabelled(set(1, false))]).to.deep.equal([true, false]);
    expect([sourceLabelled({ xs, ys }), sourceLabelled({ xs }), sourceLabelled(ds)]).to.deep.equal([
      true,
      false,
      undefined,
    ]);
    const s = set(1);
    expect(indexedExamples(s)).to.equal(s);
    expect([indexedExamples({ xs, ys }), indexedExamples(ds)]).to.deep.equal([undefined, undefined]);
    tf.dispose([xs, ys]);
  });

  it('sourceFingerprint: equal for equal content, different for other pixels, labels, shapes or preprocessing; none for tf.data', () => {
    const [a, b] = [set(1), set(1)];
    expect(sourceFingerprint(a)).to.be.a('string').and.equal(sourceFingerprint(b));
    expect(sourceFingerprint(set(2))).to.not.equal(sourceFingerprint(a));
    const shape = { height: 2, width: 2, channels: 3 };
    const relabelled = makeImageSet('r', a.images, Uint8Array.from([1, 1, 2, 0, 1]), shape, ['a', 'b', 'c']);
    expect(sourceFingerprint(relabelled)).to.not.equal(sourceFingerprint(a));
    const withPre = makeImageSet('p', a.images, a.labels, shape, ['a', 'b', 'c'], {
      preprocessing: resolvePreprocessing({ preset: 'mobilenet' }, 'test'),
    });
    expect(sourceFingerprint(withPre)).to.not.equal(sourceFingerprint(a));
    const x1 = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const x2 = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(sourceFingerprint({ xs: x1 })).to.not.equal(sourceFingerprint({ xs: x2 }));
    expect(sourceFingerprint({ xs: x1 })).to.equal(sourceFingerprint({ xs: x1.clone() }));
    expect(sourceFingerprint(tf.data.array([1]) as never)).to.equal(undefined);
    tf.dispose([x1, x2]);
  });

  it('selectSource: the chosen examples in order, copied from an ImageSet, gathered from tensors (freed by dispose)', async () => {
    const s = set(3);
    const picked = selectSource(s, Int32Array.from([4, 0]), 'part');
    const ps = picked.source as ReturnType<typeof set>;
    expect(ps.name).to.equal('set3 (part)');
    expect(Array.from(ps.labels)).to.deep.equal([1, 0]);
    expect(Array.from(ps.images.subarray(0, 12))).to.deep.equal(Array.from(s.images.subarray(48, 60)));
    const xs = tf.tensor2d([0, 1, 2, 3, 4, 5], [3, 2]);
    const ys = tf.tensor1d([7, 8, 9]);
    await expectNoLeak(() => {
      const t = selectSource({ xs, ys }, Int32Array.from([2, 0]), 'part');
      const out = t.source as { xs: tf.Tensor; ys: tf.Tensor };
      expect(out.xs.arraySync()).to.deep.equal([
        [4, 5],
        [0, 1],
      ]);
      expect(out.ys.arraySync()).to.deep.equal([9, 7]);
      t.dispose();
    });
    tf.dispose([xs, ys]);
  });

  it('shipSource/unshipSource: an ImageSet crosses as it is, tensors as their values (dtype kept), tf.data not at all', async () => {
    const s = set(4);
    expect(crossesAsIs(s)).to.equal(true);
    const shippedSet = await shipSource(s);
    expect(unshipSource(shippedSet as never, 'f').source).to.equal(s);
    const xs = tf.tensor2d([1.5, 2, 3, 4], [2, 2]);
    const ys = tf.tensor1d([1, 0], 'int32');
    expect(crossesAsIs({ xs, ys })).to.equal(false);
    const shipped = await shipSource({ xs, ys });
    // Plain data only: what structuredClone (worker threads) and the queue's encoding carry.
    const copy = structuredClone(shipped) as NonNullable<typeof shipped>;
    await expectNoLeak(() => {
      const back = unshipSource(copy, 'f');
      const t = back.source as { xs: tf.Tensor; ys: tf.Tensor };
      expect([t.xs.dtype, t.ys.dtype]).to.deep.equal(['float32', 'int32']);
      expect(t.xs.arraySync()).to.deep.equal(xs.arraySync());
      expect(t.ys.arraySync()).to.deep.equal([1, 0]);
      back.dispose();
    });
    expect(await shipSource(tf.data.array([1]) as never)).to.equal(undefined);
    expect(() => unshipSource({ xs: { values: [1], dtype: 'float32', shape: [1] } } as never, 'auto.probe')).to.throw(
      ConfigError,
      /^auto\.probe: tensor values/,
    );
    tf.dispose([xs, ys]);
  });
});
