// The recipe's distill stage: its fields are validated like every stage's (distill.train's option
// names), a recipe that distills without training data is refused before any work, and the stage
// trains a copy of its model from the recipe's original model (the input untouched, no leak).
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { validateRecipe } from '../../lib/pipeline/recipe';
import { preflight } from '../../lib/pipeline/preflight';
import { runDistill } from '../../lib/pipeline/distill-stage';
import { LoadedData } from '../../lib/data/data-files';

const recipeWith = (stage: object) => ({ version: 1, model: 'model', stages: [stage] });

function tinyModel(seed: number, units: number): tf.LayersModel {
  const m = tf.sequential();
  m.add(
    tf.layers.dense({
      inputShape: [6],
      units,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    }),
  );
  m.add(
    tf.layers.dense({
      units: 3,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  return m;
}

describe('pipeline: the distill stage', function () {
  this.timeout(120_000);
  it("validates its fields with distill.train's names, and refuses bad values by their path", () => {
    const ok = validateRecipe(
      recipeWith({ kind: 'distill', epochs: 2, alpha: 0.5, temperature: 3, softScale: 'none' }),
    );
    expect(ok.stages[0]).to.deep.include({ kind: 'distill', epochs: 2, alpha: 0.5, temperature: 3, softScale: 'none' });
    const bad: [object, RegExp][] = [
      [{ kind: 'distill' }, /stages\[0\]\.epochs/],
      [{ kind: 'distill', epochs: 1, alpha: 2 }, /stages\[0\]\.alpha/],
      [{ kind: 'distill', epochs: 1, temperature: 0 }, /stages\[0\]\.temperature/],
      [{ kind: 'distill', epochs: 1, softScale: 'T2' }, /stages\[0\]\.softScale/],
      [{ kind: 'distill', epochs: 1, teacher: '../other' }, /teacher/],
    ];
    for (const [stage, message] of bad)
      expect(() => validateRecipe(recipeWith(stage)), JSON.stringify(stage)).to.throw(ConfigError, message);
  });

  it('is refused before any work without training data, or after quantization', () => {
    const data = { calibration: true, training: false, evaluationLabelled: true };
    expect(() => preflight(validateRecipe(recipeWith({ kind: 'distill', epochs: 1 })), 'layers', data)).to.throw(
      ConfigError,
      /data\.training to distill on/,
    );
    const quantizedFirst = validateRecipe({
      version: 1,
      model: 'model',
      stages: [
        { kind: 'quantize', mode: 'dynamic' },
        { kind: 'distill', epochs: 1 },
      ],
    });
    expect(() => preflight(quantizedFirst, 'layers', { ...data, training: true })).to.throw(
      ConfigError,
      /a float model to distill/,
    );
  });

  it("trains a copy of the student from the original model's outputs; the input is untouched, nothing leaks", async () => {
    const teacher = tinyModel(1, 16);
    const student = tinyModel(3, 4);
    const xs = tf.randomUniform([64, 6], 0, 1, 'float32', 7);
    const ys = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 64 }, (_, i) => i % 3),
        'int32',
      ),
      3,
    );
    const training: LoadedData = {
      source: { xs, ys },
      kind: 'npy',
      count: 64,
      labelled: true,
      paths: [],
      dispose: () => undefined,
    };
    const before = student.getWeights().map((w) => w.dataSync().slice());
    const n = tf.memory().numTensors;
    const stage = { kind: 'distill', epochs: 2, batchSize: 16, learningRate: 0.01 } as const;
    const out = await runDistill(
      stage,
      { kind: 'layers', model: student },
      { seed: 0, data: { training } },
      { kind: 'layers', model: teacher },
    );
    const trained = out.model?.model as tf.LayersModel;
    expect(trained).to.not.equal(student);
    student.getWeights().forEach((w, i) => expect(w.dataSync()).to.deep.equal(before[i]));
    const moved = trained
      .getWeights()
      .some((w, i) => w.dataSync().some((v, j) => v !== (before[i] as Float32Array)[j]));
    expect(moved, 'the copy was trained').to.equal(true);
    expect((out.report as { distill: { epochs: unknown[] } }).distill.epochs).to.have.length(2);
    await out.dispose();
    trained.dispose();
    expect(tf.memory().numTensors).to.equal(n);
    let e: unknown;
    try {
      await runDistill(
        stage,
        { kind: 'layers', model: student },
        { seed: 0, data: {} },
        { kind: 'layers', model: teacher },
      );
    } catch (x) {
      e = x;
    }
    expect(e).to.be.instanceOf(ConfigError);
    expect((e as Error).message).to.match(/data\.training to distill on/);
    tf.dispose([xs, ys]);
    teacher.dispose();
    student.dispose();
  });
});
