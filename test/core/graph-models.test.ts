// Graph models (tf.loadGraphModel): the hand-written fixtures compute what they say, profile
// works on them, and every verb that needs layers refuses them with a typed error naming itself
// and what to do, leaving the backend usable.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { prune, quantize, distill, exporters, profile, fit, evaluate, CompressionError, ConfigError } from '../../lib';
import { calibrateRanges } from '../../lib/quantize/calibrate';
import { foldBatchNorm } from '../../lib/quantize/fold-batchnorm';
import { simpleNet } from '../../course/models/simplenet';
import { ModelArtifacts } from '../../lib/data/model-files';
import { onBackend, maxAbsDiff } from '../helpers/backends';
import { mnistGraph, mobilenetGraph, stockGraphModel } from '../fixtures/graph-models';

/** The fixture's weights by their short name (layer/op), decoded by stock tfjs. */
function weights(a: ModelArtifacts): Record<string, tf.Tensor> {
  const w = a.weightData;
  const map = tf.io.decodeWeights(
    w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer,
    a.modelJson.weightsManifest.flatMap((g) => g.weights),
  );
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k.split('/').slice(-3, -1).join('/'), v]));
}

// The same functions as the fixtures' GraphDefs, written with tfjs ops (NHWC, filters [kh, kw, in, out]).
function mnistMath(w: Record<string, tf.Tensor>, x: tf.Tensor4D): tf.Tensor {
  const t = (k: string) => w[k] as tf.Tensor;
  let y: tf.Tensor = tf.relu(tf.add(tf.conv2d(x, t('conv1/Conv2D') as tf.Tensor4D, 1, 'same'), t('conv1/BiasAdd')));
  y = tf.maxPool(y as tf.Tensor4D, 2, 2, 'valid');
  y = tf.relu(tf.add(tf.conv2d(y as tf.Tensor4D, t('conv2/Conv2D') as tf.Tensor4D, 1, 'valid'), t('conv2/BiasAdd')));
  y = tf.reshape(tf.avgPool(y as tf.Tensor4D, 2, 2, 'valid'), [-1, 576]);
  y = tf.relu(tf.add(tf.matMul(y as tf.Tensor2D, t('fc1/MatMul') as tf.Tensor2D), t('fc1/BiasAdd')));
  return tf.softmax(tf.add(tf.matMul(y as tf.Tensor2D, t('fc2/MatMul') as tf.Tensor2D), t('fc2/BiasAdd')));
}

function mobilenetMath(w: Record<string, tf.Tensor>, x: tf.Tensor4D): tf.Tensor {
  const t = (k: string) => w[k] as tf.Tensor;
  const relu6 = (v: tf.Tensor) => tf.clipByValue(v, 0, 6);
  const stem = relu6(
    tf.add(tf.conv2d(x, t('stem/Conv2D') as tf.Tensor4D, 2, 'same'), t('stem/BiasAdd')),
  ) as tf.Tensor4D;
  const dw1 = relu6(
    tf.add(tf.depthwiseConv2d(stem, t('dw1/depthwise') as tf.Tensor4D, 1, 'same'), t('dw1/BiasAdd')),
  ) as tf.Tensor4D;
  const pw1 = tf.add(tf.conv2d(dw1, t('pw1/Conv2D') as tf.Tensor4D, 1, 'valid'), t('pw1/BiasAdd'));
  const r = relu6(tf.add(stem, pw1)) as tf.Tensor4D;
  const dw2 = relu6(
    tf.add(tf.depthwiseConv2d(r, t('dw2/depthwise') as tf.Tensor4D, 2, 'same'), t('dw2/BiasAdd')),
  ) as tf.Tensor4D;
  const pw2 = relu6(tf.add(tf.conv2d(dw2, t('pw2/Conv2D') as tf.Tensor4D, 1, 'valid'), t('pw2/BiasAdd')));
  const gap = tf.mean(pw2, [1, 2]) as tf.Tensor2D;
  return tf.softmax(tf.add(tf.matMul(gap, t('logits/MatMul') as tf.Tensor2D), t('logits/BiasAdd')));
}

