import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { LAYERS, layerEntry } from '../../lib/core/layers';
import { modelGraph } from '../../lib/core/graph';

describe('core/layers (the registry)', () => {
  it('has one entry per class, keyed by the class tfjs reports', () => {
    for (const [name, e] of LAYERS) expect(e.className).to.equal(name);
    expect(layerEntry('NoSuchLayer')).to.equal(undefined);
  });

  it("kernelOp plus bias is the layer's own output (the op QAT runs), with strides, dilation and padding", () => {
    const layers: [tf.layers.Layer, number[]][] = [
      [tf.layers.dense({ units: 3 }), [2, 5]],
      [tf.layers.dense({ units: 3 }), [2, 4, 5]],
      [tf.layers.conv1d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }), [2, 9, 2]],
      [tf.layers.conv1d({ filters: 3, kernelSize: 2, dilationRate: 2 }), [2, 9, 2]],
      [tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: [2, 1], padding: 'same' }), [2, 7, 6, 2]],
      [tf.layers.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2 }), [2, 7, 6, 2]],
      [tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' }), [2, 7, 6, 2]],
      [tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }), [2, 5, 4, 2]],
      [tf.layers.conv2dTranspose({ filters: 3, kernelSize: [3, 2], strides: [2, 3] }), [2, 5, 4, 2]],
      [tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3 }), [2, 5, 4, 2]],
    ];
    for (const [layer, shape] of layers) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
      const y = layer.apply(x) as tf.Tensor;
      const [kernel, bias] = layer.getWeights() as [tf.Tensor, tf.Tensor];
      const entry = layerEntry(layer.getClassName());
      const before = tf.memory().numTensors;
      const op = entry?.kernelOp?.(x, kernel, layer.getConfig()) as tf.Tensor;
      expect(tf.memory().numTensors, layer.name).to.equal(before + 1); // the result only: no leak
      const z = tf.add(op, bias);
      expect(z.shape, layer.name).to.deep.equal(y.shape);
      expect(tf.max(tf.abs(tf.sub(z, y))).dataSync()[0], layer.name).to.be.below(1e-5);
      tf.dispose([x, y, z, op]);
      layer.dispose();
    }
    const withOp = [...LAYERS.values()].filter((e) => e.kernelOp).map((e) => e.className);
    expect(withOp).to.deep.equal(['Dense', 'Conv1D', 'Conv2D', 'Conv2DTranspose', 'DepthwiseConv2D']);
    // A transposed conv's kernel [kh, kw, outC, inC] has no BatchNormalization fold here.
    expect([...LAYERS.values()].filter((e) => e.foldsBatchNorm).map((e) => e.className)).to.deep.equal(
      withOp.filter((c) => c !== 'Conv2DTranspose'),
    );
  });

  it('kernel axes match the kernels tfjs builds (input and output channels)', () => {
    const i = tf.input({ shape: [8, 8, 3] });
    const conv = tf.layers.conv2d({ filters: 5, kernelSize: 3, name: 'conv' });
    const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, name: 'dw' });
    const tconv = tf.layers.conv2dTranspose({ filters: 4, kernelSize: 2, name: 'tconv' });
    const flat = tf.layers.flatten();
    const dense = tf.layers.dense({ units: 7, name: 'dense' });
    const o = dense.apply(flat.apply(tconv.apply(dw.apply(conv.apply(i))))) as tf.SymbolicTensor;
    const m = tf.model({ inputs: i, outputs: o });
    for (const n of modelGraph(m)) {
      const k = n.entry?.kernel;
      if (!k) continue;
      const shape = n.layer.weights[k.index]?.shape as number[];
      const inC = (n.inputShapes[0] as number[]).at(-1);
      const outC = n.outputShape.at(-1);
      if (k.inAxis !== undefined) expect(shape[k.inAxis], `${n.name} in`).to.equal(inC);
      expect(shape[k.outAxis], `${n.name} out`).to.equal(n.entry?.role === 'tied' ? inC : outC);
    }
    m.dispose();
  });

  it('MAC rules by hand: Dense, Conv2D, depthwise, BatchNormalization, pooling, activations', () => {
    const mac = (cls: string, config: Record<string, unknown>, inputShapes: number[][], outputShape: number[]) =>
      layerEntry(cls)?.macs({ config, inputShapes, outputShape });
    expect(mac('Dense', {}, [[784]], [256])).to.equal(784 * 256);
    expect(mac('Conv2D', { kernelSize: [3, 3] }, [[8, 8, 3]], [6, 6, 5])).to.equal(6 * 6 * 5 * 9 * 3);
    expect(mac('DepthwiseConv2D', { kernelSize: 3 }, [[8, 8, 3]], [6, 6, 3])).to.equal(6 * 6 * 3 * 9);
    expect(mac('BatchNormalization', {}, [[4, 4, 2]], [4, 4, 2])).to.equal(32);
    expect(mac('MaxPooling2D', { poolSize: [2, 2] }, [[4, 4, 2]], [2, 2, 2])).to.equal(8 * 4);
    expect(mac('GlobalAveragePooling2D', {}, [[4, 4, 2]], [2])).to.equal(32);
    expect(mac('ReLU', {}, [[10]], [10])).to.equal(0);
  });

  it('names the activation a layer applies, for fusion', () => {
    expect(layerEntry('ReLU')?.activation?.({ maxValue: 6 })).to.equal('relu6');
    expect(layerEntry('ReLU')?.activation?.({ maxValue: null })).to.equal('relu');
    expect(layerEntry('Activation')?.activation?.({ activation: 'swish' })).to.equal('swish');
    expect(layerEntry('Dense')?.activation?.({ activation: 'linear' })).to.equal(undefined);
    expect(layerEntry('Conv2D')?.activation?.({ activation: 'relu' })).to.equal('relu');
  });
});
