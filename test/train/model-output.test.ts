import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { outputKind } from '../../lib/train/model-output';
import { layersModelContract } from '../../lib/serve/contract';

function ending(last: tf.layers.Layer): tf.LayersModel {
  return tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] }), last] });
}

describe('train/outputKind (the one answer to "does the model output probabilities")', () => {
  it('says probabilities after softmax or sigmoid (inline, Activation or Softmax layer), logits otherwise, in train and serve alike', () => {
    const cases: [tf.LayersModel, 'logits' | 'probabilities'][] = [
      [ending(tf.layers.dense({ units: 2, activation: 'softmax' })), 'probabilities'],
      [ending(tf.layers.dense({ units: 1, activation: 'sigmoid' })), 'probabilities'],
      [ending(tf.layers.activation({ activation: 'sigmoid' })), 'probabilities'],
      [ending(tf.layers.softmax()), 'probabilities'],
      [ending(tf.layers.dense({ units: 2 })), 'logits'],
      [ending(tf.layers.dense({ units: 2, activation: 'relu' })), 'logits'],
      [ending(tf.layers.reLU()), 'logits'],
    ];
    for (const [model, kind] of cases) {
      expect(outputKind(model), model.layers[1]?.name).to.equal(kind);
      expect(layersModelContract(model).outputKind, model.layers[1]?.name).to.equal(kind);
      model.dispose();
    }
  });
});