describe('core: graph models', () => {
  for (const [name, make, math] of [
    ['MNIST CNN', mnistGraph, mnistMath],
    ['MobileNet block', mobilenetGraph, mobilenetMath],
  ] as const) {
    it(`the hand-written ${name} graph runs in stock tf.loadGraphModel and equals the same math in tfjs ops (cpu) and its layers model`, async () => {
      const f = make(7);
      const g = await stockGraphModel(f.artifacts);
      const x = tf.randomUniform(
        [3, ...f.inputShape] as [number, number, number, number],
        0,
        1,
        'float32',
        9,
      ) as tf.Tensor4D;
      const y = g.predict(x) as tf.Tensor;
      const reference = await onBackend('cpu', () => {
        const xc = tf.tensor(x.dataSync(), x.shape) as tf.Tensor4D;
        const w = weights(f.artifacts);
        const out = math(w, xc);
        const values = out.dataSync().slice();
        tf.dispose([xc, out, ...Object.values(w)]);
        return values;
      });
      const ref = tf.tensor(reference, y.shape);
      const fromLayers = f.layers.predict(x) as tf.Tensor;
      expect(y.shape).to.deep.equal([3, 10]);
      expect(maxAbsDiff(y, ref)).to.be.below(1e-5);
      expect(maxAbsDiff(y, fromLayers)).to.be.below(1e-5);
      // Not a constant function: the three examples get different outputs.
      expect(maxAbsDiff(y.slice(0, 1), y.slice(1, 1))).to.be.above(1e-4);
      tf.dispose([x, y, ref, fromLayers]);
      g.dispose();
      f.layers.dispose();
    });
  }

  it('every verb that needs layers refuses a graph model with a ConfigError naming itself and what to do; the backend still works', async () => {
    const f = mnistGraph(1);
    f.layers.dispose();
    const g = (await stockGraphModel(f.artifacts)) as unknown as tf.LayersModel;
    const other = simpleNet({ seed: 1 });
    const data = { xs: tf.zeros([4, 28, 28, 1]), ys: tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10) };
    const verbs: [string, () => unknown][] = [
      ['prune.magnitude', () => prune.magnitude(g, { sparsity: 0.5 })],
      ['prune.channels', () => prune.channels(g, { sparsity: 0.5 })],
      ['quantize.postTraining', () => quantize.postTraining(g, { mode: 'weight-only' } as never)],
      [
        'quantize.quantizationAwareTraining',
        () => quantize.quantizationAwareTraining(g, data, { epochs: 1, seed: 1 } as never),
      ],
      ['quantize.weightSharing', () => quantize.weightSharing(g, { clusters: 4, seed: 1 } as never)],
      ['quantize.calibrateRanges', () => calibrateRanges(g, data)],
      ['quantize.convertQat', () => quantize.convertQat(g, { ranges: {} })],
      ['quantize.foldBatchNorm', () => foldBatchNorm(g)],
      ['distill.train', () => distill.train(other, data, { teacher: g, epochs: 1, seed: 1 } as never)],
      ['distill.train', () => distill.train(g, data, { teacher: other, epochs: 1, seed: 1 } as never)],
      ['toOnnx', () => exporters.toOnnx(g)],
      ['exporters.quantizedArtifacts', () => exporters.quantizedArtifacts(g, { dtype: 'uint8' })],
      ['fit', () => fit(g, data, { epochs: 1, seed: 1 } as never)],
      ['evaluate', () => evaluate(g, data)],
    ];
    const before = tf.memory().numTensors;
    for (const [fn, call] of verbs) {
      let err: unknown;
      try {
        await call();
      } catch (e) {
        err = e;
      }
      expect(err, fn).to.be.instanceOf(CompressionError);
      expect(err, fn).to.be.instanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg.startsWith(`${fn}: a tf.LayersModel`), `${fn}: ${msg}`).to.equal(true);
      expect(msg, fn).to.match(/GraphModel/);
      // What to do: the graph-model route (profile, quantizeGraphArtifacts) or wrapping it as a function.
      expect(msg, fn).to.match(/profile\.profileModel and exporters\.quantizeGraphArtifacts|graphModel\.predict\(x\)/);
    }
    expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
    // The backend still works, and so does the graph model and what does accept it.
    const y = (g as unknown as tf.GraphModel).predict(data.xs) as tf.Tensor;
    expect(Array.from(tf.tidy(() => tf.sum(y, -1)).dataSync()).every((v) => Math.abs(v - 1) < 1e-5)).to.equal(true);
    const report = await profile.profileModel(g as unknown as tf.GraphModel);
    expect(report.totals.params).to.equal(20170);
    const e = await evaluate((x) => (g as unknown as tf.GraphModel).predict(x) as tf.Tensor, data);
    expect(e.accuracy).to.be.within(0, 1);
    tf.dispose([y, data.xs, data.ys]);
    other.dispose();
    (g as unknown as tf.GraphModel).dispose();
  });
});
