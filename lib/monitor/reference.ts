// The reference a deployed model is compared against: binned distributions of the input features
// and of the predictions (class and confidence) on training data, computed with the model version
// being served (a new version changes the prediction distributions, so it needs its own reference). Plain JSON, so it can be stored
// beside the model in the registry.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, describe } from '../errors';
import { argmaxRows, featureNames, inputFeatures } from './features';
import { binCounts, quantileEdges, smoothedProportions } from './divergence';

/** One binned feature of the reference. */
export interface BinnedFeature {
  readonly name: string;
  /** Interior edges (see quantileEdges). */
  readonly edges: number[];
  /** Smoothed proportions per bin (edges.length + 1). */
  readonly proportions: number[];
}

/** Binned reference distributions (JSON-serializable). */
export interface DriftReference {
  readonly exampleSize: number;
  readonly classes: number;
  readonly count: number;
  readonly features: BinnedFeature[];
  /** Smoothed proportions of each predicted class. */
  readonly predictedClass: number[];
  readonly confidence: BinnedFeature;
}

/** Options for {@link buildReference}. */
export interface ReferenceOptions {
  /** Quantile bins per input feature. Default 10. */
  readonly bins?: number;
  /**
   * Fixed edges for the confidence (max probability). Default {@link CONFIDENCE_EDGES}: quantile
   * edges would crowd near 1.0, where a well-trained model puts most of its training examples,
   * and flag the ordinary train/test calibration gap as drift.
   */
  readonly confidenceEdges?: readonly number[];
}

/** Default confidence bins: (0, 0.5], (0.5, 0.7], (0.7, 0.9], (0.9, 0.99], (0.99, 0.999], (0.999, 1]. */
export const CONFIDENCE_EDGES: readonly number[] = [0.5, 0.7, 0.9, 0.99, 0.999];

function column(rows: Float32Array, count: number, width: number, j: number): Float32Array {
  const out = new Float32Array(count);
  for (let n = 0; n < count; n++) out[n] = rows[n * width + j] as number;
  return out;
}

function binned(name: string, values: ArrayLike<number>, bins: number): BinnedFeature {
  const edges = quantileEdges(values, bins);
  return { name, edges, proportions: smoothedProportions(binCounts(edges, values)) };
}

/**
 * Builds the reference from `count` examples (row-major `values`, each `exampleSize` long) and
 * the model's class probabilities on them (row-major (count, classes)).
 * @example buildReference(trainPixels, 2000, 784, trainProbs, 10)
 */
export function buildReference(
  values: ArrayLike<number>,
  count: number,
  exampleSize: number,
  probs: ArrayLike<number>,
  classes: number,
  options: ReferenceOptions = {},
): DriftReference {
  const bins = options.bins ?? 10;
  if (!(Number.isInteger(count) && count >= 2 * bins)) {
    throw new ConfigError(
      `buildReference: at least ${2 * bins} reference examples (2 per bin), got ${describe(count)}. Pass more training examples.`,
    );
  }
  if (values.length !== count * exampleSize || probs.length !== count * classes) {
    throw new ConfigError(
      `buildReference: ${count * exampleSize} input values and ${count * classes} probabilities, got ${values.length} and ${probs.length}. ` +
        `Pass row-major arrays of count examples.`,
    );
  }
  const names = featureNames(exampleSize);
  const rows = inputFeatures(values, count, exampleSize);
  const features = names.map((name, j) => binned(name, column(rows, count, names.length, j), bins));
  const { labels, confidences } = argmaxRows(probs, count, classes);
  const classCounts = new Array<number>(classes).fill(0);
  for (const l of labels) classCounts[l] = (classCounts[l] as number) + 1;
  const confidenceEdges = [...(options.confidenceEdges ?? CONFIDENCE_EDGES)];
  const confidence = {
    name: 'confidence',
    edges: confidenceEdges,
    proportions: smoothedProportions(binCounts(confidenceEdges, confidences)),
  };
  return { exampleSize, classes, count, features, predictedClass: smoothedProportions(classCounts), confidence };
}

/**
 * Runs `model` (logits out) on `x` (borrowed) and builds the reference from x and softmax(logits).
 * @example const ref = await referenceFromModel(model, toTensors(mnist.train, {end: 2000}).x)
 */
export async function referenceFromModel(
  model: tf.LayersModel,
  x: tf.Tensor,
  options: ReferenceOptions = {},
): Promise<DriftReference> {
  const count = x.shape[0] as number;
  const exampleSize = x.size / count;
  const probsT = tf.tidy(() => tf.softmax(model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor));
  try {
    const probs = await probsT.data();
    const values = await x.data();
    return buildReference(values, count, exampleSize, probs, probsT.shape[1] as number, options);
  } finally {
    probsT.dispose();
  }
}
