// deploy.json's output kind for a layers model is train's answer (the one the server and the loss
// use): softmax or sigmoid last is 'probabilities' (a sigmoid was 'unknown' before, and a server
// reading an ONNX artifact could then apply softmax to per-unit probabilities), anything else 'logits'.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { outputKind } from '../../lib/pipeline/deploy-input';

function net(last: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  return tf.model({ inputs: input, outputs: last(input) });
}

describe('pipeline/deploy-input outputKind', () => {
  it('softmax (inline or a layer) and sigmoid are probabilities, a plain Dense is logits', () => {
    const dense = (activation?: 'softmax' | 'sigmoid') => (x: tf.SymbolicTensor) =>
      tf.layers.dense({ units: 3, ...(activation ? { activation } : {}) }).apply(x) as tf.SymbolicTensor;
    const cases: [tf.LayersModel, string][] = [
      [net(dense('softmax')), 'probabilities'],
      [net(dense('sigmoid')), 'probabilities'],
      [net((x) => tf.layers.softmax().apply(dense()(x)) as tf.SymbolicTensor), 'probabilities'],
      [net(dense()), 'logits'],
    ];
    for (const [model, kind] of cases) {
      expect(outputKind({ kind: 'layers', model })).to.equal(kind);
      model.dispose();
    }
  });
});
