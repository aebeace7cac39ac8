// The teacher-student trainer: `fit` with the distillation loss swapped in through its `loss`
// hook. The teacher is frozen (inference mode, never among the optimized variables); its logits
// come per batch or from a table computed once for fit's seeded batch order.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, describe } from '../errors';
import { requireLayersModel } from '../core/graph';
import { rebuildModel } from '../core/rewrite';
import { CheckedSource, DataSource, SourceBatch, checkedSource } from '../data/source';
import { indexedExamples } from '../data/source-info';
import { CheckedFitOptions, checkFitOptions, fitChecked, FitOptions, trainableVariables } from '../train/fit';
import { asLogits, inputShapeOf, outputKind, outputUnits } from '../train/model-output';
import { EpochLog } from '../train/progress';
import { distillationLoss, distillationOptions, DistillationLossOptions, SoftScale } from './loss';
import { cachedTeacher, perBatchTeacher, TeacherLogitSource, toInputShape } from './teacher-logits';
import { hintLoss, HintOptions, makeHint } from './hint';

/** Options for {@link train}. */
/** The training-loop options are fit's (`seed` also seeds the hint projection; `validation` evaluates the student). */
export interface DistillOptions
  extends
    DistillationLossOptions,
    Pick<
      FitOptions,
      'epochs' | 'seed' | 'batchSize' | 'learningRate' | 'optimizer' | 'validation' | 'progress' | 'preprocessing'
    > {
  /**
   * 'cached' (default for ImageSets): teacher logits computed once for the training set;
   * 'per-batch' (default, and the only choice, for tensors and tf.data): each step; or a table
   * from {@link teacherLogits} (reused across students of one teacher).
   */
  readonly teacherLogits?: 'cached' | 'per-batch' | Float32Array;
  /** Optional FitNets hint loss with a learned linear projection. */
  readonly hint?: HintOptions;
  /** The frozen teacher (a tf.LayersModel with the student's outputs); never modified. */
  readonly teacher: tf.LayersModel;
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

/** What distill.train checked once: its data, the loss settings, and fit's validation data. */
interface Checked {
  readonly data: CheckedSource;
  readonly loss: Required<DistillationLossOptions>;
  readonly fit: Pick<CheckedFitOptions, 'validation'>;
}

/** distill.train's one check of its models, data and options: the data and loss settings come back checked for the loop. */
function validate(
  student: tf.LayersModel,
  teacher: tf.LayersModel,
  data: DataSource,
  options: DistillOptions,
): Checked {
  const fn = 'distill.train';
  if (!(student instanceof tf.LayersModel) || !(teacher instanceof tf.LayersModel)) {
    throw new ConfigError(
      `${fn}: student and teacher tf.LayersModels, got ${describe(student)} and ${describe(teacher)}. Build them with tf.sequential or tf.model.`,
    );
  }
  if (student === teacher)
    throw new ConfigError(
      `${fn}: two different models, got the same model as student and teacher. Pass a fresh student.`,
    );
  const checked = checkedSource(data, fn);
  const fitChecks = checkFitOptions(options, fn);
  const loss = distillationOptions(fn, options);
  const [s, t] = [outputUnits(student, fn), outputUnits(teacher, fn)];
  if (s !== t) {
    throw new ShapeError(
      `${fn}: teacher and student with the same number of outputs, got teacher ${t} and student ${s}. ` +
        `Both must output one score per class of the data set.`,
    );
  }
  const size = (m: tf.LayersModel) => inputShapeOf(m, fn).reduce((a, b) => a * b, 1);
  if (size(student) !== size(teacher)) {
    throw new ShapeError(
      `${fn}: a teacher and a student that read the same inputs, got inputs [${inputShapeOf(teacher, fn).join(', ')}] and [${inputShapeOf(student, fn).join(', ')}]. ` +
        `Give both models inputs of one size (a reshape between them is done for you).`,
    );
  }
  const tl = options.teacherLogits;
  if (tl !== undefined && tl !== 'cached' && tl !== 'per-batch' && !(tl instanceof Float32Array)) {
    throw new ConfigError(
      `${fn}: teacherLogits 'cached' or 'per-batch', got ${describe(options.teacherLogits)}. Omit it for the default.`,
    );
  }
  if ((tl === 'cached' || tl instanceof Float32Array) && !indexedExamples(data)) {
    throw new ConfigError(
      `${fn}: teacherLogits 'per-batch' for tensors or a tf.data.Dataset, got ${tl === 'cached' ? "'cached'" : 'a table'}. ` +
        `Cached logits need an ImageSet (whose order fit reproduces); omit teacherLogits.`,
    );
  }
  return { data: checked, loss, fit: fitChecks };
}

/**
 * Trains a copy of `student` to match the frozen `options.teacher` with the distillation loss
 * (plus a FitNets hint term when `hint` is given). Same seed, epochs and batch size as a `fit`
 * run give the same batch order, so a cross-entropy twin is directly comparable. Neither model
 * is modified; the caller owns the returned model.
 * @example const {model, report} = await distill.train(simpleNet({seed: 1, hidden: [32]}), mnist.train, {teacher, epochs: 3, seed: 1})
 */
export async function train(
  student: tf.LayersModel,
  data: DataSource,
  options: DistillOptions,
): Promise<{ model: tf.LayersModel; report: DistillReport }> {
  requireLayersModel(student, 'distill.train');
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `distill.train: an options object such as {teacher, epochs: 3, seed: 1}, got ${describe(options)}. Pass the teacher and the training options.`,
    );
  const { teacher } = options;
  if (teacher === undefined)
    throw new ConfigError(
      `distill.train: options.teacher, the frozen teacher model, got none. Pass {teacher, ...}: distill.train(student, data, {teacher, epochs, seed}).`,
    );
  requireLayersModel(teacher, 'distill.train');
  const checked = validate(student, teacher, data, options);
  const copy = await rebuildModel(student, {}, 'distill.train');
  try {
    const report = await trainInPlace(copy, teacher, checked, options);
    return { model: copy, report };
  } catch (e) {
    copy.dispose();
    throw e;
  }
}

