import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { LAYERS, layerEntry } from '../../lib/core/layers';
import { modelGraph } from '../../lib/core/graph';

describe('core/layers (the registry)', () => {
  it('has one entry per class, keyed by the class tfjs reports', () => {
    for (const [name, e] of LAYERS) expect(e.className).to.equal(name);
    expect(layerEntry('NoSuchLayer')).to.equal(undefined);
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
