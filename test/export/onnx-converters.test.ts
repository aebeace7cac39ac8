// The converters Keras applications need (ZeroPadding2D, Multiply, Reshape, Rescaling, swish):
// tiny models exported to ONNX and run in ONNX Runtime, against tfjs within 1e-5.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ExportError } from '../../lib/errors';
import { compareWithOrt, randomizeWeights } from './fixtures';

type Sym = tf.SymbolicTensor;
const call = (layer: tf.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;

/** Max |tfjs - ORT| on a seeded batch of 2, and the exported op counts. */
function compare(
  model: tf.LayersModel,
  range: [number, number] = [-1, 1],
): Promise<{ diff: number; ops: Record<string, number> }> {
  return compareWithOrt(model, 2, range, 11);
}

/** A functional model from `inputShape` through `body`, with seeded random weights. */
function build(inputShape: number[], body: (x: Sym) => Sym, seed = 3): tf.LayersModel {
  const x = tf.input({ shape: inputShape, name: 'image' });
  const m = tf.model({ inputs: x, outputs: body(x) });
  randomizeWeights(m, seed);
  return m;
}

describe('export/onnx converters for Keras applications', () => {
  it('ZeroPadding2D -> Pad: asymmetric ((top, bottom), (left, right)) padding in NHWC order', async () => {
    const m = build([5, 6, 3], (x) =>
      call(
        tf.layers.zeroPadding2d({
          padding: [
            [0, 1],
            [2, 3],
          ],
          name: 'pad',
        }),
        x,
      ),
    );
    expect(m.outputs[0]?.shape).to.deep.equal([null, 6, 11, 3]);
    const { diff, ops } = await compare(m);
    expect(diff).to.be.at.most(1e-5);
    expect(ops.Pad).to.equal(1);
    m.dispose();
  });

  it('ZeroPadding2D before a strided valid conv (Keras correct_pad) and a symmetric integer padding', async () => {
    const m = build([8, 7, 2], (x) => {
      let y = call(
        tf.layers.zeroPadding2d({
          padding: [
            [0, 1],
            [1, 1],
          ],
          name: 'pad1',
        }),
        x,
      );
      y = call(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', name: 'dw' }), y);
      y = call(tf.layers.zeroPadding2d({ padding: 2, name: 'pad2' }), y);
      y = call(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, name: 'conv' }), y);
      return call(tf.layers.flatten({ name: 'flat' }), y);
    });
    const { diff, ops } = await compare(m);
    expect(diff).to.be.at.most(1e-5);
    expect(ops.Pad).to.equal(2);
    m.dispose();
  });

  it('Multiply -> Mul: a squeeze-excite block (GAP -> Reshape [1, 1, C] -> conv -> sigmoid conv -> Multiply)', async () => {
    const m = build([6, 6, 4], (x) => {
      const f = call(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv' }), x);
      let se = call(tf.layers.globalAveragePooling2d({ name: 'squeeze' }), f);
      se = call(tf.layers.reshape({ targetShape: [1, 1, 8], name: 'se_reshape' }), se);
      se = call(tf.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'swish', name: 'reduce' }), se);
      se = call(tf.layers.conv2d({ filters: 8, kernelSize: 1, activation: 'sigmoid', name: 'expand' }), se);
      const y = call(tf.layers.multiply({ name: 'excite' }), [f, se]);
      return call(tf.layers.flatten({ name: 'flat' }), y);
    });
    const { diff, ops } = await compare(m);
    expect(diff).to.be.at.most(1e-5);
    expect(ops.Mul).to.be.at.least(2); // the excite and the swish
    expect(ops.Reshape).to.equal(1);
    expect(ops.Transpose).to.equal(2); // the input and the Flatten, none around the [1, 1, C] reshape
    m.dispose();
  });

  it('Multiply of three feature maps and of two vectors', async () => {
    const m = build([4, 4, 3], (x) => {
      const a = call(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'a' }), x);
      const b = call(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'b' }), x);
      const p = call(tf.layers.multiply({ name: 'prod3' }), [x, a, b]);
      const v = call(tf.layers.flatten({ name: 'flat' }), p);
      const d1 = call(tf.layers.dense({ units: 5, name: 'd1' }), v);
      const d2 = call(tf.layers.dense({ units: 5, activation: 'tanh', name: 'd2' }), v);
      return call(tf.layers.multiply({ name: 'prod2' }), [d1, d2]);
    });
    const { diff } = await compare(m);
    expect(diff).to.be.at.most(1e-5);
    m.dispose();
  });

  it('Reshape keeps tfjs NHWC element order: [4, 4, 3] -> [16, 3], [48] -> [4, 4, 3] -> conv, [4, 4, 3] -> [2, 8, 3]', async () => {
    const m = build([4, 4, 3], (x) => {
      const c = call(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c' }), x);
      const rows = call(tf.layers.reshape({ targetShape: [16, 3], name: 'rows' }), c); // NCHW value -> rank 3
      const dense = call(tf.layers.dense({ units: 2, name: 'per_row' }), call(tf.layers.flatten({ name: 'f1' }), rows));
      const flat = call(tf.layers.reshape({ targetShape: [48], name: 'flat48' }), c);
      const back = call(tf.layers.reshape({ targetShape: [4, 4, 3], name: 'back' }), flat); // rank 1 -> NCHW
      const odd = call(tf.layers.reshape({ targetShape: [2, 8, 3], name: 'odd' }), back); // NCHW -> NCHW
      const c2 = call(tf.layers.conv2d({ filters: 2, kernelSize: [2, 3], name: 'c2' }), odd);
      const tail = call(tf.layers.flatten({ name: 'f2' }), c2);
      return call(tf.layers.concatenate({ name: 'cat' }), [dense, tail]);
    });
    const { diff, ops } = await compare(m);
    expect(diff).to.be.at.most(1e-5);
    expect(ops.Reshape).to.equal(4);
    m.dispose();
  });

  it('Rescaling -> Mul (+ Add for an offset), as at the stem of Keras EfficientNet', async () => {
    const m = build([5, 5, 3], (x) => {
      let y = call(tf.layers.rescaling({ scale: 1 / 255, name: 'to_unit' }), x);
      y = call(tf.layers.rescaling({ scale: 2, offset: -1, name: 'to_signed' }), y);
      // Keras's ImageNet EfficientNet rescales per channel; tfjs types `scale` as a number but broadcasts a list.
      y = call(tf.layers.rescaling({ scale: [1, 2, 3] as unknown as number, name: 'per_channel' }), y);
      y = call(tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'c' }), y);
      return call(tf.layers.flatten({ name: 'flat' }), y);
    });
    const { diff, ops } = await compare(m, [0, 255]);
    expect(diff).to.be.at.most(1e-5);
    expect(ops.Mul).to.equal(3);
    expect(ops.Add).to.equal(1);
    m.dispose();
  });

  it('swish, as an Activation layer and fused into Conv2D and Dense', async () => {
    const m = build([5, 5, 2], (x) => {
      let y = call(tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'swish', name: 'c' }), x);
      y = call(tf.layers.batchNormalization({ name: 'bn' }), y);
      y = call(tf.layers.activation({ activation: 'swish', name: 'act' }), y);
      y = call(tf.layers.flatten({ name: 'flat' }), y);
      return call(tf.layers.dense({ units: 4, activation: 'swish', name: 'd' }), y);
    });
    const { diff, ops } = await compare(m, [-4, 4]);
    expect(diff).to.be.at.most(1e-5);
    expect(ops.Sigmoid).to.equal(3);
    m.dispose();
  });

  it('an unsupported layer class: the error names every such layer, the supported classes and what to do', () => {
    const x = tf.input({ shape: [4, 4, 2] });
    const a = call(tf.layers.upSampling2d({ name: 'up' }), x);
    const b = call(tf.layers.layerNormalization({ name: 'ln' }), a);
    const m = tf.model({ inputs: x, outputs: call(tf.layers.cropping2D({ cropping: 1, name: 'crop' }), b) });
    const err = (() => {
      try {
        toOnnx(m);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).to.be.instanceOf(ExportError);
    const msg = (err as Error).message;
    expect(msg).to.match(
      /^toOnnx: layers with an ONNX converter \(Dense, Conv2D, .*ZeroPadding2D.*\), got layer "up" of class UpSampling2D, layer "ln" of class LayerNormalization, layer "crop" of class Cropping2D\./,
    );
    expect(msg).to.match(/UpSampling2D, LayerNormalization, Cropping2D have no converter yet/);
    expect(msg).to.match(/add a converter .*CONVERTERS.* open an issue/);
    m.dispose();
  });

  it('Multiply of inputs of different ranks is refused with an ExportError', () => {
    const x = tf.input({ shape: [3, 3, 2] });
    const v = call(tf.layers.dense({ units: 2, name: 'v' }), call(tf.layers.globalAveragePooling2d({ name: 'g' }), x));
    const m = tf.model({
      inputs: x,
      outputs: call(tf.layers.flatten({ name: 'f' }), call(tf.layers.multiply({ name: 'mul' }), [x, v])),
    });
    expect(() => toOnnx(m)).to.throw(ExportError, /Multiply layer "mul" with inputs of ranks 4 and 2/);
    m.dispose();
  });
});
