import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { deepCompress } from '../../course/deep-compression';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { Rng } from '../../lib/core/rng';
import { layerEntry } from '../../lib/core/layers';
import { expectNoLeak } from '../helpers/leak';

describe('course/deep compression', () => {
  it('keeps zeros exact, decodes shared weights within the cluster spread, and counts real bytes', async () => {
    const model = simpleNet({ seed: 1, hidden: [40], inputSize: 64, numClasses: 10 });
    // Prune 80% of fc1 by hand so gaps overflow 2^indexBits (16 at 4 bits) now and then.
    const [k, b] = model.getLayer('fc1').getWeights() as [tf.Tensor, tf.Tensor];
    const kv = k.dataSync().slice();
    const rng = new Rng(2);
    for (let i = 0; i < kv.length; i++) if (rng.next() < 0.8) kv[i] = 0;
    const pk = tf.tensor(kv, k.shape);
    model.getLayer('fc1').setWeights([pk, b]);
    pk.dispose();
    const { model: out, report } = await deepCompress(model, { bits: 4, indexBits: 4 });
    const { layers } = report;
    const dk = out.getLayer('fc1').getWeights()[0]?.dataSync() as Float32Array;
    let maxErr = 0;
    for (let i = 0; i < kv.length; i++) {
      if (kv[i] === 0) expect(dk[i]).to.equal(0);
      else {
        expect(dk[i]).to.not.equal(0);
        maxErr = Math.max(maxErr, Math.abs((dk[i] as number) - (kv[i] as number)));
      }
    }
    const range = Math.max(...Array.from(kv)) - Math.min(...Array.from(kv));
    expect(maxErr).to.be.below(range / 15 + 1e-6);
    const l = layers[0]!;
    expect(l.entries).to.be.greaterThan(l.nonzeros); // padding entries for gaps > 16
    expect(l.nonzeros).to.equal(kv.filter((v) => v !== 0).length);
    expect(new Set(Array.from(dk).filter((v) => v !== 0)).size).to.be.at.most(15); // 2^4 - 1: code 0 is the zero
    expect(report.denseBytes).to.equal((64 * 40 + 40 + 40 * 10 + 10) * 4);
    expect(report.compressedBytes).to.equal(layers.reduce((a, x) => a + x.bytes, 0));
    expect(report.compressionRatio).to.be.greaterThan(1);
    out.dispose();
    await expectNoLeak(async () => (await deepCompress(model, { bits: 3 })).model);
    let err: unknown;
    try {
      await deepCompress(model, { bits: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    err = undefined;
    try {
      await deepCompress(model, { indexBits: 5 as 4 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    model.dispose();
    // Every layer with a kernel, convolutions too (quantize.deepCompress reads the layer registry).
    const conv = cnn({ seed: 1 });
    const dcConv = await deepCompress(conv);
    expect(dcConv.report.layers.map((x) => x.name)).to.deep.equal(
      conv.layers.filter((x) => layerEntry(x.getClassName())?.kernel).map((x) => x.name),
    );
    expect(dcConv.report.layers.length).to.be.above(1);
    dcConv.model.dispose();
    conv.dispose();
  });

  it('stores an all-zero kernel in a few header bytes, and decodes it to zeros', async () => {
    const model = simpleNet({ seed: 3, hidden: [8], inputSize: 16, numClasses: 4 });
    const [k, b] = model.getLayer('fc1').getWeights() as [tf.Tensor, tf.Tensor];
    const zeros = tf.zerosLike(k);
    model.getLayer('fc1').setWeights([zeros, b]);
    zeros.dispose();
    const { model: out, report } = await deepCompress(model, { bits: 3 });
    const fc1 = report.layers.find((l) => l.name === 'fc1')!;
    expect(fc1.entries).to.equal(0);
    expect(Array.from(out.getLayer('fc1').getWeights()[0]!.dataSync())).to.deep.equal(new Array(16 * 8).fill(0));
    out.dispose();
    model.dispose();
  });
});
