// The course brief's distillation loss: alpha 0.7, temperature 4, and the soft term NOT
// multiplied by T^2 (the brief's PyTorch code: alpha * CE + (1 - alpha) * KLDiv(batchmean)).
// Hinton et al. (arXiv:1503.02531) multiply it by T^2, the library's default; notebook 05 shows
// the difference. This is the course's variant, named here so the library keeps a neutral option.
import * as tf from '@tensorflow/tfjs';
import { distillationLoss, DistillationLossOptions } from '../lib/distill/loss';

/** The brief's options for `distill.distillationLoss` and `distill.train`. */
export const BRIEF_DISTILLATION: Required<DistillationLossOptions> = { alpha: 0.7, temperature: 4, softScale: 'none' };

/**
 * The brief's loss: `distill.distillationLoss` with {@link BRIEF_DISTILLATION}. Inputs are borrowed;
 * the caller owns the scalar.
 * @example briefDistillationLoss(tf.tensor2d([[0, 0]]), tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 0]])) // 0.7 ln 2
 */
export function briefDistillationLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  labels: tf.Tensor,
): tf.Scalar {
  return distillationLoss(studentLogits, teacherLogits, labels, BRIEF_DISTILLATION);
}
