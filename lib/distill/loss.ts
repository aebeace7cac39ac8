// The knowledge-distillation loss (Hinton, Vinyals, Dean 2015, arXiv:1503.02531): a weighted sum
// of the cross-entropy on the true labels and the KL divergence between the teacher's and the
// student's temperature-softened class distributions.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, describe } from '../errors';

/**
 * How the soft term is scaled. `temperatureSquared` (Hinton et al.): multiplied by T^2, so its
 * gradients keep their scale as T changes (they shrink as 1/T^2 otherwise). `none`: left as is,
 * alpha * CE + (1 - alpha) * KL (PyTorch's `KLDivLoss(reduction='batchmean')` without the factor).
 */
export type SoftScale = 'temperatureSquared' | 'none';

/** Options for {@link distillationLoss}. */
export interface DistillationLossOptions {
  /** Weight of the hard-label cross-entropy, in [0, 1]; the soft term gets 1 - alpha. Default 0.7. */
  readonly alpha?: number;
  /** Softmax temperature T > 0 of both distributions in the soft term. Default 4. */
  readonly temperature?: number;
  /** Scale of the soft term. Default 'temperatureSquared' (Hinton et al.). */
  readonly softScale?: SoftScale;
}

/** The defaults: alpha 0.7, T 4, the soft term scaled by T^2. */
export const DISTILLATION_DEFAULTS = { alpha: 0.7, temperature: 4, softScale: 'temperatureSquared' } as const;

/** Validated options with defaults filled in. */
export function distillationOptions(
  fn: string,
  options: DistillationLossOptions = {},
): Required<DistillationLossOptions> {
  const alpha = options.alpha ?? DISTILLATION_DEFAULTS.alpha;
  const temperature = options.temperature ?? DISTILLATION_DEFAULTS.temperature;
  const softScale = options.softScale ?? DISTILLATION_DEFAULTS.softScale;
  if (!(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) {
    throw new ConfigError(
      `${fn}: alpha in [0, 1], got ${describe(alpha)}. Use e.g. 0.7 (the weight of the hard-label loss).`,
    );
  }
  if (!(typeof temperature === 'number' && temperature > 0 && Number.isFinite(temperature))) {
    throw new ConfigError(`${fn}: temperature a finite number > 0, got ${describe(temperature)}. Use e.g. 4.`);
  }
  if (softScale !== 'temperatureSquared' && softScale !== 'none') {
    throw new ConfigError(
      `${fn}: softScale 'temperatureSquared' or 'none', got ${describe(softScale)}. Use 'temperatureSquared' (Hinton et al.) unless you compare with an unscaled loss.`,
    );
  }
  return { alpha, temperature, softScale };
}

// tfjs has no stopGradient op: an identity whose gradient is zero. The teacher is frozen, so
// nothing should flow back into its logits even when a caller differentiates through them.
const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (x: tf.Tensor) => tf.Tensor;

/**
 * Batch-mean KL(softmax(teacher / T) || softmax(student / T)) = mean_i sum_c p_t (log p_t - log p_s).
 * Inputs are borrowed; the caller owns the scalar. No gradient flows into the teacher's logits.
 * @example softKl(tf.tensor2d([[0, 0]]), tf.tensor2d([[0, 0]]), 1) // 0
 */
export function softKl(studentLogits: tf.Tensor, teacherLogits: tf.Tensor, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const logPt = tf.logSoftmax(tf.div(stopGradient(teacherLogits), temperature));
    const perExample = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), 1);
    return tf.mean(perExample) as tf.Scalar;
  });
}

function checkShapes(student: tf.Tensor, teacher: tf.Tensor, labels: tf.Tensor): void {
  const s = student.shape;
  if (s.length !== 2) {
    throw new ShapeError(
      `distillationLoss: student logits of rank 2 (batch, classes), got shape [${s.join(', ')}]. Pass the model's logits (no softmax).`,
    );
  }
  if (teacher.shape.length !== 2 || teacher.shape[0] !== s[0] || teacher.shape[1] !== s[1]) {
    throw new ShapeError(
      `distillationLoss: teacher logits of shape [${s.join(', ')}] like the student's, got [${teacher.shape.join(', ')}]. ` +
        `Teacher and student must predict the same classes for the same batch.`,
    );
  }
  if (labels.shape.length !== 2 || labels.shape[0] !== s[0] || labels.shape[1] !== s[1]) {
    throw new ShapeError(
      `distillationLoss: one-hot labels of shape [${s.join(', ')}], got [${labels.shape.join(', ')}]. Pass batch.y (one-hot).`,
    );
  }
}

/**
 * alpha * CE(softmax(student), labels) + (1 - alpha) * k * KL(softmax(teacher/T) || softmax(student/T)),
 * batch means, where k = T^2 (`softScale: 'temperatureSquared'`, the default) or 1 (`'none'`). Labels are one-hot. Inputs are borrowed;
 * the caller owns the scalar.
 * @example distillationLoss(tf.tensor2d([[0, 0]]), tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 0]]), {alpha: 1}) // ln 2
 */
export function distillationLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  labels: tf.Tensor,
  options: DistillationLossOptions = {},
): tf.Scalar {
  const { alpha, temperature, softScale } = distillationOptions('distillationLoss', options);
  checkShapes(studentLogits, teacherLogits, labels);
  return tf.tidy(() => {
    const hard = tf.losses.softmaxCrossEntropy(labels, studentLogits) as tf.Scalar;
    const soft = softKl(studentLogits, teacherLogits, temperature);
    const scale = softScale === 'temperatureSquared' ? temperature * temperature : 1;
    return tf.add(tf.mul(hard, alpha), tf.mul(soft, (1 - alpha) * scale)) as tf.Scalar;
  });
}

/**
 * Class probabilities softmax(logits / T) (the "soft targets"). Borrowed in, owned out.
 * @example softTargets(tf.tensor2d([[0, Math.log(3)]]), 1) // [[0.25, 0.75]]
 */
export function softTargets(logits: tf.Tensor, temperature: number): tf.Tensor {
  distillationOptions('softTargets', { temperature });
  return tf.tidy(() => tf.softmax(tf.div(logits, temperature)));
}
