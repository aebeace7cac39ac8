// Validate once at the public verb: postTraining and calibrateRanges check the data and options
// themselves and hand a checked source inward; the passes inside read it without checking it, and
// read it no more often than the work needs (counted on a tf.data dataset's iterators).
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { postTraining } from '../../lib/quantize/post-training';
import { calibrate, calibrateRanges, forEachCalibrationBatch } from '../../lib/quantize/calibrate';
import { checkedSource } from '../../lib/data/source';
import { ConfigError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';

/** Conv2D (3x3, 4 filters) -> ReLU -> Flatten -> Dense 3 on 6x6x1 inputs, seeded; no BatchNormalization. */
function convNet(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [6, 6, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        name: 'conv',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        biasInitializer: tf.initializers.constant({ value: 0.1 }),
      }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({
        units: 3,
        name: 'fc',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        biasInitializer: tf.initializers.constant({ value: -0.2 }),
      }),
    ],
  });
}

/** A batched tf.data dataset of 40 seeded 6x6x1 inputs (batches of 8) that counts the iterators made on it. */
function countedDataset(): { ds: tf.data.Dataset<tf.TensorContainer>; iterators: () => number } {
  const xs = tf.randomUniform([40, 6, 6, 1], 0, 1, 'float32', 7).arraySync() as number[][][][];
  const ds = tf.data.array(xs.map((x) => ({ xs: tf.tensor3d(x) }))).batch(8) as tf.data.Dataset<tf.TensorContainer>;
  let made = 0;
  const iterator = ds.iterator.bind(ds);
  ds.iterator = () => {
    made++;
    return iterator();
  };
  return { ds, iterators: () => made };
}

describe('quantize: data and options checked once at the verb, read once per pass', () => {
  it('postTraining reads a tf.data dataset once per pass: calibration and the error report; static bias correction joins calibration', async () => {
    const model = convNet();
    const cases = [
      { options: { mode: 'weight-only' as const }, passes: 1 }, // the error report
      { options: { mode: 'static' as const }, passes: 2 }, // calibration, then the error report
      { options: { mode: 'static' as const, biasCorrection: true }, passes: 2 }, // input means gathered in calibration
      { options: { mode: 'weight-only' as const, biasCorrection: true }, passes: 2 }, // input means, error report
    ];
    for (const c of cases) {
      const { ds, iterators } = countedDataset();
      const { model: q, report } = await postTraining(model, ds, c.options);
      expect(iterators(), JSON.stringify(c.options)).to.equal(c.passes);
      expect(report.reportExamples).to.equal(40);
      if (c.options.mode === 'static') expect(report.calibrationExamples).to.equal(40);
      q.dispose();
    }
    const { ds, iterators } = countedDataset();
    await calibrateRanges(model, ds, { batchSize: 8 });
    expect(iterators()).to.equal(1);
    model.dispose();
  });

  it("static bias correction, measured inside the calibration pass, subtracts the same shifts as weight-only's pass of its own", async () => {
    // Without BatchNormalization both modes quantize the same float kernels on the same grid and
    // measure the same float inputs: the corrections must agree.
    const model = convNet();
    // (An explicit granularity: weight-only int4 would otherwise be blockwise, on another grid.)
    const options = { weightBits: 4, granularity: 'per-channel' as const, biasCorrection: true, calibrationCount: 40 };
    const { ds: a } = countedDataset();
    const { ds: b } = countedDataset();
    const inCalibration = await postTraining(model, a, { mode: 'static', ...options });
    const ownPass = await postTraining(model, b, { mode: 'weight-only', ...options });
    const shifts = (r: typeof inCalibration.report) =>
      (r.biasCorrection ?? []).map((l) => [l.layer, l.maxShift, l.meanAbsShift] as const);
    expect(shifts(inCalibration.report).map(([l]) => l)).to.deep.equal(['conv', 'fc']);
    expect(shifts(inCalibration.report)[0]?.[1]).to.be.above(0);
    shifts(inCalibration.report).forEach(([layer, max, mean], i) => {
      const [otherLayer, otherMax, otherMean] = shifts(ownPass.report)[i] as readonly [string, number, number];
      expect(otherLayer).to.equal(layer);
      expect(max).to.be.closeTo(otherMax, 1e-6);
      expect(mean).to.be.closeTo(otherMean, 1e-6);
    });
    [model, inCalibration.model, ownPass.model].forEach((m) => m.dispose());
  });

  it('a bad source, batch size or example count is refused by the verb, naming the verb and the option as the user spelled it', async () => {
    const model = convNet();
    const xs = tf.zeros([4, 6, 6, 1]);
    const reject = async (p: Promise<unknown>, re: RegExp) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(re);
    };
    await expectNoLeak(async () => {
      await reject(postTraining(model, 'images/' as never, { mode: 'static' }), /^quantize\.postTraining: data as a/);
      await reject(calibrateRanges(model, [1, 2] as never), /^quantize\.calibrateRanges: data as a/);
      await reject(
        postTraining(model, { xs }, { mode: 'static', calibrationCount: 0 }),
        /^quantize\.postTraining: calibrationCount a positive integer, got 0\./,
      );
      await reject(
        calibrateRanges(model, { xs }, { count: 2.5 }),
        /^quantize\.calibrateRanges: count a positive integer, got 2\.5\./,
      );
      await reject(
        calibrateRanges(model, { xs }, { batchSize: -1 }),
        /^quantize\.calibrateRanges: batchSize a positive integer/,
      );
    });
    xs.dispose();
    model.dispose();
  });

  it('the passes inside take only a checked source (checkedSource), and check nothing themselves', async () => {
    const model = convNet();
    const xs = tf.randomUniform([12, 6, 6, 1], 0, 1, 'float32', 3);
    const options = { caller: 'quantize.calibrateRanges', batchSize: 4 };
    // @ts-expect-error an unchecked DataSource is not a CheckedSource: the verb must check it first
    await calibrate(model, { xs }, options).catch(() => undefined);
    // @ts-expect-error the same for the batch loop every pass runs on
    await forEachCalibrationBatch(model, { xs }, options, () => undefined).catch(() => undefined);
    const checked = checkedSource({ xs }, 'quantize.calibrateRanges');
    let seen = 0;
    const { examples } = await forEachCalibrationBatch(model, checked, options, (x) => {
      seen += x.shape[0] as number;
    });
    expect([seen, examples]).to.deep.equal([12, 12]);
    const c = await calibrate(model, checked, options);
    expect(Object.keys(c.ranges)).to.include('fc');
    xs.dispose();
    model.dispose();
  });
});
