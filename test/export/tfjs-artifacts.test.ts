import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import {
  quantizedArtifacts,
  dequantizeArtifacts,
  toFloat32Artifacts,
  converterRange,
  converterQuantize,
} from '../../lib/export/tfjs-artifacts';
import { weightError } from '../../lib/export/weight-error';
import { foldBatchNorm } from '../../lib/quantize/fold-batchnorm';
import { artifactsToModel } from '../../lib/data/model-io';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { ConfigError } from '../../lib/errors';
import { randomizeWeights } from './fixtures';
import { maxAbsDiff } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';

/** Model whose weights are the dequantized values (the reference stock tfjs must reproduce). */
async function dequantizedModel(model: tf.LayersModel, values: Record<string, Float32Array>): Promise<tf.LayersModel> {
  const json = model.toJSON(null, false);
  const copy = await tf.models.modelFromJSON({ modelTopology: json } as unknown as Parameters<
    typeof tf.models.modelFromJSON
  >[0]);
  for (const layer of copy.layers) {
    if (!layer.weights.length) continue;
    const src = model.getLayer(layer.name);
    const ws = src.weights.map((w) => tf.tensor(values[w.originalName] as Float32Array, w.shape as number[]));
    layer.setWeights(ws);
    tf.dispose(ws);
  }
  return copy;
}

