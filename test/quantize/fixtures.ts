// Small trained models for quantization tests (seconds to train, no disk cache), and small
// untrained topologies of the shapes the placement rule must handle.
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet, ImageSet } from '../../lib/data/image-set';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { mobileNetStyle } from '../../course/models/mobilenet-style';
import { fit } from '../../lib/train/fit';
import { randomizeWeights } from '../export/fixtures';

let data: { train: ImageSet; test: ImageSet } | undefined;
/** 3,000 MNIST training and 500 test examples. */
export function smallMnist(): { train: ImageSet; test: ImageSet } {
  if (!data) {
    const m = loadMnist();
    data = { train: sliceImageSet(m.train, 0, 3000), test: sliceImageSet(m.test, 0, 500) };
  }
  return data;
}

/** A 784-64-32-10 MLP trained one epoch on 3,000 examples. */
export async function tinyMlp(): Promise<tf.LayersModel> {
  const model = simpleNet({ seed: 1, hidden: [64, 32] });
  await fit(model, smallMnist().train, { epochs: 2, seed: 1, learningRate: 3e-3 });
  return model;
}

/** The course CNN (4 and 8 filters) trained one epoch on 3,000 examples. */
export async function tinyCnn(): Promise<tf.LayersModel> {
  const model = cnn({ seed: 1, filters: [4, 8], hidden: 32 });
  await fit(model, sliceImageSet(smallMnist().train, 0, 1500), { epochs: 1, seed: 1, learningRate: 3e-3 });
  return model;
}

/**
 * A two-stage MobileNetV2-style network on 16x16x3 inputs (ZeroPadding2D, ReLU6, depthwise,
 * BatchNormalization, a residual Add, global pooling, softmax) with seeded random weights and
 * BatchNormalization statistics.
 */
export function miniMobileNet(seed: number): tf.LayersModel {
  const m = mobileNetStyle({
    seed,
    alpha: 0.35,
    inputShape: [16, 16, 3],
    classes: 4,
    stages: [
      [1, 16, 1, 1],
      [6, 24, 2, 2],
    ],
    lastFilters: 32,
  });
  randomizeWeights(m, seed);
  return m;
}

/** conv -> BN -> Add(shortcut) -> ReLU, as ResNet builds it, then a conv whose output goes through a sigmoid, and a concatenation. */
export function residualModel(seed: number): tf.LayersModel {
  const sym = (l: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => l.apply(x) as tf.SymbolicTensor;
  const inp = tf.input({ shape: [8, 8, 4], name: 'image' });
  const c1 = sym(tf.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same', useBias: false }), inp);
  const bn = sym(tf.layers.batchNormalization({ name: 'bn1' }), c1);
  const add = sym(tf.layers.add({ name: 'add' }), [bn, inp]);
  const relu = sym(tf.layers.activation({ name: 'add_relu', activation: 'relu' }), add);
  const c2 = sym(tf.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 1 }), relu);
  const sig = sym(tf.layers.activation({ name: 'sig', activation: 'sigmoid' }), c2);
  const c3 = sym(tf.layers.conv2d({ name: 'c3', filters: 4, kernelSize: 1 }), relu);
  const r3 = sym(tf.layers.reLU({ name: 'r3' }), c3);
  const cat = sym(tf.layers.concatenate({ name: 'cat' }), [sig, r3, c3]);
  const gap = sym(tf.layers.globalAveragePooling2d({ name: 'gap' }), cat);
  const out = sym(tf.layers.dense({ name: 'out', units: 3 }), gap);
  const model = tf.model({ inputs: inp, outputs: out, name: 'residual' });
  randomizeWeights(model, seed);
  return model;
}
