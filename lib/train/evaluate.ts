// Accuracy and loss of a classifier on any DataSource, computed in batches without leaks. The
// model may output logits or probabilities; the loss is the model's own (see modelLoss).
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, describe } from '../errors';
import { CheckedSource, DataSource, SourceBatch, checkBatchOptions, checkedSource, readBatches } from '../data/source';
import { Preprocessing, ResolvedPreprocessing } from '../data/preprocess';
import { LossFn, inputShapeOf, modelLoss, outputUnits } from './model-output';

/** Options for {@link evaluate}. */
export interface EvaluateOptions {
  readonly batchSize?: number;
  /** Use only the first `limit` examples. */
  readonly limit?: number;
  /** How ImageSet pixels become inputs (see data/preprocess.ts); default the set's own, else 'unit' ([0, 1]). */
  readonly preprocessing?: Preprocessing | ResolvedPreprocessing;
  /** Loss of (targets, outputs); default the model's own (cross-entropy on logits for functions). */
  readonly loss?: LossFn;
  /** Input shape (without batch) given to a function predictor; a model's own is used otherwise. */
  readonly inputShape?: readonly number[];
}

/** Accuracy (fraction in [0, 1]) and mean loss on a data set. */
export interface Evaluation {
  readonly accuracy: number;
  readonly loss: number;
  readonly count: number;
}

/** Anything that maps a batch of inputs to class scores: a LayersModel or a function (e.g. a runtime). */
export type Predictor = tf.LayersModel | ((x: tf.Tensor) => tf.Tensor);

/** Runs a predictor on x (inference mode). The caller owns the result. */
export function runPredictor(predictor: Predictor, x: tf.Tensor): tf.Tensor {
  return typeof predictor === 'function'
    ? predictor(x)
    : (predictor.predict(x, { batchSize: x.shape[0] }) as tf.Tensor);
}

function checkPredictor(predictor: unknown, fn: string): asserts predictor is Predictor {
  if (typeof predictor === 'function') return;
  if (!(predictor instanceof tf.LayersModel)) {
    throw new ConfigError(
      `${fn}: a tf.LayersModel or a function of inputs, got ${describe(predictor)}. ` +
        `Pass the model (a graph model can be wrapped: (x) => graphModel.predict(x)).`,
    );
  }
}

/** The one check of evaluate and predictLabels (the predictor, the data, the batch options); the data comes back checked. */
function checkReader(predictor: unknown, data: DataSource, options: EvaluateOptions, fn: string): CheckedSource {
  checkPredictor(predictor, fn);
  const checked = checkedSource(data, fn);
  checkBatchOptions(options, fn);
  return checked;
}

async function* predictorBatches(
  predictor: Predictor,
  data: CheckedSource,
  options: EvaluateOptions,
  fn: string,
  targets: 'required' | 'none',
): AsyncGenerator<SourceBatch, void, undefined> {
  const model = typeof predictor === 'function' ? undefined : predictor;
  yield* readBatches(data, {
    batchSize: options.batchSize ?? 256,
    limit: options.limit,
    ...(options.preprocessing ? { preprocessing: options.preprocessing } : {}),
    targets,
    caller: fn,
    ...(model
      ? { inputShape: inputShapeOf(model, fn), classes: outputUnits(model, fn) }
      : options.inputShape
        ? { inputShape: options.inputShape }
        : {}),
  });
}

function classIndex(scores: tf.Tensor): tf.Tensor {
  // One sigmoid unit: class 1 above 0.5 (or above logit 0); several: the argmax.
  return scores.shape[1] === 1 ? tf.cast(tf.greater(tf.reshape(scores, [-1]), 0.5), 'int32') : tf.argMax(scores, 1);
}

/**
 * Evaluates a classifier (logits or probabilities out) on labelled data.
 * @example (await evaluate(model, loadMnist().test)).accuracy // e.g. 0.981
 */
export async function evaluate(
  predictor: Predictor,
  data: DataSource,
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  return evaluateChecked(predictor, checkReader(predictor, data, options, 'evaluate'), options);
}

/**
 * {@link evaluate} on data a verb checked (checkedSource) with options the library built (a
 * positive batchSize and limit): nothing is checked again. `fn` names that verb in errors.
 */
export async function evaluateChecked(
  predictor: Predictor,
  data: CheckedSource,
  options: EvaluateOptions = {},
  fn = 'evaluate',
): Promise<Evaluation> {
  const lossFn: LossFn =
    options.loss ??
    (typeof predictor === 'function'
      ? (y, p) => tf.losses.softmaxCrossEntropy(y, p) as tf.Scalar
      : modelLoss(predictor));
  let correct = 0;
  let lossSum = 0;
  let count = 0;
  for await (const b of predictorBatches(predictor, data, options, fn, 'required')) {
    const ys = b.ys;
    if (!ys) throw new ConfigError(`${fn}: labelled data (ys), got a batch without targets. Give the data {xs, ys}.`);
    const [c, l] = tf.tidy(() => {
      const out = runPredictor(predictor, b.xs);
      if (out.rank !== 2 || out.shape[1] !== ys.shape[1]) {
        throw new ShapeError(
          `${fn}: outputs of shape [n, ${ys.shape[1]}] (one score per class of the data), got [${out.shape.join(', ')}]. ` +
            `Pass a classifier whose last layer has one unit per class.`,
        );
      }
      const truth = ys.shape[1] === 1 ? tf.cast(tf.greater(tf.reshape(ys, [-1]), 0.5), 'int32') : tf.argMax(ys, 1);
      const hits = tf.sum(tf.cast(tf.equal(classIndex(out), truth), 'float32'));
      return [hits, tf.mul(lossFn(ys, out), b.size)];
    });
    const [cv, lv] = await Promise.all([c.data(), l.data()]);
    correct += cv[0] as number;
    lossSum += lv[0] as number;
    count += b.size;
    tf.dispose([c, l]);
  }
  if (count === 0) throw new ConfigError(`${fn}: at least one example, got none. Pass a non-empty data set.`);
  return { accuracy: correct / count, loss: lossSum / count, count };
}

/** Predicted class of each example (plain data). */
export async function predictLabels(
  predictor: Predictor,
  data: DataSource,
  options: EvaluateOptions = {},
): Promise<Int32Array> {
  const checked = checkReader(predictor, data, options, 'predictLabels');
  const parts: Int32Array[] = [];
  for await (const b of predictorBatches(predictor, checked, options, 'predictLabels', 'none')) {
    const p = tf.tidy(() => classIndex(runPredictor(predictor, b.xs)));
    parts.push(Int32Array.from(await p.data()));
    p.dispose();
  }
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}