describe('export/tfjs quantized artifacts', () => {
  it('nudges min so zero is exactly representable (converter rule), and leaves all-positive ranges alone', () => {
    const r = converterRange(-1, 3, 'uint8');
    expect(r.scale).to.be.closeTo(4 / 255, 1e-12);
    expect(r.min / r.scale).to.equal(Math.round(r.min / r.scale)); // 0 is a grid point
    expect(-r.min / r.scale).to.equal(64);
    expect(converterRange(0.5, 2, 'uint8').min).to.equal(0.5);
    const { q, scale, min } = converterQuantize(new Float32Array([-1, 0, 3]), 'uint8');
    expect(Array.from(q)).to.deep.equal([0, 64, 255]);
    expect(0 * scale + min + 64 * scale).to.be.closeTo(0, 1e-12);
    expect(Array.from(converterQuantize(new Float32Array([2, 2]), 'uint16').q)).to.deep.equal([0, 0]);
  });

  for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
    it(`stock tf.loadLayersModel reads ${dtype} artifacts; outputs equal the dequantized model exactly`, async () => {
      const m = cnn({ seed: 1 });
      randomizeWeights(m, 2);
      const { artifacts, report } = await quantizedArtifacts(m, { dtype });
      const loaded = await artifactsToModel(artifacts);
      const reference = await dequantizedModel(m, dequantizeArtifacts(artifacts));
      const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 3);
      const a = loaded.predict(x) as tf.Tensor;
      const b = reference.predict(x) as tf.Tensor;
      expect(maxAbsDiff(a, b)).to.equal(0);
      const c = m.predict(x) as tf.Tensor;
      expect(maxAbsDiff(a, c))
        .to.be.above(0)
        .and.below(dtype === 'uint8' ? 0.5 : 0.01);
      expect(report.sizeRatio).to.be.closeTo(dtype === 'uint8' ? 0.25 : 0.5, 0.01);
      tf.dispose([x, a, b, c]);
      [loaded, reference, m].forEach((t) => t.dispose());
    });
  }

  it('toFloat32Artifacts holds exactly what stock tfjs decodes (uint8 kernels only)', async () => {
    const m = simpleNet({ seed: 4, hidden: [16] });
    const { artifacts } = await quantizedArtifacts(m, { dtype: 'uint8', weights: ['*/kernel'] });
    const f32 = toFloat32Artifacts(artifacts);
    expect(f32.weightData.length).to.equal(4 * m.countParams());
    const [a, b] = [await artifactsToModel(artifacts), await artifactsToModel(f32)];
    const x = tf.randomUniform([3, 784], 0, 1, 'float32', 1);
    const [ya, yb] = [a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor];
    expect(maxAbsDiff(ya, yb)).to.equal(0);
    tf.dispose([x, ya, yb]);
    [a, b, m].forEach((t) => t.dispose());
  });

  it('selects weights with wildcards, like the converter flags', async () => {
    const m = simpleNet({ seed: 1 });
    const { artifacts, report } = await quantizedArtifacts(m, { dtype: 'uint8', weights: ['*/kernel'] });
    const q = artifacts.modelJson.weightsManifest[0]?.weights.filter((w) => w.quantization).map((w) => w.name);
    expect(q).to.deep.equal(['fc1/kernel', 'fc2/kernel', 'fc3/kernel']);
    expect(report.weights.find((w) => w.name === 'fc1/bias')?.dtype).to.equal('float32');
    const only = await quantizedArtifacts(m, { dtype: 'float16', weights: ['fc1/*'] });
    expect(only.report.weights.filter((w) => w.dtype === 'float16').map((w) => w.name)).to.deep.equal([
      'fc1/kernel',
      'fc1/bias',
    ]);
    m.dispose();
  });

  it('weightError: a channel rounded away shows in the worst-channel SQNR while the overall SQNR looks fine', () => {
    const values = Float32Array.of(1, 0.01, -1, 0.02);
    const e = weightError(values, Float32Array.of(1, 0, -1, 0), [2, 2], 1);
    expect(e.minChannelSqnrDb).to.equal(0);
    expect(e.worstChannel).to.equal(1);
    expect(e.sqnrDb).to.be.closeTo(10 * Math.log10(2.0005 / 0.0005), 1e-6);
    expect(weightError(values, values, [4]).sqnrDb).to.equal(Infinity);
  });

  it("a BN-folded depthwise kernel with channels ~300x apart: uint8 warns and loses top-1; 'auto' stores it in 2 bytes and keeps it", async () => {
    // depthwise 3x3 -> BN (epsilon 1e-5, as Keras's ResNet50) -> ReLU -> flatten -> Dense. Channel 3's input is
    // 1000x smaller, so its BN variance is 1e6x smaller and folding scales its kernel ~300x more than the
    // others (epsilon caps it): one uint8 scale per tensor then rounds channels 0-2 to a level or two.
    const inp = tf.input({ shape: [8, 8, 4] });
    const dw = tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, useBias: false });
    const bn = tf.layers.batchNormalization({ name: 'bn', epsilon: 1e-5 });
    const head = tf.layers.dense({ name: 'out', units: 4 });
    const dwOut = dw.apply(inp) as tf.SymbolicTensor;
    const pooled = tf.layers.flatten({ name: 'flat' }).apply(tf.layers.reLU({ name: 'relu' }).apply(bn.apply(dwOut)));
    const m = tf.model({ inputs: inp, outputs: head.apply(pooled) as tf.SymbolicTensor });
    randomizeWeights(m, 9);
    const x = tf.tidy(() => tf.mul(tf.randomNormal([300, 8, 8, 4], 0, 1, 'float32', 4), tf.tensor1d([1, 1, 1, 1e-3])));
    const stats = tf.tidy(() => {
      const y = tf.model({ inputs: inp, outputs: dwOut }).predict(x) as tf.Tensor;
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      return [tf.ones([4]), tf.fill([4], 0.1), mean, variance];
    });
    bn.setWeights(stats);
    const { model: folded } = await foldBatchNorm(m);
    const want = tf.tidy(() => tf.argMax(folded.predict(x) as tf.Tensor, 1).dataSync());
    const agreement = async (artifacts: Awaited<ReturnType<typeof quantizedArtifacts>>['artifacts']) => {
      const loaded = await artifactsToModel(artifacts);
      const got = tf.tidy(() => tf.argMax(loaded.predict(x) as tf.Tensor, 1).dataSync());
      loaded.dispose();
      return got.filter((v, i) => v === want[i]).length / want.length;
    };
    const u8 = await quantizedArtifacts(folded, { dtype: 'uint8' });
    expect(u8.report.warnings.length).to.equal(1);
    expect(u8.report.warnings[0]).to.match(
      /^dw\/depthwise_kernel: uint8 leaves channel [012] at -?\d+\.\d dB SQNR, below 25 dB/,
    );
    const auto = await quantizedArtifacts(folded, { dtype: 'auto' });
    const dwReport = auto.report.weights.find((w) => w.name === 'dw/depthwise_kernel');
    expect(dwReport?.dtype).to.be.oneOf(['uint16', 'float16']);
    expect(dwReport?.reason).to.match(/uint8 would leave channel [012] at .* dB .*(uint16|float16) keeps/);
    expect(auto.report.weights.find((w) => w.name === 'out/kernel')?.dtype).to.equal('uint8');
    expect(auto.report.warnings).to.deep.equal([]);
    const [aU8, aAuto] = [await agreement(u8.artifacts), await agreement(auto.artifacts)];
    expect(aAuto).to.be.at.least(0.99);
    expect(aU8).to.be.below(aAuto - 0.1);
    tf.dispose([x, ...stats]);
    [m, folded].forEach((v) => v.dispose());
  });

  it('rejects an unknown dtype with ConfigError', async () => {
    const m = simpleNet({ seed: 1, hidden: [2] });
    let err: unknown;
    try {
      await quantizedArtifacts(m, { dtype: 'int8' as 'uint8' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    m.dispose();
  });

  it('leaks no tensors', async () => {
    const m = simpleNet({ seed: 1, hidden: [8] });
    await expectNoLeak(async () => {
      await quantizedArtifacts(m, { dtype: 'uint8' });
    });
    m.dispose();
  });
});
