import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { weightSharing } from '../../lib/quantize/weight-sharing';
import { kmeansCluster, decodeShared } from '../../lib/quantize/kmeans';
import { huffmanEncode, huffmanDecode, huffmanLengths } from '../../lib/quantize/huffman';
import { evaluate } from '../../lib/train/evaluate';
import { ConfigError, DataError } from '../../lib/errors';
import { Rng } from '../../lib/core/rng';
import { sliceImageSet } from '../../lib/data/image-set';
import { expectNoLeak } from '../helpers/leak';
import { kernelLayers, layerEntry } from '../../lib/core/layers';
import { simpleNet } from '../../course/models/simplenet';
import { smallMnist, tinyMlp } from './fixtures';

describe('quantize/weight sharing and Huffman', () => {
  it('k-means on two clear clusters finds their means', () => {
    const s = kmeansCluster(new Float32Array([0, 0.1, 1, 1.1]), [4], { bits: 1, seed: 1 });
    expect(Array.from(s.codebook)).to.deep.equal([Math.fround(0.05), Math.fround(1.05)]);
    expect(Array.from(s.indices)).to.deep.equal([0, 0, 1, 1]);
    expect(Array.from(decodeShared(s))).to.deep.equal([0.05, 0.05, 1.05, 1.05].map(Math.fround));
  });

  it('is deterministic for a seed and more clusters mean less error', () => {
    const rng = new Rng(1);
    const v = Float32Array.from({ length: 2000 }, () => rng.normal());
    const a = kmeansCluster(v, [2000], { bits: 3, seed: 5, init: 'random' });
    const b = kmeansCluster(v, [2000], { bits: 3, seed: 5, init: 'random' });
    expect(Array.from(a.codebook)).to.deep.equal(Array.from(b.codebook));
    const err = (bits: number) => {
      const d = decodeShared(kmeansCluster(v, [2000], { bits, seed: 1 }));
      return v.reduce((s, x, i) => s + (x - (d[i] as number)) ** 2, 0);
    };
    expect(err(2)).to.be.above(err(4));
    expect(err(4)).to.be.above(err(6));
  });

  it('reserveZero keeps code 0 for the exact zeros and learns 2^bits - 1 centroids for the rest', () => {
    const s = kmeansCluster(new Float32Array([0, 0.1, 0, 1.1, 0.6, 0]), [6], { bits: 2, seed: 1, reserveZero: true });
    expect(Array.from(s.codebook)).to.deep.equal([0, 0.1, 0.6, 1.1].map(Math.fround));
    expect(Array.from(s.indices)).to.deep.equal([0, 1, 0, 3, 2, 0]);
    const rng = new Rng(4);
    const v = Float32Array.from({ length: 3000 }, () => (rng.next() < 0.7 ? 0 : rng.normal()));
    const big = kmeansCluster(v, [3000], { bits: 3, seed: 1, reserveZero: true });
    expect(big.codebook.length).to.equal(8);
    expect(big.codebook[0]).to.equal(0);
    expect(new Set(Array.from(big.codebook.subarray(1))).size).to.equal(7);
    v.forEach((x, i) => expect(big.indices[i] === 0).to.equal(x === 0));
    const none = kmeansCluster(new Float32Array(4), [4], { bits: 3, seed: 1, reserveZero: true });
    expect(Array.from(none.codebook)).to.deep.equal([0]);
    expect(Array.from(decodeShared(none))).to.deep.equal([0, 0, 0, 0]);
  });

  it('Huffman code lengths: a known answer, and the Kraft sum is exactly 1', () => {
    expect(Array.from(huffmanLengths([1, 1, 2, 4, 0]))).to.deep.equal([3, 3, 2, 1, 0]);
    const rng = new Rng(9);
    const freqs = Array.from({ length: 300 }, () => 1 + rng.int(1000));
    const kraft = Array.from(huffmanLengths(freqs)).reduce((a, l) => a + 2 ** -l, 0);
    expect(kraft).to.be.closeTo(1, 1e-12);
  });

  it('Huffman round-trips and codes skewed symbols in fewer bits than fixed width', () => {
    const rng = new Rng(2);
    const symbols = Uint16Array.from({ length: 5000 }, () =>
      Math.min(15, Math.floor(-Math.log(rng.next() + 1e-9) * 2)),
    );
    const enc = huffmanEncode(symbols, 16);
    expect(Array.from(huffmanDecode(enc))).to.deep.equal(Array.from(symbols));
    expect(enc.bitLength).to.be.below(5000 * 4);
    const one = huffmanEncode([3, 3, 3], 4);
    expect(one.bitLength).to.equal(3);
    expect(Array.from(huffmanDecode(one))).to.deep.equal([3, 3, 3]);
    expect(huffmanEncode([0, 0, 0, 1], 2).bitLength).to.equal(4);
    expect(() => huffmanEncode([5], 4)).to.throw(DataError);
    expect(() => huffmanDecode({ ...enc, bitLength: 10 })).to.throw(DataError, /truncated/);
  });

  it('weightSharing clusters every kernel, keeps accuracy at 5 bits, and fine-tuning reports its steps', async () => {
    const mlp = await tinyMlp();
    const { train, test } = smallMnist();
    const fp32 = (await evaluate(mlp, test)).accuracy;
    const { model, report } = await weightSharing(mlp, sliceImageSet(train, 0, 512), {
      bits: 5,
      seed: 1,
      fineTune: { epochs: 1 },
    });
    expect(report.layers.map((l) => [l.layer, l.bits])).to.deep.equal([
      ['fc1', 5],
      ['fc2', 5],
      ['fc3', 5],
    ]);
    const distinct = new Set(model.getLayer('fc1').getWeights()[0]?.dataSync());
    expect(distinct.size).to.be.at.most(32);
    expect((await evaluate(model, test)).accuracy).to.be.above(fp32 - 0.02);
    expect(report.fineTuneSteps).to.equal(4);
    expect(report.huffmanSizeBytes).to.be.below(report.sizeBytes);
    expect(report.sizeBytes / report.floatSizeBytes).to.be.below(0.2);
    model.dispose();
    mlp.dispose();
  });

  it('weightSharing with reserveZero keeps pruned weights exactly zero through fine-tuning', async () => {
    const mlp = await tinyMlp();
    const pruned = simpleNet({ seed: 1, hidden: [64, 32] }); // tinyMlp's architecture, weights set below
    const ws = mlp
      .getWeights()
      .map((w) => tf.tidy(() => (w.rank === 2 ? tf.where(tf.less(tf.abs(w), 0.05), tf.zerosLike(w), w) : w.clone())));
    pruned.setWeights(ws);
    tf.dispose(ws);
    const zerosOf = (m: tf.LayersModel) =>
      m
        .getWeights()
        .filter((w) => w.rank === 2)
        .map((w) => Array.from(w.dataSync()).flatMap((x, i) => (x === 0 ? [i] : [])));
    const before = zerosOf(pruned);
    expect(before.flat().length).to.be.greaterThan(0);
    const { model, report } = await weightSharing(pruned, sliceImageSet(smallMnist().train, 0, 256), {
      bits: 3,
      seed: 1,
      reserveZero: true,
      fineTune: { epochs: 1 },
    });
    expect(zerosOf(model)).to.deep.equal(before);
    expect(report.fineTuneSteps).to.equal(2);
    model.dispose();
    pruned.dispose();
    mlp.dispose();
  });

  it('weightSharing: `layers` overrides bits per layer, `only`/`skip` patterns select layers, fineTune.data is refused', async () => {
    const mlp = simpleNet({ seed: 2, hidden: [16, 8], inputSize: 12, numClasses: 3 });
    const { model, report } = await weightSharing(mlp, {
      bits: 2,
      seed: 1,
      skip: ['fc3'],
      layers: { fc1: { bits: 3 } },
    });
    expect(report.layers.map((l) => [l.layer, l.bits, l.clusters])).to.deep.equal([
      ['fc1', 3, 8],
      ['fc2', 2, 4],
    ]);
    expect(Array.from(model.getLayer('fc3').getWeights()[0]!.dataSync())).to.deep.equal(
      Array.from(mlp.getLayer('fc3').getWeights()[0]!.dataSync()),
    );
    const only = await weightSharing(mlp, { bits: 2, seed: 1, only: ['fc*2'] });
    expect(only.report.layers.map((l) => l.layer)).to.deep.equal(['fc2']);
    await rejectWith(
      weightSharing(mlp, { bits: 2, seed: 1, skip: ['nope*'] }),
      ConfigError,
      /quantize\.weightSharing: skip patterns that match layer names, got "nope\*"/,
    );
    await rejectWith(
      weightSharing(mlp, { bits: 2, seed: 1, fineTune: { epochs: 1, data: {} } } as never),
      ConfigError,
      /quantize\.weightSharing: the data as the second argument/,
    );
    model.dispose();
    only.model.dispose();
    mlp.dispose();
  });

  it("weightSharing clusters every layer with a kernel (the registry's, as deepCompress): Conv2DTranspose too, which has no quantize axis", async () => {
    const i = tf.input({ shape: [6, 6, 3] });
    const layers = [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv' }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }),
      tf.layers.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2, activation: 'relu', name: 'up' }),
      tf.layers.separableConv2d({ filters: 4, kernelSize: 3, name: 'sep' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'fc' }),
    ];
    const o = layers.reduce<tf.SymbolicTensor>((h, l) => l.apply(h) as tf.SymbolicTensor, i);
    const m = tf.model({ inputs: i, outputs: o });
    const xs = tf.randomNormal([16, 6, 6, 3], 0, 1, 'float32', 3);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32'), 3);
    expect(layerEntry('Conv2DTranspose')?.quantizeAxis).to.equal(undefined); // what the old rule picked by
    const kernels = kernelLayers(m).map((k) => k.layer.name);
    expect(kernels).to.deep.equal(['conv', 'dw', 'up', 'fc']);
    const plain = await weightSharing(m, { bits: 2, seed: 1 });
    const tuned = await weightSharing(
      m,
      { xs, ys },
      { bits: 2, seed: 1, fineTune: { epochs: 1, batchSize: 8, learningRate: 0.01 } },
    );
    for (const { model, report } of [plain, tuned]) {
      expect(report.layers.map((l) => [l.layer, l.clusters])).to.deep.equal(kernels.map((n) => [n, 4]));
      for (const n of kernels) {
        const [k, b] = model.getLayer(n).getWeights() as [tf.Tensor, tf.Tensor];
        expect(new Set(k.dataSync()).size, n).to.be.at.most(4);
        expect(Array.from(b.dataSync()), n).to.deep.equal(Array.from(m.getLayer(n).getWeights()[1]!.dataSync()));
      }
      // SeparableConv2D has two kernels (depthwise and pointwise) and no kernel entry: it stays float.
      model
        .getLayer('sep')
        .getWeights()
        .forEach((w, j) =>
          expect(Array.from(w.dataSync())).to.deep.equal(Array.from(m.getLayer('sep').getWeights()[j]!.dataSync())),
        );
    }
    // Fine-tuning ran through the transposed conv's kernel op and moved its centroids.
    expect(tuned.report.fineTuneSteps).to.equal(2);
    const codebook = (model: tf.LayersModel) => [...new Set(model.getLayer('up').getWeights()[0]!.dataSync())].sort();
    expect(codebook(tuned.model)).to.not.deep.equal(codebook(plain.model));
    tf.dispose([xs, ys]);
    plain.model.dispose();
    tuned.model.dispose();
    m.dispose();
  });

  it('rejects bad bits and non-finite weights', () => {
    expect(() => kmeansCluster(new Float32Array([1]), [1], { bits: 0, seed: 1 })).to.throw(ConfigError);
    expect(() => kmeansCluster(new Float32Array([1, NaN]), [2], { bits: 2, seed: 1 })).to.throw(DataError);
  });

  it('leaks no tensors', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 4, name: 'fc1' }),
        tf.layers.dense({ units: 10, name: 'fc2' }),
      ],
    });
    await expectNoLeak(async () => {
      const { model } = await weightSharing(m, sliceImageSet(smallMnist().train, 0, 64), {
        bits: 2,
        seed: 1,
        fineTune: { epochs: 1 },
      });
      return model;
    });
    m.dispose();
  });
});

async function rejectWith(p: Promise<unknown>, type: new (...a: never[]) => Error, message: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).to.be.instanceOf(type);
  expect((err as Error).message).to.match(message);
}
