// Fine-tuning shared weights (Deep Compression, Han et al. 2016, arXiv:1510.00149, Sec. 3.3):
// each clustered kernel is rebuilt from its centroids in the forward pass, and the gradient of a
// centroid is the sum of its weights' gradients; only the centroids train. Weight sharing and
// Deep Compression both use it.
import * as tf from '@tensorflow/tfjs';
import { CheckedSource, DataSource, checkedSource } from '../data/source';
import { FitOptions, checkFitOptions, fitChecked } from '../train/fit';
import { modelGraph, runGraph } from '../core/graph';
import { weightLayerForward } from './qat';
import { SharedTensor, decodeShared } from './kmeans';

/** How centroids are fine-tuned. */
export interface CentroidFineTune {
  readonly epochs: number;
  /** Default 1e-4. */
  readonly learningRate?: number;
  /** Default 128. */
  readonly batchSize?: number;
}

/**
 * The kernel of shared values `centroids[indices]` (shape `shape`) with the gradient of each
 * centroid summed over its weights (a segment sum in plain data: wasm has no UnsortedSegmentSum
 * kernel for tf.gather's own gradient).
 */
function sharedKernel(
  centroids: tf.Variable,
  indices: tf.Tensor,
  codes: Uint8Array | Uint16Array | Int32Array,
  shape: readonly number[],
  reserveZero: boolean,
): tf.Tensor {
  const op = tf.customGrad(((c: tf.Tensor) => ({
    value: tf.reshape(tf.gather(c, indices), [...shape]),
    gradFunc: (dy: tf.Tensor) => {
      const g = dy.dataSync();
      const sums = new Float32Array(c.size);
      for (let j = 0; j < g.length; j++) sums[codes[j] as number]! += g[j] as number;
      if (reserveZero) sums[0] = 0; // pruned weights stay exactly zero
      return tf.tensor1d(sums);
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(centroids);
}

/** Centroid fine-tuning as its verb checked it: the data and fit's options. */
export interface CheckedCentroidTuning {
  readonly data: CheckedSource;
  readonly fit: Pick<FitOptions, 'epochs' | 'seed' | 'batchSize' | 'learningRate'>;
  /** The verb, for error messages. */
  readonly fn: string;
}

/** Checks the data and the fine-tuning options once, at the verb `fn` (before any clustering). */
export function checkCentroidTuning(
  data: DataSource,
  ft: CentroidFineTune | undefined,
  seed: number,
  fn: string,
): CheckedCentroidTuning {
  const fitOptions = {
    epochs: ft?.epochs ?? 1,
    seed,
    batchSize: ft?.batchSize ?? 128,
    learningRate: ft?.learningRate ?? 1e-4,
  };
  checkFitOptions(fitOptions, fn);
  return { data: checkedSource(data, fn), fit: fitOptions, fn };
}

/**
 * Trains the centroids of `shared` (layers of `model` by name, each with a registry kernel op) on
 * `data`, every other weight frozen, and writes the trained codebooks back into `shared`; returns
 * the optimizer steps. With `reserveZero`, code 0 stays exactly zero (pruned weights stay pruned).
 */
export async function fineTuneCentroids(
  model: tf.LayersModel,
  shared: Record<string, SharedTensor>,
  tuning: CheckedCentroidTuning,
  reserveZero: boolean,
): Promise<number> {
  const graph = modelGraph(model, tuning.fn);
  const names = Object.keys(shared);
  const centroids = names.map((n) => {
    const init = tf.tensor1d((shared[n] as SharedTensor).codebook);
    const v = tf.variable(init);
    init.dispose();
    return v;
  });
  const indices = names.map((n) => tf.tensor1d(Int32Array.from((shared[n] as SharedTensor).indices), 'int32'));
  try {
    // fit trains only the centroids; the forward pass builds each clustered kernel from them.
    const history = await fitChecked(
      model,
      tuning.data,
      {
        ...tuning.fit,
        variables: centroids,
        forward: (xs) =>
          runGraph(
            graph,
            xs,
            {
              apply: (node, ins) => {
                const i = names.indexOf(node.name);
                if (i < 0) return undefined;
                const s = shared[node.name] as SharedTensor;
                return weightLayerForward(
                  node,
                  ins[0] as tf.Tensor,
                  sharedKernel(centroids[i] as tf.Variable, indices[i] as tf.Tensor, s.indices, s.shape, reserveZero),
                );
              },
            },
            { training: false }, // BatchNormalization in inference form: the centroids are tuned for the model that ships
          ),
      },
      tuning.fn,
    );
    names.forEach((n, i) => {
      shared[n] = {
        ...(shared[n] as SharedTensor),
        codebook: Float32Array.from((centroids[i] as tf.Variable).dataSync()),
      };
    });
    return history.steps;
  } finally {
    tf.dispose([...centroids, ...indices]);
  }
}

/** Writes each shared kernel's values into the layer of `model` of that name, at its kernel index. */
export function writeSharedKernels(
  model: tf.LayersModel,
  shared: Readonly<Record<string, SharedTensor>>,
  kernelIndex: (layer: string) => number,
): void {
  for (const [name, s] of Object.entries(shared)) {
    const layer = model.getLayer(name);
    const kernel = tf.tensor(decodeShared(s), [...s.shape]);
    layer.setWeights(layer.getWeights().map((w, i) => (i === kernelIndex(name) ? kernel : w)));
    kernel.dispose(); // getWeights() gives the variables' own values: not ours to dispose
  }
}