async function trainInPlace(
  student: tf.LayersModel,
  teacher: tf.LayersModel,
  checked: Checked,
  options: DistillOptions,
): Promise<DistillReport> {
  const { data } = checked;
  const { alpha, temperature, softScale } = checked.loss;
  const batchSize = options.batchSize ?? 128;
  const set = options.teacherLogits === 'per-batch' ? undefined : indexedExamples(data);
  const mode = set ? 'cached' : 'per-batch';
  const table = options.teacherLogits instanceof Float32Array ? options.teacherLogits : undefined;
  const source: TeacherLogitSource = set
    ? await cachedTeacher(teacher, set, options.seed, batchSize, table)
    : perBatchTeacher(teacher);
  const hint = options.hint ? makeHint('distill.train', student, teacher, options.hint, options.seed) : undefined;
  const teacherShape = inputShapeOf(teacher, 'distill.train');
  const studentKind = outputKind(student);
  const loss = (logits: tf.Tensor, b: SourceBatch): tf.Scalar => {
    if (!b.ys)
      throw new ConfigError(
        `distill.train: labelled data (ys) for the hard-label term, got a batch without targets. Give the data {xs, ys}.`,
      );
    const base = distillationLoss(
      studentKind === 'logits' ? logits : asLogits(logits, studentKind),
      source.logits(b),
      b.ys,
      { alpha, temperature, softScale },
    );
    if (!hint) return base;
    const tx = toInputShape(b.xs, teacherShape);
    return tf.add(
      base,
      tf.mul(hintLoss(hint.student(b.xs), hint.teacher(tx), hint.projection as tf.Tensor as tf.Tensor2D), hint.weight),
    ) as tf.Scalar;
  };
  try {
    // The data and fit's options were checked once, by validate: the loop does not check them again.
    const history = await fitChecked(
      student,
      data,
      {
        epochs: options.epochs,
        seed: options.seed,
        batchSize,
        loss,
        beforeStep: (step) => source.setStep(step),
        ...(options.preprocessing !== undefined ? { preprocessing: options.preprocessing } : {}),
        ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
        ...(options.optimizer ? { optimizer: options.optimizer } : {}),
        ...checked.fit,
        ...(options.progress ? { progress: options.progress } : {}),
        ...(hint ? { variables: [...trainableVariables(student), hint.projection] } : {}),
      },
      'distill.train',
    );
    return {
      epochs: history.epochs,
      steps: history.steps,
      teacherLogits: mode,
      teacherSeconds: source.precomputeSeconds,
      alpha,
      temperature,
      softScale,
      ...(options.hint
        ? {
            hint: {
              studentLayer: options.hint.studentLayer,
              teacherLayer: options.hint.teacherLayer,
              weight: hint?.weight ?? 1,
            },
          }
        : {}),
    };
  } finally {
    hint?.projection.dispose();
  }
}
