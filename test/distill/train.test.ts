import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { teacherLogits, train } from '../../lib/distill';
import { makeImageSet } from '../../lib/data/image-set';
import { fit } from '../../lib/train/fit';
import { simpleNet } from '../../course/models/simplenet';
import { ConfigError, ShapeError } from '../../lib/errors';
import { Rng } from '../../lib/core/rng';
import { expectNoLeak } from '../helpers/leak';
import { maxAbsDiff } from '../helpers/backends';

// 90 noisy 6x6 images of 3 classes: class k lights up rows 2k..2k+1.
function toyData(seed: number, count = 90) {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * 36);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = i % 3;
    labels[i] = k;
    for (let p = 0; p < 36; p++)
      images[i * 36 + p] = Math.floor(rng.next() * 60) + (Math.floor(p / 12) === k ? 180 : 0);
  }
  return makeImageSet('toy', images, labels, { height: 6, width: 6 }, ['a', 'b', 'c']);
}

const mlp = (seed: number, hidden: number[], input = 36) =>
  simpleNet({ seed, hidden, inputSize: input, numClasses: 3 });
function imageTeacher(seed: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [6, 6, 1],
        filters: 2,
        kernelSize: 3,
        name: 'tconv',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
      tf.layers.flatten({ name: 'tflat' }),
      tf.layers.dense({ units: 3, name: 'tout', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}
const weightsOf = (m: tf.LayersModel) => m.getWeights();
function maxWeightDiff(a: tf.LayersModel, b: tf.LayersModel): number {
  return Math.max(...weightsOf(a).map((w, i) => maxAbsDiff(w, weightsOf(b)[i] as tf.Tensor)));
}

/** The student trained in place, from distill.train's copy (these tests compare weights with fit's in-place runs). */
async function trainInto(
  student: tf.LayersModel,
  teacher: tf.LayersModel,
  data: Parameters<typeof train>[1],
  options: Omit<Parameters<typeof train>[2], 'teacher'>,
) {
  const { model, report } = await train(student, data, { ...options, teacher });
  student.setWeights(model.getWeights());
  model.dispose();
  return report;
}

describe('distill/train', () => {
  it('trains a copy: returns {model, report}, the student and teacher keep their weights', async () => {
    const teacher = mlp(5, [8]);
    const student = mlp(7, [4]);
    const before = weightsOf(student).map((w) => Array.from(w.dataSync()));
    const result = await train(student, toyData(1), { teacher, epochs: 1, seed: 3, batchSize: 16 });
    expect(Object.keys(result).sort()).to.deep.equal(['model', 'report']);
    expect(result.model).to.not.equal(student);
    expect(weightsOf(student).map((w) => Array.from(w.dataSync()))).to.deep.equal(before);
    expect(maxWeightDiff(result.model, student)).to.be.above(0);
    expect(JSON.parse(JSON.stringify(result.report))).to.deep.equal(result.report);
    let err: unknown;
    try {
      await train(student, toyData(1), { epochs: 1, seed: 1 } as never);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/^distill\.train: options\.teacher/);
    [teacher, student, result.model].forEach((m) => m.dispose());
  });

  const data = toyData(1);
  const val = toyData(2, 30);

  it('with alpha 1 trains exactly like fit with the same seed (the cross-entropy twin)', async () => {
    const teacher = mlp(5, [8]);
    const [a, b] = [mlp(7, [4]), mlp(7, [4])];
    await trainInto(a, teacher, data, { epochs: 2, seed: 3, batchSize: 16, alpha: 1 });
    await fit(b, data, { epochs: 2, seed: 3, batchSize: 16 });
    expect(maxWeightDiff(a, b)).to.be.below(1e-6);
    [teacher, a, b].forEach((m) => m.dispose());
  });

  it('cached teacher logits give the same student as per-batch teacher logits', async () => {
    const teacher = imageTeacher(5);
    const [a, b] = [mlp(7, [4]), mlp(7, [4])];
    const ra = await trainInto(a, teacher, data, {
      epochs: 3,
      seed: 4,
      batchSize: 16,
      alpha: 0.3,
      teacherLogits: 'cached',
    });
    const rb = await trainInto(b, teacher, data, {
      epochs: 3,
      seed: 4,
      batchSize: 16,
      alpha: 0.3,
      teacherLogits: 'per-batch',
    });
    expect([ra.teacherLogits, rb.teacherLogits]).to.deep.equal(['cached', 'per-batch']);
    expect(maxWeightDiff(a, b)).to.be.below(1e-5);
    const table = await teacherLogits(teacher, data);
    expect(table.length).to.equal(data.count * 3);
    const c = mlp(7, [4]);
    await trainInto(c, teacher, data, { epochs: 3, seed: 4, batchSize: 16, alpha: 0.3, teacherLogits: table });
    expect(maxWeightDiff(a, c)).to.equal(0);
    let err: unknown;
    try {
      await trainInto(c, teacher, data, { epochs: 1, seed: 4, teacherLogits: table.subarray(3) });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ShapeError);
    [teacher, a, b, c].forEach((m) => m.dispose());
  });

  it('keeps the teacher frozen, validates each epoch, and moves the student towards the teacher', async () => {
    const teacher = mlp(5, [8]);
    await fit(teacher, data, { epochs: 20, seed: 1, batchSize: 16, learningRate: 1e-2 });
    const before = weightsOf(teacher).map((w) => w.clone());
    const student = mlp(9, [4]);
    const agreement = () =>
      tf.tidy(() => {
        const x = tf.tensor2d(
          Float32Array.from(data.images, (p) => p / 255),
          [data.count, 36],
        );
        const same = tf.equal(
          tf.argMax(teacher.predict(x) as tf.Tensor, 1),
          tf.argMax(student.predict(x) as tf.Tensor, 1),
        );
        return tf.mean(tf.cast(same, 'float32')).dataSync()[0] as number;
      });
    const r = await trainInto(student, teacher, data, {
      epochs: 8,
      seed: 2,
      batchSize: 16,
      alpha: 0,
      temperature: 2,
      learningRate: 1e-2,
      validation: val,
    });
    expect(r.epochs).to.have.length(8);
    expect(r.epochs.every((e) => typeof e.valAccuracy === 'number')).to.equal(true);
    expect(Math.max(...weightsOf(teacher).map((w, i) => maxAbsDiff(w, before[i] as tf.Tensor)))).to.equal(0);
    expect(agreement()).to.be.above(0.9);
    tf.dispose(before);
    [teacher, student].forEach((m) => m.dispose());
  });

  it('trains with a FitNets hint through a learned projection (image teacher, flat student)', async () => {
    const teacher = imageTeacher(5);
    const student = mlp(7, [4]);
    const w0 = student.getLayer('fc1').getWeights()[0]!.clone();
    const r = await trainInto(student, teacher, data, {
      epochs: 1,
      seed: 1,
      batchSize: 16,
      hint: { studentLayer: 'fc1', teacherLayer: 'tconv', weight: 0.5 },
    });
    expect(r.hint).to.deep.equal({ studentLayer: 'fc1', teacherLayer: 'tconv', weight: 0.5 });
    expect(maxAbsDiff(w0, student.getLayer('fc1').getWeights()[0]!)).to.be.above(0);
    w0.dispose();
    [teacher, student].forEach((m) => m.dispose());
  });

  it('rejects mismatched models and bad options with typed errors', async () => {
    const teacher = mlp(5, [8]);
    const fourOut = simpleNet({ seed: 1, hidden: [4], inputSize: 36, numClasses: 4 });
    const wrongInput = mlp(1, [4], 49);
    const student = mlp(1, [4]);
    const fail = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a rejection');
    };
    const opts = { epochs: 1, seed: 1 };
    const e1 = await fail(trainInto(fourOut, teacher, data, opts));
    expect(e1).to.be.instanceOf(ShapeError);
    expect(e1.message).to.match(/same number of outputs, got teacher 3 and student 4/);
    expect(await fail(trainInto(wrongInput, teacher, data, opts))).to.be.instanceOf(ShapeError);
    expect(await fail(trainInto(student, teacher, data, { ...opts, temperature: -1 }))).to.be.instanceOf(ConfigError);
    expect(await fail(trainInto(student, teacher, data, { ...opts, teacherLogits: 'x' as 'cached' }))).to.be.instanceOf(
      ConfigError,
    );
    expect(await fail(trainInto(student, student, data, opts))).to.be.instanceOf(ConfigError);
    const e2 = await fail(
      trainInto(student, teacher, data, { ...opts, hint: { studentLayer: 'nope', teacherLayer: 'fc1' } }),
    );
    expect(e2).to.be.instanceOf(ConfigError);
    expect(e2.message).to.match(/hint.studentLayer/);
    [teacher, fourOut, wrongInput, student].forEach((m) => m.dispose());
  });

  it('checks data and options once, at the verb, naming distill.train; then reads a tf.data dataset once per epoch', async () => {
    const teacher = mlp(5, [8]);
    const student = mlp(1, [4]);
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => new Error('expected a rejection'),
        (e: unknown) => e as Error,
      );
    const opts = { epochs: 1, seed: 1 };
    for (const [options, re] of [
      [{ ...opts, epochs: -1 }, /^distill\.train: epochs a non-negative integer, got -1\./],
      [{ ...opts, batchSize: 0 }, /^distill\.train: batchSize a positive integer, got 0\./],
      [{ ...opts, learningRate: 0 }, /^distill\.train: learningRate > 0, got 0\./],
      // The validation data too, before the first epoch (it was checked after each epoch's training).
      [{ ...opts, validation: 'val/' as never }, /^distill\.train: data as a tf\.data\.Dataset/],
    ] as const) {
      const e = await fail(trainInto(student, teacher, data, options));
      expect(e).to.be.instanceOf(ConfigError);
      expect(e.message).to.match(re);
    }
    const bad = await fail(trainInto(student, teacher, 'toy/' as never, opts));
    expect(bad).to.be.instanceOf(ConfigError);
    expect(bad.message).to.match(/^distill\.train: data as a tf\.data\.Dataset/);
    // A tf.data dataset of the same examples: one iterator per epoch, none for checking.
    const { xs, ys } = tf.tidy(() => ({
      xs: tf.tensor2d(data.images, [data.count, 36]).div(255),
      ys: tf.oneHot(tf.tensor1d(Int32Array.from(data.labels), 'int32'), 3).toFloat(),
    }));
    const ds = tf.data.zip({ xs: tf.data.array(xs.unstack()), ys: tf.data.array(ys.unstack()) }).batch(16);
    let iterators = 0;
    const iterator = ds.iterator.bind(ds);
    ds.iterator = () => {
      iterators++;
      return iterator();
    };
    const { model, report } = await train(student, ds as tf.data.Dataset<tf.TensorContainer>, {
      ...opts,
      epochs: 2,
      teacher,
    });
    expect(iterators).to.equal(2);
    expect(report.teacherLogits).to.equal('per-batch');
    expect(report.epochs).to.have.length(2);
    model.dispose();
    tf.dispose([xs, ys]);
    [teacher, student].forEach((m) => m.dispose());
  });

  it('leaks no tensors (cached, per-batch, hint)', async () => {
    const teacher = imageTeacher(5);
    const student = mlp(7, [4]);
    await trainInto(student, teacher, data, { epochs: 1, seed: 1, batchSize: 32 }); // warm the optimizer/kernels
    await expectNoLeak(() => trainInto(student, teacher, data, { epochs: 1, seed: 1, batchSize: 32, validation: val }));
    await expectNoLeak(() =>
      trainInto(student, teacher, data, { epochs: 1, seed: 1, batchSize: 32, teacherLogits: 'per-batch' }),
    );
    await expectNoLeak(() =>
      trainInto(student, teacher, data, {
        epochs: 1,
        seed: 1,
        batchSize: 32,
        hint: { studentLayer: 'fc1', teacherLayer: 'tconv' },
      }),
    );
    [teacher, student].forEach((m) => m.dispose());
  });
});
