// Empirical bias correction (Nagel et al. 2019): the bias absorbs the mean output shift that
// rounding the kernel causes, measured on the calibration data.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { postTraining } from '../../lib/quantize/post-training';
import { ConfigError, DataError } from '../../lib/errors';
import { smallMnist, tinyCnn } from '../quantize/fixtures';
import { expectNoLeak } from '../helpers/leak';

/** Dense 2 -> 1, kernel [[0.3], [1.0]], bias 0.5. */
function tinyDense(): tf.LayersModel {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], name: 'fc' })] });
  m.layers[0]?.setWeights([tf.tensor2d([[0.3], [1.0]]), tf.tensor1d([0.5])]);
  return m;
}

describe('quantize/bias correction', () => {
  it('by hand: 2-bit kernel [0.3, 1.0] rounds 0.3 to 0; E[x] = [2, 5] shifts the output by -0.6, which the bias takes back', async () => {
    const model = tinyDense();
    // Symmetric signed 2 bits per tensor: levels {-1, 0, 1} x scale 1.0 (max |w|), so dW = [-0.3, 0].
    const xs = tf.tensor2d([
      [1, 4],
      [3, 6],
    ]); // E[x] = [2, 5]
    const opts = {
      mode: 'weight-only' as const,
      weightBits: 2,
      granularity: 'per-tensor' as const,
    };
    const plain = await postTraining(model, { xs }, opts);
    const fixed = await postTraining(model, { xs }, { ...opts, biasCorrection: true });
    expect(fixed.report.biasCorrection).to.have.length(1);
    expect(fixed.report.biasCorrection?.[0]?.maxShift).to.be.closeTo(0.6, 1e-6);
    const bias = (m: tf.LayersModel) => (m.getLayer('fc').getWeights()[1] as tf.Tensor).dataSync()[0] as number;
    expect(bias(plain.model)).to.be.closeTo(0.5, 1e-6);
    expect(bias(fixed.model)).to.be.closeTo(1.1, 1e-6); // 0.5 + 0.6
    // On the calibration inputs' mean the corrected model gives the float model's output exactly.
    const at = (m: tf.LayersModel) =>
      tf.tidy(() => (m.predict(tf.tensor2d([[2, 5]])) as tf.Tensor).dataSync()[0] as number);
    expect(at(fixed.model)).to.be.closeTo(at(model), 1e-5); // 0.6 + 5 + 0.5 = 6.1
    expect(at(plain.model)).to.be.closeTo(at(model) - 0.6, 1e-5);
    // The input model is not touched.
    expect(bias(model)).to.be.closeTo(0.5, 1e-7);
    tf.dispose([xs]);
    [model, plain.model, fixed.model].forEach((m) => m.dispose());
  });

  it('a Conv1D layer (any registry producer): on a constant input the corrected model gives the float output again', async () => {
    // A constant input makes every window's input its mean, so with 'valid' padding the shift
    // E[x] . sum_taps dW is exact: the corrected output equals the float one.
    const m = tf.sequential({
      layers: [
        tf.layers.conv1d({
          filters: 3,
          kernelSize: 3,
          inputShape: [8, 2],
          name: 'c1',
          kernelInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 3 }),
          biasInitializer: 'ones',
        }),
      ],
    });
    const xs = tf.fill([4, 8, 2], 0.7);
    const opts = { mode: 'weight-only' as const, weightBits: 2, granularity: 'per-tensor' as const };
    const plain = await postTraining(m, { xs }, opts);
    const fixed = await postTraining(m, { xs }, { ...opts, biasCorrection: true });
    expect(fixed.report.biasCorrection?.map((l) => l.layer)).to.deep.equal(['c1']);
    const out = (model: tf.LayersModel) => Array.from((model.predict(xs) as tf.Tensor).dataSync());
    const [f, p, c] = [out(m), out(plain.model), out(fixed.model)];
    expect(Math.max(...p.map((v, i) => Math.abs(v - f[i]!)))).to.be.above(0.01); // 2 bits move the output
    c.forEach((v, i) => expect(v).to.be.closeTo(f[i]!, 1e-5));
    tf.dispose(xs);
    [m, plain.model, fixed.model].forEach((x) => x.dispose());
  });

  it('static INT8 of a CNN: conv and dense biases corrected; the mean logit shift from float shrinks', async () => {
    const cnn = await tinyCnn();
    const calibration = smallMnist().train;
    const base = { mode: 'static' as const, calibrationCount: 300, weightBits: 4 };
    const plain = await postTraining(cnn, calibration, base);
    const fixed = await postTraining(cnn, calibration, { ...base, biasCorrection: true });
    expect(fixed.report.biasCorrection?.map((l) => l.layer).sort()).to.include.members(
      cnn.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName())).map((l) => l.name),
    );
    const { xs } = { xs: tf.tensor(smallMnist().test.images.subarray(0, 300 * 784), [300, 28, 28, 1]).div(255) };
    // Mean over examples of each logit's error, then the largest over classes: the systematic part.
    const meanShift = (q: tf.LayersModel) =>
      tf.tidy(
        () =>
          tf
            .abs(tf.mean(tf.sub(q.predict(xs) as tf.Tensor, cnn.predict(xs) as tf.Tensor), 0))
            .max()
            .dataSync()[0] as number,
      );
    const before = meanShift(plain.model);
    const after = meanShift(fixed.model);
    console.log(
      `      largest mean logit shift from float, 4-bit kernels: ${before.toExponential(2)} -> ${after.toExponential(2)} with bias correction`,
    );
    expect(after).to.be.below(before);
    xs.dispose();
    [cnn, plain.model, fixed.model].forEach((m) => m.dispose());
  });

  it('refuses a non-boolean option and bias correction without calibration data; leaks no tensors', async () => {
    const model = tinyDense();
    let err = await postTraining(model, { mode: 'weight-only', biasCorrection: 'yes' as unknown as boolean }).catch(
      (e) => e,
    );
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/^quantize\.postTraining: biasCorrection true or false, got/);
    err = await postTraining(model, { mode: 'weight-only', biasCorrection: true }).catch((e) => e);
    expect(err).to.be.instanceOf(DataError);
    const xs = tf.randomUniform([8, 2]);
    await expectNoLeak(async () => {
      const { model: q } = await postTraining(
        model,
        { xs },
        {
          mode: 'weight-only',
          biasCorrection: true,
        },
      );
      q.dispose();
    });
    xs.dispose();
    model.dispose();
  });
});
