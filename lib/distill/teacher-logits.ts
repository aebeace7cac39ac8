// The frozen teacher's logits, either computed for each batch or computed once over the whole
// training set and gathered per batch. Caching is valid because `fit` draws its batch order from
// the seed (epoch e shuffles with permutation(count, seed + e)), so the order is reproducible;
// the labels of each gathered batch are compared with the batch's own to catch any drift. A
// teacher that outputs probabilities (softmax last, as most Keras classifiers) gives log(p) as
// its logits (softmax(log p / T) is the tempered distribution of p).
import * as tf from '@tensorflow/tfjs';
import { CompressionError, ShapeError } from '../errors';
import { permutation } from '../core/rng';
import { ImageSet } from '../data/image-set';
import { SourceBatch } from '../data/source';
import { batches } from '../data/tensors';
import { asLogits, inputShapeOf, outputKind } from '../train/model-output';

/** Reshapes a batch's inputs to a model's input shape (same element count, e.g. (n, 784) <-> (n, 28, 28, 1)). Owned out. */
export function toInputShape(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return tf.reshape(x, [x.shape[0] as number, ...shape]);
}

/** The teacher's logits for inputs `x` (any shape with the teacher's element count). Owned out. */
export function teacherOutputs(teacher: tf.LayersModel, x: tf.Tensor): tf.Tensor {
  const shape = inputShapeOf(teacher, 'distill.train');
  return tf.tidy(() =>
    asLogits(teacher.predict(toInputShape(x, shape), { batchSize: x.shape[0] }) as tf.Tensor, outputKind(teacher)),
  );
}

/** Supplies teacher logits for each training step of `fit`. */
export interface TeacherLogitSource {
  /** Call from fit's beforeStep. */
  setStep(step: number): void;
  /** Teacher logits (n, classes) for the current batch; call inside fit's loss (a tidy scope). */
  logits(batch: SourceBatch): tf.Tensor;
  readonly mode: 'cached' | 'per-batch';
  /** Time spent computing the cached logits up front (0 per-batch). */
  readonly precomputeSeconds: number;
}

/** Teacher logits computed on the fly (inference mode) from each batch. */
export function perBatchTeacher(teacher: tf.LayersModel): TeacherLogitSource {
  return {
    mode: 'per-batch',
    precomputeSeconds: 0,
    setStep: () => undefined,
    logits: (b) => teacherOutputs(teacher, b.xs),
  };
}

/**
 * The teacher's logits for every example of `ds`, in data order, as plain data (count x classes,
 * row-major). Compute once and pass as `teacherLogits` to train several students on one teacher.
 * @example const table = await teacherLogits(teacher, mnist.train) // Float32Array(600000)
 */
export async function teacherLogits(teacher: tf.LayersModel, ds: ImageSet): Promise<Float32Array> {
  let table: Float32Array | undefined;
  let row = 0;
  for (const b of batches(ds, { batchSize: 1000 })) {
    const out = teacherOutputs(teacher, b.xs);
    const classes = out.shape[1] as number;
    table ??= new Float32Array(ds.count * classes);
    table.set((await out.data()) as Float32Array, row * classes);
    row += b.labels.length;
    out.dispose();
  }
  return table ?? new Float32Array(0);
}

/** Teacher logits from a table over `ds` (computed now unless given), gathered for fit's seeded batches. */
export async function cachedTeacher(
  teacher: tf.LayersModel,
  ds: ImageSet,
  seed: number,
  batchSize: number,
  table?: Float32Array,
): Promise<TeacherLogitSource> {
  const t0 = performance.now();
  const logits = table ?? (await teacherLogits(teacher, ds));
  const classes = ds.classNames.length;
  if (logits.length !== ds.count * classes) {
    throw new ShapeError(
      `distill.train: teacherLogits of length ${ds.count * classes} (${ds.count} examples x ${classes} classes), got ${logits.length}. ` +
        `Compute it with distill.teacherLogits(teacher, data) on the same data set.`,
    );
  }
  const precomputeSeconds = (performance.now() - t0) / 1000;
  const nBatches = Math.ceil(ds.count / batchSize);
  let order: Int32Array = new Int32Array(0);
  let orderEpoch = -1;
  let step = 1;
  return {
    mode: 'cached',
    precomputeSeconds,
    setStep: (s) => {
      step = s;
    },
    logits: (b) => {
      const epoch = Math.floor((step - 1) / nBatches);
      if (epoch !== orderEpoch) {
        order = permutation(ds.count, seed + epoch);
        orderEpoch = epoch;
      }
      const start = ((step - 1) % nBatches) * batchSize;
      const labels = b.labels as Uint8Array;
      const n = labels.length;
      const out = new Float32Array(n * classes);
      for (let i = 0; i < n; i++) {
        const k = order[start + i] as number;
        if (ds.labels[k] !== labels[i]) {
          throw new CompressionError(
            `distill.train: cached teacher logits in fit's batch order, got a batch whose labels differ at step ${step}. ` +
              `Use teacherLogits: 'per-batch' (fit's batch order changed).`,
          );
        }
        out.set(logits.subarray(k * classes, (k + 1) * classes), i * classes);
      }
      return tf.tensor2d(out, [n, classes]);
    },
  };
}
