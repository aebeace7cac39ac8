import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { initBackend } from '../../lib/core/backend';
import { stockWasmMaxPoolGrad } from '../../lib/core/wasm-grad-kernels';

/** Values on a coarse grid around 0, so that windows hold ties and negative maxima. */
function tied(shape: number[], seed: number): Float32Array {
  return tf.tidy(
    () => tf.sub(tf.floor(tf.mul(tf.randomUniform(shape, 0, 1, 'float32', seed), 4)), 1).dataSync() as Float32Array,
  );
}

/** d(sum(maxPool(x) * dy))/dx on a backend. */
async function poolGrad(
  backend: 'wasm' | 'cpu',
  x: Float32Array,
  shape: number[],
  dy: Float32Array,
  size: number,
  stride: number,
  pad: 'valid' | 'same',
): Promise<number[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, shape as [number, number, number, number]);
    const y = tf.maxPool(xt, size, stride, pad);
    const dyt = tf.tensor(dy, y.shape);
    return Array.from(
      tf
        .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, size, stride, pad), dyt)))(xt)
        .dataSync(),
    );
  });
}

describe('core/wasm-grad-kernels: one-pass backward kernels on wasm', () => {
  before(async () => {
    await initBackend('wasm');
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  it('MaxPoolGrad equals the cpu backend (first maximum) bit for bit: ties, negative windows, valid and same padding, overlapping windows', async () => {
    const cases: [number[], number, number, 'valid' | 'same'][] = [
      [[2, 8, 8, 3], 2, 2, 'valid'],
      [[2, 7, 7, 5], 2, 2, 'same'],
      [[1, 9, 9, 4], 3, 3, 'valid'],
      [[3, 7, 6, 2], 3, 3, 'same'],
      [[2, 9, 9, 3], 3, 2, 'valid'],
    ];
    const before = tf.memory().numTensors;
    for (const [i, [shape, size, stride, pad]] of cases.entries()) {
      const x = tied(shape, i);
      const outShape = tf.tidy(
        () => tf.maxPool(tf.zeros(shape as [number, number, number, number]) as tf.Tensor4D, size, stride, pad).shape,
      );
      const dy = tf.tidy(() => tf.randomNormal(outShape, 0, 1, 'float32', 10 + i).dataSync() as Float32Array);
      const cpu = await poolGrad('cpu', x, shape, dy, size, stride, pad);
      const wasm = await poolGrad('wasm', x, shape, dy, size, stride, pad);
      if (stride >= size) expect(wasm, `case ${i}: ${JSON.stringify([shape, size, stride, pad])}`).to.deep.equal(cpu);
      expect(wasm.some((v) => v !== 0)).to.equal(true);
    }
    expect(tf.memory().numTensors).to.equal(before);
  });

  it("the stock wasm kernel's behaviour it replaces: a negative window's gradient goes to its first position, equal positive maxima to the last", () => {
    const stock = stockWasmMaxPoolGrad() as tf.KernelConfig;
    const stockGrad = (vals: number[]) =>
      tf.tidy(() => {
        const x = tf.tensor4d(vals, [1, 2, 2, 1]);
        const info = stock.kernelFunc({
          inputs: {
            dy: tf.tensor4d([5], [1, 1, 1, 1]),
            input: x,
            output: tf.maxPool(x, 2, 2, 'valid'),
          } as unknown as tf.NamedTensorInfoMap,
          backend: tf.backend(),
          attrs: { filterSize: 2, strides: 2, pad: 'valid' } as unknown as tf.NamedAttrMap,
        }) as tf.TensorInfo;
        return Array.from(tf.engine().makeTensorFromTensorInfo(info).dataSync());
      });
    const ours = (vals: number[]) =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid'), 5)))(
              tf.tensor4d(vals, [1, 2, 2, 1]),
            )
            .dataSync(),
        ),
      );
    expect(stockGrad([-3, -2, -0.5, -1])).to.deep.equal([5, 0, 0, 0]);
    expect(ours([-3, -2, -0.5, -1])).to.deep.equal([0, 0, 5, 0]);
    expect(stockGrad([1, 1, 1, 1])).to.deep.equal([0, 0, 0, 5]);
    expect(ours([1, 1, 1, 1])).to.deep.equal([5, 0, 0, 0]);
    expect(ours([0, 2, 3, 1])).to.deep.equal(stockGrad([0, 2, 3, 1])); // a single positive maximum: the same
  });

  it("ClipByValue's gradient (ReLU6) equals tfjs's composite bit for bit, at the bounds too", () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([-1, 0, 0.5, 6, 6.0000005, 7, -0, 3, 5.999999, Number.NaN]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const fast = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(v, 0, 6), dy)))(x);
    const composite = tf.tidy(() =>
      tf.where(tf.logicalAnd(tf.greaterEqual(x, 0), tf.lessEqual(x, 6)), dy, tf.zerosLike(dy)),
    );
    expect(Array.from(fast.dataSync())).to.deep.equal(Array.from(composite.dataSync()));
    expect(Array.from(fast.dataSync())).to.deep.equal([0, 2, 3, 4, 0, 0, 7, 8, 9, 0]);
    const big = tf.randomNormal([4, 16, 16, 8], 3, 4, 'float32', 3);
    const g = tf.randomNormal(big.shape, 0, 1, 'float32', 4);
    const b = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(v, 0, 6), g)))(big);
    const c = tf.tidy(() => tf.where(tf.logicalAnd(tf.greaterEqual(big, 0), tf.lessEqual(big, 6)), g, tf.zerosLike(g)));
    expect(Array.from(b.dataSync())).to.deep.equal(Array.from(c.dataSync()));
    tf.dispose([x, dy, fast, composite, big, g, b, c]);
    expect(tf.memory().numTensors).to.equal(before);
  });
});
