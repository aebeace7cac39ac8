// FitNets hint loss (Romero et al. 2015, arXiv:1412.6550): the student's intermediate features,
// mapped by a learned linear projection (the "regressor"), are pulled towards the teacher's
// intermediate features by a mean squared error. Here it is trained jointly with the
// distillation loss (FitNets trains the hint stage first), weighted by `weight`.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';

/** Options of the hint loss. */
export interface HintOptions {
  /** Name of the student layer whose output is guided. */
  readonly studentLayer: string;
  /** Name of the teacher layer whose output is the hint. */
  readonly teacherLayer: string;
  /** Weight of the hint term added to the distillation loss. Default 1. */
  readonly weight?: number;
}

/** The pieces the trainer needs: feature extractors and the projection variable. */
export interface Hint {
  readonly weight: number;
  /** Student features (n, ds), in the training graph (gradients flow into the student). */
  student(x: tf.Tensor): tf.Tensor2D;
  /** Teacher features (n, dt), inference mode. */
  teacher(x: tf.Tensor): tf.Tensor2D;
  /** The learned projection (ds, dt); the caller disposes it after training. */
  readonly projection: tf.Variable;
}

function layerOutput(fn: string, model: tf.LayersModel, name: string, role: string): tf.SymbolicTensor {
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(name);
  } catch {
    throw new ConfigError(
      `${fn}: hint.${role}Layer the name of a ${role} layer (${model.layers.map((l) => l.name).join(', ')}), got ${describe(name)}. Pick one of those.`,
    );
  }
  return layer.output as tf.SymbolicTensor;
}

let hintCount = 0;
const flatten = (t: tf.Tensor): tf.Tensor2D => tf.reshape(t, [t.shape[0] as number, -1]);
const elements = (shape: (number | null)[]) => shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);

/** Builds the hint pieces for a student and teacher (models borrowed; sub-models share their layers). */
export function makeHint(
  fn: string,
  student: tf.LayersModel,
  teacher: tf.LayersModel,
  options: HintOptions,
  seed: number,
): Hint {
  const weight = options.weight ?? 1;
  if (!(weight >= 0 && Number.isFinite(weight))) {
    throw new ConfigError(`${fn}: hint.weight a finite number >= 0, got ${describe(weight)}. Use e.g. 1.`);
  }
  const sOut = layerOutput(fn, student, options.studentLayer, 'student');
  const tOut = layerOutput(fn, teacher, options.teacherLayer, 'teacher');
  const sFeatures = tf.model({ inputs: student.inputs, outputs: sOut });
  const tFeatures = tf.model({ inputs: teacher.inputs, outputs: tOut });
  const ds = elements(sOut.shape);
  const dt = elements(tOut.shape);
  // tidy disposes the initial value; the variable (its own tensor) survives tidy.
  const projection = tf.tidy(() =>
    tf.variable(
      tf.initializers.glorotUniform({ seed }).apply([ds, dt]) as tf.Tensor2D,
      true,
      `hint_projection_${++hintCount}`,
    ),
  );
  return {
    weight,
    projection,
    student: (x) => flatten(sFeatures.apply(x, { training: true }) as tf.Tensor),
    teacher: (x) => flatten(tFeatures.predict(x) as tf.Tensor),
  };
}

/** Mean squared error between projected student features and teacher features. Owned out. */
export function hintLoss(
  studentFeatures: tf.Tensor2D,
  teacherFeatures: tf.Tensor2D,
  projection: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(
    () => tf.mean(tf.square(tf.sub(tf.matMul(studentFeatures, projection), teacherFeatures))) as tf.Scalar,
  );
}
