// The teacher-student trainer: `fit` with the distillation loss swapped in through its `loss`
// hook. The teacher is frozen (inference mode, never among the optimized variables); its logits
// come per batch or from a table computed once for fit's seeded batch order.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, describe } from '../errors';
import { Dataset } from '../data/dataset';
import { Batch } from '../data/tensors';
import { fit, FitOptions, trainableVariables } from '../train/fit';
import { inferLayout } from '../train/evaluate';
import { EpochLog } from '../train/progress';
import { distillationLoss, distillationOptions, DistillationLossOptions, SoftScale } from './loss';
import { cachedTeacher, perBatchTeacher, TeacherLogitSource, toLayout } from './teacher-logits';
import { hintLoss, HintOptions, makeHint } from './hint';

/** Options for {@link train}. */
/** The training-loop options are fit's (`seed` also seeds the hint projection; `validation` evaluates the student). */
export interface DistillOptions extends DistillationLossOptions,
  Pick<FitOptions, 'epochs' | 'seed' | 'batchSize' | 'learningRate' | 'optimizer' | 'validation' | 'progress'> {
  /**
   * 'cached' (default): teacher logits computed once for the training set; 'per-batch': each
   * step; or a table from {@link teacherLogits} (reused across students of one teacher).
   */
  readonly teacherLogits?: 'cached' | 'per-batch' | Float32Array;
  /** Optional FitNets hint loss with a learned linear projection. */
  readonly hint?: HintOptions;
}

/** What {@link train} returns: fit's history plus how the teacher was used. */
export interface DistillReport {
  readonly epochs: EpochLog[];
  readonly steps: number;
  readonly teacherLogits: 'cached' | 'per-batch';
  /** Seconds spent precomputing the teacher's logits (0 per-batch). */
  readonly teacherSeconds: number;
  readonly alpha: number;
  readonly temperature: number;
  readonly softScale: SoftScale;
  readonly hint?: { readonly studentLayer: string; readonly teacherLayer: string; readonly weight: number };
}

const outputUnits = (m: tf.LayersModel) => m.outputs[0]?.shape[1];
const inputElements = (m: tf.LayersModel) => (m.inputs[0]?.shape ?? []).slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);

function validate(student: tf.LayersModel, teacher: tf.LayersModel, data: Dataset, options: DistillOptions): void {
  const fn = 'distill.train';
  if (!(student instanceof tf.LayersModel) || !(teacher instanceof tf.LayersModel)) {
    throw new ConfigError(`${fn}: student and teacher tf.LayersModels, got ${describe(student)} and ${describe(teacher)}. Build them with tf.sequential or tf.model.`);
  }
  if (student === teacher) throw new ConfigError(`${fn}: two different models, got the same model as student and teacher. Pass a fresh student.`);
  const classes = data.classNames.length;
  const [s, t] = [outputUnits(student), outputUnits(teacher)];
  if (s !== t) {
    throw new ShapeError(`${fn}: teacher and student with the same number of outputs, got teacher ${t} and student ${s}. ` +
      `Both must output one logit per class of the data set.`);
  }
  if (s !== classes) throw new ShapeError(`${fn}: models with ${classes} outputs (the data set's classes), got ${s}. Give the last layer one unit per class.`);
  const pixels = data.height * data.width;
  for (const [role, m] of [['student', student], ['teacher', teacher]] as const) {
    if (inputElements(m) !== pixels) {
      throw new ShapeError(`${fn}: a ${role} whose input has ${pixels} values (${data.height}x${data.width} images), got [${(m.inputs[0]?.shape ?? []).join(', ')}]. ` +
        `Use input shape [${pixels}] or [${data.height}, ${data.width}, 1].`);
    }
  }
  const tl = options.teacherLogits;
  if (tl !== undefined && tl !== 'cached' && tl !== 'per-batch' && !(tl instanceof Float32Array)) {
    throw new ConfigError(`${fn}: teacherLogits 'cached' or 'per-batch', got ${describe(options.teacherLogits)}. Omit it for 'cached', or pass distill.teacherLogits(teacher, data).`);
  }
}

/**
 * Trains `student` in place (like `fit`) to match the frozen `teacher` with the distillation loss
 * (plus a FitNets hint term when `hint` is given). Same seed, epochs and batch size as a `fit`
 * run give the same batch order, so a cross-entropy twin is directly comparable.
 * @example await distill.train(simpleNet({seed: 1, hidden: [32]}), teacher, mnist.train, {epochs: 3, seed: 1})
 */
export async function train(student: tf.LayersModel, teacher: tf.LayersModel, data: Dataset, options: DistillOptions): Promise<DistillReport> {
  validate(student, teacher, data, options);
  const { alpha, temperature, softScale } = distillationOptions('distill.train', options);
  const batchSize = options.batchSize ?? 128;
  const mode = options.teacherLogits === 'per-batch' ? 'per-batch' : 'cached';
  const table = options.teacherLogits instanceof Float32Array ? options.teacherLogits : undefined;
  const source: TeacherLogitSource = mode === 'cached'
    ? await cachedTeacher(teacher, data, options.seed, batchSize, table) : perBatchTeacher(teacher, data);
  const hint = options.hint ? makeHint('distill.train', student, teacher, options.hint, options.seed) : undefined;
  const teacherLayout = inferLayout(teacher);
  const loss = (logits: tf.Tensor, b: Batch): tf.Scalar => {
    const base = distillationLoss(logits, source.logits(b), b.y, { alpha, temperature, softScale });
    if (!hint) return base;
    const tx = toLayout(b.x, teacherLayout, data.height, data.width);
    return tf.add(base, tf.mul(hintLoss(hint.student(b.x), hint.teacher(tx), hint.projection as tf.Tensor as tf.Tensor2D), hint.weight)) as tf.Scalar;
  };
  try {
    const history = await fit(student, data, {
      epochs: options.epochs, seed: options.seed, batchSize, loss,
      beforeStep: (step) => source.setStep(step),
      ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
      ...(options.optimizer ? { optimizer: options.optimizer } : {}),
      ...(options.validation ? { validation: options.validation } : {}),
      ...(options.progress ? { progress: options.progress } : {}),
      ...(hint ? { variables: [...trainableVariables(student), hint.projection] } : {}),
    });
    return {
      epochs: history.epochs, steps: history.steps, teacherLogits: mode, teacherSeconds: source.precomputeSeconds,
      alpha, temperature, softScale,
      ...(options.hint ? { hint: { studentLayer: options.hint.studentLayer, teacherLayer: options.hint.teacherLayer, weight: hint?.weight ?? 1 } } : {}),
    };
  } finally {
    hint?.projection.dispose();
  }
}
