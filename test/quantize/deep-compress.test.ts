// quantize.deepCompress on a conv net (every kernel layer: Conv2D, DepthwiseConv2D, Dense): the
// pruned and shared kernels, the exact codec round-trip, sizes, patterns, errors and no leak.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { fit } from '../../lib/train/fit';
import { deepCompress } from '../../lib/quantize/deep-compress';
import { decodeKernel, encodeKernel } from '../../lib/quantize/deep-compress-codec';

/** Seeded, so a test's result does not depend on the tests that ran before it (unseeded initializers draw from a shared stream). */
function convNet(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  let x = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: 'conv1',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    })
    .apply(input);
  x = tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      padding: 'same',
      name: 'dw',
      depthwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    })
    .apply(x);
  x = tf.layers.batchNormalization({ name: 'bn' }).apply(x);
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x);
  const y = tf.layers
    .dense({ units: 4, name: 'fc', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

const kernel = (m: tf.LayersModel, name: string) => Float32Array.from(m.getLayer(name).getWeights()[0]!.dataSync());

describe('quantize/deepCompress', () => {
  it('prunes and shares every kernel layer of a conv net, stores it exactly, and leaves the input alone', async () => {
    const model = convNet();
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    const result = await deepCompress(model, { sparsity: 0.5, bits: 3, seed: 1 });
    expect(Object.keys(result).sort()).to.deep.equal(['model', 'report']);
    const { model: out, report } = result;
    expect(JSON.parse(JSON.stringify(report))).to.deep.equal(report);
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).to.deep.equal(before);
    expect(report.layers.map((l) => [l.name, l.className])).to.deep.equal([
      ['conv1', 'Conv2D'],
      ['dw', 'DepthwiseConv2D'],
      ['fc', 'Dense'],
    ]);
    for (const name of ['conv1', 'dw', 'fc']) {
      const k = kernel(out, name);
      const zeros = k.filter((v) => v === 0).length;
      expect(zeros, name).to.be.at.least(Math.round(0.5 * k.length));
      expect(new Set(k.filter((v) => v !== 0)).size, name).to.be.at.most(7);
      // The file's encoding of the shared kernel decodes to exactly its values.
      const shape = out.getLayer(name).getWeights()[0]!.shape;
      const enc = encodeKernel(k, shape, { bits: 3, indexBits: 8, iterations: 30, seed: 1 });
      expect(enc.exact, name).to.equal(true);
      expect(Array.from(decodeKernel(enc)), name).to.deep.equal(Array.from(k));
      const biasBytes = 4 * (out.getLayer(name).countParams() - k.length);
      expect(enc.bytes + biasBytes).to.equal(report.layers.find((l) => l.name === name)?.bytes);
    }
    expect(report.compressedBytes).to.be.below(report.denseBytes);
    expect(report.compressionRatio).to.be.above(1);
    // BatchNormalization has no kernel: its weights are copied as they are.
    expect(
      out
        .getLayer('bn')
        .getWeights()
        .map((w) => Array.from(w.dataSync())),
    ).to.deep.equal(
      model
        .getLayer('bn')
        .getWeights()
        .map((w) => Array.from(w.dataSync())),
    );
    out.dispose();
    model.dispose();
  });

  it('`only`/`skip` patterns select layers and `layers` overrides bits and sparsity', async () => {
    const model = convNet();
    const { model: out, report } = await deepCompress(model, {
      sparsity: 0.5,
      bits: 3,
      skip: ['c*'],
      layers: { fc: { bits: 2, sparsity: 0.25 } },
    });
    expect(report.layers.map((l) => [l.name, l.bits, l.sparsity])).to.deep.equal([
      ['dw', 3, 0.5],
      ['fc', 2, 0.25],
    ]);
    expect(Array.from(kernel(out, 'conv1'))).to.deep.equal(Array.from(kernel(model, 'conv1')));
    const only = await deepCompress(model, { only: ['fc'] });
    expect(only.report.layers.map((l) => l.name)).to.deep.equal(['fc']);
    [out, only.model, model].forEach((m) => m.dispose());
  });

  it('with data, fine-tunes the shared centroids: zeros stay where they were, codes stay, the loss falls, still stored exactly', async () => {
    const model = convNet();
    const xs = tf.randomUniform([64, 8, 8, 3], 0, 1, 'float32', 5);
    // A learnable task: the class is the image quadrant with the brightest first channel.
    const ys = tf.tidy(() => {
      const q = [
        [0, 0],
        [0, 4],
        [4, 0],
        [4, 4],
      ].map(([r, c]) => tf.mean(tf.slice(xs, [0, r!, c!, 0], [-1, 4, 4, 1]), [1, 2, 3]));
      return tf.cast(tf.argMax(tf.stack(q, 1), 1), 'int32');
    });
    // Trained first, as Deep Compression's input is: then pruning and 2-bit sharing cost loss that tuning wins back.
    await fit(model, { xs, ys }, { epochs: 30, batchSize: 16, learningRate: 0.01, seed: 1 });
    const options = { sparsity: 0.5, bits: 2, seed: 1 };
    const plain = await deepCompress(model, options);
    const start = tf.memory().numTensors;
    const tuned = await deepCompress(
      model,
      { xs, ys },
      { ...options, fineTune: { epochs: 10, learningRate: 0.01, batchSize: 16 } },
    );
    expect(tuned.report.fineTuneSteps).to.equal(40);
    expect(tuned.report.layers.map((l) => [l.name, l.fineTuned])).to.deep.equal([
      ['conv1', true],
      ['dw', true],
      ['fc', true],
    ]);
    expect(plain.report.fineTuneSteps).to.equal(0);
    const loss = (m: tf.LayersModel) =>
      tf.tidy(
        () => tf.losses.softmaxCrossEntropy(tf.oneHot(ys, 4), m.predict(xs) as tf.Tensor).dataSync()[0] as number,
      );
    // At least a quarter of the loss that compression cost is won back (about half on this machine).
    const [lf, lp, lt] = [loss(model), loss(plain.model), loss(tuned.model)];
    expect(lp).to.be.above(lf);
    expect(lt).to.be.below(lp - 0.25 * (lp - lf));
    for (const name of ['conv1', 'dw', 'fc']) {
      const [a, b] = [kernel(plain.model, name), kernel(tuned.model, name)];
      expect(
        Array.from(b).map((v) => v === 0),
        name,
      ).to.deep.equal(Array.from(a).map((v) => v === 0));
      expect(Array.from(b), name).to.not.deep.equal(Array.from(a));
      // Same code per weight: equal shared values before stay equal after.
      const pairs = new Map<number, number>();
      a.forEach((v, i) => {
        if (v !== 0) (expect(pairs.get(v) ?? b[i], name).to.equal(b[i]), pairs.set(v, b[i] as number));
      });
      const shape = tuned.model.getLayer(name).getWeights()[0]!.shape;
      const enc = encodeKernel(b, shape, { bits: 2, indexBits: 8, iterations: 30, seed: 1 });
      expect(enc.exact, name).to.equal(true);
      expect(enc.bytes + 4 * (tuned.model.getLayer(name).countParams() - b.length)).to.equal(
        tuned.report.layers.find((l) => l.name === name)?.bytes,
      );
    }
    tuned.model.dispose();
    expect(tf.memory().numTensors, 'tensors left').to.equal(start);
    let err: unknown;
    try {
      await deepCompress(model, { xs, ys } as never);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.match(/^quantize\.deepCompress: options as the third argument/);
    // The data and the fine-tuning options are checked at the verb, before any clustering.
    for (const [data, fineTune, match] of [
      [{ xs, ys }, { epochs: -1 }, /^quantize\.deepCompress: epochs a non-negative integer/],
      [{ xs: 'x' }, { epochs: 1 }, /^quantize\.deepCompress: data as a tf\.data\.Dataset/],
    ] as const) {
      const e = await deepCompress(model, data as never, { fineTune: fineTune as never }).catch((x: Error) => x);
      expect((e as Error).message).to.match(match);
    }
    plain.model.dispose();
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('refuses bad options with a ConfigError naming quantize.deepCompress, and leaks no tensor', async () => {
    const model = convNet();
    const start = tf.memory().numTensors;
    for (const opts of [{ sparsity: 1 }, { bits: 9 }, { indexBits: 5 }, { skip: ['none*'] }, { layers: { bn: {} } }]) {
      let err: unknown;
      try {
        await deepCompress(model, opts as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/^quantize\.deepCompress: /);
    }
    const { model: out } = await deepCompress(model, { sparsity: 0.3 });
    out.dispose();
    expect(tf.memory().numTensors).to.equal(start);
    model.dispose();
  });
});
