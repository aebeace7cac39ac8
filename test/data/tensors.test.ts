import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { batches, toTensors } from '../../lib/data/tensors';
import { ConfigError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';

const ds = { name: 't', images: Uint8Array.from([0, 255, 51, 102, 255, 0, 0, 0, 10, 20, 30, 40]), labels: Uint8Array.from([2, 0, 1]), count: 3, height: 2, width: 2, classNames: ['a', 'b', 'c'] };

describe('data/tensors', () => {
  it('toTensors scales pixels to [0, 1] and one-hot encodes labels', () => {
    const b = toTensors(ds, { end: 2 });
    expect(b.x.shape).to.deep.equal([2, 4]);
    expect(Array.from(b.x.dataSync()).map((v) => Math.round(v * 100) / 100)).to.deep.equal([0, 1, 0.2, 0.4, 1, 0, 0, 0]);
    expect(b.y.arraySync()).to.deep.equal([[0, 0, 1], [1, 0, 0]]);
    tf.dispose([b.x, b.y]);
  });

  it('image layout is NHWC with one channel; mean/std normalization applies', () => {
    const b = toTensors(ds, { layout: 'image', mean: 0.5, std: 0.5 });
    expect(b.x.shape).to.deep.equal([3, 2, 2, 1]);
    expect(b.x.dataSync()[1]).to.be.closeTo(1, 1e-6);
    expect(b.x.dataSync()[0]).to.be.closeTo(-1, 1e-6);
    tf.dispose([b.x, b.y]);
  });

  it('batches covers every example once per epoch, in a seeded order, and disposes as it goes', async () => {
    await expectNoLeak(() => {
      const seen: number[] = [];
      for (const b of batches(ds, { batchSize: 2, seed: 5 })) seen.push(...b.labels);
      expect(seen.slice().sort()).to.deep.equal([0, 1, 2]);
      const again: number[] = [];
      for (const b of batches(ds, { batchSize: 2, seed: 5 })) again.push(...b.labels);
      expect(again).to.deep.equal(seen);
    });
  });

  it('breaking out of the loop disposes the current batch', async () => {
    await expectNoLeak(() => {
      for (const b of batches(ds, { batchSize: 1 })) { expect(b.x.shape[0]).to.equal(1); break; }
    });
  });

  it('dropRemainder drops the short last batch', () => {
    const sizes: number[] = [];
    for (const b of batches(ds, { batchSize: 2, dropRemainder: true })) sizes.push(b.labels.length);
    expect(sizes).to.deep.equal([2]);
  });

  it('bad options are ConfigErrors with a fix', () => {
    expect(() => [...batches(ds, { batchSize: 0 })]).to.throw(ConfigError, /batchSize a positive integer, got 0/);
    expect(() => toTensors(ds, { layout: 'nchw' as never })).to.throw(ConfigError, /layout 'flat' or 'image'/);
    expect(() => toTensors(ds, { start: 2, end: 2 })).to.throw(ConfigError, /non-empty range/);
    expect(() => toTensors(ds, { std: 0 })).to.throw(ConfigError, /std > 0/);
  });
});
