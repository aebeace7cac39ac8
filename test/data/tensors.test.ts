import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { batches, toTensors } from '../../lib/data/tensors';
import { makeImageSet } from '../../lib/data/image-set';
import { resizeImageSet } from '../../lib/data/resize';
import { ConfigError, DataError, ShapeError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';

const ds = makeImageSet(
  't',
  Uint8Array.from([0, 255, 51, 102, 255, 0, 0, 0, 10, 20, 30, 40]),
  Uint8Array.from([2, 0, 1]),
  { height: 2, width: 2 },
  ['a', 'b', 'c'],
);

describe('data/tensors', () => {
  it('toTensors scales pixels to [0, 1] and one-hot encodes labels, in the input shape asked for', () => {
    const b = toTensors(ds, { end: 2, inputShape: [4] });
    expect(b.xs.shape).to.deep.equal([2, 4]);
    expect(Array.from(b.xs.dataSync()).map((v) => Math.round(v * 100) / 100)).to.deep.equal([
      0, 1, 0.2, 0.4, 1, 0, 0, 0,
    ]);
    expect(b.ys.arraySync()).to.deep.equal([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    tf.dispose([b.xs, b.ys]);
  });

  it('the default shape is NHWC with the set channels; a preprocessing (here [-1, 1]) applies', () => {
    const b = toTensors(ds, { preprocessing: { mean: 0.5, std: 0.5 } });
    expect(b.xs.shape).to.deep.equal([3, 2, 2, 1]);
    expect(b.xs.dataSync()[1]).to.be.closeTo(1, 1e-6);
    expect(b.xs.dataSync()[0]).to.be.closeTo(-1, 1e-6);
    tf.dispose([b.xs, b.ys]);
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
      for (const b of batches(ds, { batchSize: 1 })) {
        expect(b.xs.shape[0]).to.equal(1);
        break;
      }
    });
  });

  it('dropRemainder drops the short last batch; limit keeps the first examples', () => {
    const sizes: number[] = [];
    for (const b of batches(ds, { batchSize: 2, dropRemainder: true })) sizes.push(b.labels.length);
    expect(sizes).to.deep.equal([2]);
    const labels: number[] = [];
    for (const b of batches(ds, { batchSize: 5, limit: 2 })) labels.push(...b.labels);
    expect(labels).to.deep.equal([2, 0]);
  });

  it('bad options are typed errors with a fix', () => {
    expect(() => [...batches(ds, { batchSize: 0 })]).to.throw(ConfigError, /batchSize a positive integer, got 0/);
    expect(() => toTensors(ds, { inputShape: [3, 3, 1] })).to.throw(
      ShapeError,
      /a model input of 4 values .* got input shape \[3, 3, 1\]\. Resize/,
    );
    expect(() => toTensors(ds, { start: 2, end: 2 })).to.throw(ConfigError, /non-empty range/);
    expect(() => toTensors(ds, { preprocessing: { std: 0 } })).to.throw(
      ConfigError,
      /std as one number or three.*at least 0.000001 in size/,
    );
    expect(() => makeImageSet('bad', new Uint8Array(5), new Uint8Array(1), { height: 2, width: 2 }, ['a'])).to.throw(
      DataError,
      /1 images of 2x2x1 values/,
    );
  });

  it('resizeImageSet makes RGB images of another size, each channel a copy of the grey one', () => {
    const rgb = resizeImageSet(ds, { height: 4, width: 4, channels: 3 });
    expect([rgb.height, rgb.width, rgb.channels, rgb.count]).to.deep.equal([4, 4, 3, 3]);
    expect(rgb.images.length).to.equal(3 * 4 * 4 * 3);
    // A constant image stays constant; channels are equal.
    const flat = resizeImageSet(
      makeImageSet('c', new Uint8Array(4).fill(77), Uint8Array.of(0), { height: 2, width: 2 }, ['a']),
      { height: 3, width: 5, channels: 3 },
    );
    expect(new Set(flat.images)).to.deep.equal(new Set([77]));
    for (let i = 0; i < rgb.images.length; i += 3)
      expect([rgb.images[i + 1], rgb.images[i + 2]]).to.deep.equal([rgb.images[i], rgb.images[i]]);
    expect(() => resizeImageSet(ds, { height: 0, width: 4 })).to.throw(ConfigError, /height an integer in \[1, 4096\]/);
  });
});
