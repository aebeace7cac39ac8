// A distillation sweep point as an executor job (the students of notebook 05): an MLP student
// trained on the first `trainExamples` images of a course data set, with cross-entropy alone or
// distilled from a cached course baseline, scored on the test split and cached. Independent
// points of a sweep (settings x seeds) run in parallel on the executor's workers.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../../lib/errors';
import { sliceImageSet } from '../../lib/data/image-set';
import { defineJob } from '../../lib/exec';
import { checkJobArgs } from '../../lib/exec/job';
import { teacherLogits, train as distillTrain } from '../../lib/distill';
import type { SoftScale } from '../../lib/distill';
import { BaselineName, DatasetName, loadBaseline, loadDataset } from '../models/baselines';
import { cachedModel } from '../../lib/data/model-cache';
import { simpleNet } from '../models/simplenet';
import { fit } from '../../lib/train/fit';
import { evaluate } from '../../lib/train/evaluate';

/** How a student trains. */
export interface StudentRecipe {
  readonly trainExamples: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
}

/** A distillation setting, or 'ce' for the cross-entropy twin. */
export type StudentSetting =
  | 'ce'
  | {
      readonly alpha: number;
      readonly temperature: number;
      readonly softScale: SoftScale;
      readonly teacher: BaselineName;
    };

/** Arguments of the `course.student` job. */
export interface StudentArgs {
  readonly dataset: DatasetName;
  /** Hidden width of the 784-width-10 student. */
  readonly width: number;
  readonly seed: number;
  readonly recipe: StudentRecipe;
  readonly setting: StudentSetting;
}

// Per thread: the teachers and their logits on the training subset, reused across students.
const teachers = new Map<string, Promise<{ model: tf.LayersModel; logits: Float32Array }>>();

async function teacherFor(
  dataset: DatasetName,
  name: BaselineName,
  trainExamples: number,
): Promise<{ model: tf.LayersModel; logits: Float32Array }> {
  const k = `${dataset}/${name}/${trainExamples}`;
  let t = teachers.get(k);
  if (!t) {
    t = (async () => {
      const { model } = await loadBaseline(name, { dataset });
      return { model, logits: await teacherLogits(model, sliceImageSet(loadDataset(dataset).train, 0, trainExamples)) };
    })();
    teachers.set(k, t);
  }
  return t;
}

/** Trains (or reads from the cache) one student and returns its test accuracy. */
export const studentJob = defineJob(
  'course.student',
  __filename,
  async (a: StudentArgs): Promise<{ testAccuracy: number; fromCache: boolean }> => {
    checkJobArgs(a, 'course.student', '{dataset, width, seed, recipe, setting}');
    checkJobArgs(a.recipe, 'course.student', 'recipe {trainExamples, epochs, batchSize, learningRate}');
    if (a.setting !== 'ce')
      checkJobArgs(a.setting, 'course.student', "setting 'ce' or {alpha, temperature, softScale, teacher}");
    if (!(Number.isInteger(a.width) && a.width > 0))
      throw new ConfigError(`course.student: width a positive integer, got ${describe(a.width)}. Use e.g. 32.`);
    const s = a.setting;
    // The key notebook 05's students always had (its 'brief' form is softScale 'none'), so cached students stay valid.
    const key = {
      kind: 'kd-student',
      version: 2,
      ds: a.dataset,
      width: a.width,
      seed: a.seed,
      recipe: a.recipe,
      setting:
        s === 'ce'
          ? 'ce'
          : {
              a: s.alpha,
              T: s.temperature,
              f: s.softScale === 'none' ? 'brief' : 'hinton',
              teacher: `${s.teacher}-baseline-s0`,
            },
    };
    const entry = await cachedModel(key, `kd-${a.dataset}-w${a.width}-s${a.seed}`, async () => {
      const data = loadDataset(a.dataset);
      const subset = sliceImageSet(data.train, 0, a.recipe.trainExamples);
      let model = simpleNet({ seed: a.seed, hidden: [a.width] });
      const opts = {
        epochs: a.recipe.epochs,
        seed: a.seed,
        batchSize: a.recipe.batchSize,
        learningRate: a.recipe.learningRate,
      };
      if (s === 'ce') {
        await fit(model, subset, opts);
      } else {
        const t = await teacherFor(a.dataset, s.teacher, a.recipe.trainExamples);
        const student = model;
        ({ model } = await distillTrain(student, subset, {
          ...opts,
          teacher: t.model,
          teacherLogits: t.logits,
          alpha: s.alpha,
          temperature: s.temperature,
          softScale: s.softScale,
        }));
        student.dispose();
      }
      return { model, meta: { testAccuracy: (await evaluate(model, data.test)).accuracy } };
    });
    entry.model.dispose();
    return { testAccuracy: entry.meta.testAccuracy, fromCache: entry.fromCache };
  },
);
