// Accuracy and loss of a classifier that outputs logits, computed in batches without leaks.
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors';
import { Dataset } from '../data/dataset';
import { batches, InputLayout } from '../data/tensors';

/** Options for {@link evaluate}. */
export interface EvaluateOptions {
  readonly layout?: InputLayout;
  readonly batchSize?: number;
  /** Use only the first `limit` examples. */
  readonly limit?: number;
}

/** Accuracy (fraction in [0, 1]) and mean cross-entropy of a logits model on a data set. */
export interface Evaluation {
  readonly accuracy: number;
  readonly loss: number;
  readonly count: number;
}

/** Anything that maps a batch of inputs to logits: a LayersModel or a function. */
export type Predictor = tf.LayersModel | ((x: tf.Tensor) => tf.Tensor);

/** Runs a predictor on x (inference mode). The caller owns the result. */
export function runPredictor(predictor: Predictor, x: tf.Tensor): tf.Tensor {
  return typeof predictor === 'function' ? predictor(x) : (predictor.predict(x, { batchSize: x.shape[0] }) as tf.Tensor);
}

/**
 * Evaluates a classifier whose outputs are logits.
 * @example (await evaluate(model, loadMnist().test)).accuracy // e.g. 0.981
 */
export async function evaluate(predictor: Predictor, ds: Dataset, options: EvaluateOptions = {}): Promise<Evaluation> {
  const data = options.limit !== undefined && options.limit < ds.count
    ? { ...ds, count: options.limit, labels: ds.labels.subarray(0, options.limit) } : ds;
  let correct = 0;
  let lossSum = 0;
  for (const b of batches(data, { batchSize: options.batchSize ?? 1000, layout: options.layout ?? inferLayout(predictor) })) {
    const [c, l] = tf.tidy(() => {
      const logits = runPredictor(predictor, b.x);
      if (logits.rank !== 2 || logits.shape[1] !== b.y.shape[1]) {
        throw new ShapeError(`evaluate: logits of shape [n, ${b.y.shape[1]}], got [${logits.shape.join(', ')}]. ` +
          `Pass a model whose last layer has one unit per class and no softmax.`);
      }
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(b.y, 1)), 'float32'));
      const loss = tf.mul(tf.losses.softmaxCrossEntropy(b.y, logits), b.y.shape[0]);
      return [hits, loss];
    });
    correct += (await c.data())[0] as number;
    lossSum += (await l.data())[0] as number;
    c.dispose();
    l.dispose();
  }
  return { accuracy: correct / data.count, loss: lossSum / data.count, count: data.count };
}

/** 'image' for models whose input is rank 4, else 'flat'. */
export function inferLayout(predictor: Predictor): InputLayout {
  if (typeof predictor === 'function') return 'flat';
  const shape = predictor.inputs[0]?.shape ?? [];
  return shape.length === 4 ? 'image' : 'flat';
}

/** Predicted class of each example (plain data). */
export async function predictLabels(predictor: Predictor, ds: Dataset, options: EvaluateOptions = {}): Promise<Int32Array> {
  const out = new Int32Array(ds.count);
  let i = 0;
  for (const b of batches(ds, { batchSize: options.batchSize ?? 1000, layout: options.layout ?? inferLayout(predictor) })) {
    const p = tf.tidy(() => tf.argMax(runPredictor(predictor, b.x), 1));
    out.set(await p.data() as Int32Array, i);
    i += b.labels.length;
    p.dispose();
  }
  return out;
}
