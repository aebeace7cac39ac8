// Small trained models for quantization tests (seconds to train, no disk cache).
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../lib/data/mnist';
import { sliceImageSet, ImageSet } from '../../lib/data/image-set';
import { simpleNet } from '../../lib/models/simplenet';
import { cnn } from '../../lib/models/cnn';
import { fit } from '../../lib/train/fit';

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
