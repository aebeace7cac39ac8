import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { initBackend } from '../../lib/core/backend';
import { setGradients, currentGradients } from '../../lib/core/gradients';
import {
  conv2dFilterGrad,
  conv2dInputGradStride1,
  depthwiseFilterGrad,
  depthwiseInputGrad,
} from '../../lib/core/wasm-kernels';
import { ConfigError } from '../../lib/errors';
import { cnn } from '../../course/models/cnn';
import { onBackend, maxAbsDiff } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';

/** Runs fn on cpu and on wasm with the same (seeded) inputs and returns both outputs as arrays. */
async function bothBackends(fn: () => tf.Tensor): Promise<[Float32Array, Float32Array, number[]]> {
  const cpu = await onBackend('cpu', () => tf.tidy(fn).dataSync() as Float32Array);
  const t = tf.tidy(fn);
  const shape = t.shape;
  const wasm = t.dataSync() as Float32Array;
  t.dispose();
  return [cpu, wasm, shape];
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).to.equal(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('core/backend', () => {
  it('initBackend rejects an unknown backend with a ConfigError naming the choices', async () => {
    let err: unknown;
    try {
      await initBackend('webgpu' as never);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/initBackend: backend must be one of wasm, cpu, tensorflow, got "webgpu"/);
  });

  it('initBackend(tensorflow) without tfjs-node says how to install it', async () => {
    let err: unknown;
    try {
      await initBackend('tensorflow');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/tfjs-node/);
    expect(tf.getBackend()).to.equal('wasm');
  });

  it('the default backend is wasm', () => {
    expect(tf.getBackend()).to.equal('wasm');
  });
});

describe('core/wasm-kernels: backward conv kernels on wasm equal the cpu reference', () => {
  const cases: { pad: 'same' | 'valid'; stride: number; k: number }[] = [
    { pad: 'same', stride: 1, k: 5 },
    { pad: 'valid', stride: 1, k: 3 },
    { pad: 'same', stride: 2, k: 3 },
    { pad: 'valid', stride: 2, k: 3 },
  ];
  for (const c of cases) {
    it(`Conv2D filter and input gradients, ${c.pad} padding, stride ${c.stride}, kernel ${c.k}`, async () => {
      const make = () => {
        const x = tf.randomNormal([3, 9, 8, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
        const w = tf.randomNormal([c.k, c.k, 2, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))),
        );
        const [dx, dw] = g([x, w]);
        return tf.concat([tf.reshape(dx as tf.Tensor, [-1]), tf.reshape(dw as tf.Tensor, [-1])]);
      };
      const [cpu, wasm] = await bothBackends(make);
      expect(maxDiff(cpu, wasm)).to.be.lessThan(1e-3);
    });
  }

  it('the conv gradient kernels themselves match on odd sizes (filter grad slicing)', async () => {
    const f = () => {
      const x = tf.randomNormal([2, 10, 7, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const dy = tf.randomNormal([2, 4, 3, 5], 0, 1, 'float32', 4) as tf.Tensor4D;
      return conv2dFilterGrad(x, dy, [3, 3, 3, 5], [2, 2], 'valid');
    };
    const ref = await onBackend('cpu', () =>
      tf.tidy(() => {
        const x = tf.randomNormal([2, 10, 7, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
        const dy = tf.randomNormal([2, 4, 3, 5], 0, 1, 'float32', 4) as tf.Tensor4D;
        return tf.conv2d(x, tf.zeros([3, 3, 3, 5]) as tf.Tensor4D, 2, 'valid').shape.length === 4
          ? (tf
              .grad((w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w as tf.Tensor4D, 2, 'valid'), dy)))(
                tf.zeros([3, 3, 3, 5]),
              )
              .dataSync() as Float32Array)
          : new Float32Array();
      }),
    );
    const mine = tf.tidy(f);
    expect(mine.shape).to.deep.equal([3, 3, 3, 5]);
    expect(maxDiff(ref, mine.dataSync() as Float32Array)).to.be.lessThan(1e-3);
    mine.dispose();
  });

  it('the registered wasm kernel refuses layouts it does not support with a ConfigError', () => {
    const x = tf.zeros([1, 4, 4, 1]);
    const dy = tf.zeros([1, 4, 4, 1]);
    expect(() =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          { strides: [1, 1], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 1, 1] },
        ),
    ).to.throw(
      ConfigError,
      /Conv2DBackpropFilter \(wasm, tfjs-compress\): NHWC data and dilation 1, got dataFormat NCHW/,
    );
    tf.dispose([x, dy]);
  });

  it('conv2dInputGradStride1 declines padding it cannot express', () => {
    const dy = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 1, 1]) as tf.Tensor4D;
    expect(conv2dInputGradStride1([1, 4, 4, 1], dy, w, 5)).to.equal(undefined);
    tf.dispose([dy, w]);
  });

  for (const c of [
    { pad: 'same' as const, stride: 1, m: 1 },
    { pad: 'valid' as const, stride: 2, m: 2 },
    { pad: 'same' as const, stride: 2, m: 1 },
  ]) {
    it(`DepthwiseConv2D gradients, ${c.pad}, stride ${c.stride}, multiplier ${c.m}`, async () => {
      const make = () => {
        const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
        const w = tf.randomNormal([3, 3, 3, c.m], 0, 1, 'float32', 6) as tf.Tensor4D;
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))),
        );
        const [dx, dw] = g([x, w]);
        return tf.concat([tf.reshape(dx as tf.Tensor, [-1]), tf.reshape(dw as tf.Tensor, [-1])]);
      };
      const [cpu, wasm] = await bothBackends(make);
      expect(maxDiff(cpu, wasm)).to.be.lessThan(1e-3);
    });
  }

  it('the depthwise helpers do not leak', async () => {
    await expectNoLeak(() =>
      tf.tidy(() => {
        const x = tf.ones([1, 5, 5, 2]) as tf.Tensor4D;
        const dy = tf.ones([1, 5, 5, 2]) as tf.Tensor4D;
        const w = tf.ones([3, 3, 2, 1]) as tf.Tensor4D;
        return [
          depthwiseFilterGrad(x, dy, [3, 3, 2, 1], [1, 1], 'same'),
          depthwiseInputGrad([1, 5, 5, 2], dy, w, [1, 1], 'same'),
        ];
      }),
    );
  });

  it('one training step of the CNN gives the same weights on wasm and cpu, without leaks', async () => {
    const step = () => {
      const model = cnn({ seed: 3 });
      const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 7);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
      const opt = tf.train.sgd(0.1);
      tf.tidy(() => {
        opt.minimize(
          () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        );
      });
      const flat = tf.tidy(() => tf.concat(model.getWeights().map((w) => tf.reshape(w, [-1]))));
      const out = flat.dataSync() as Float32Array;
      tf.dispose([x, y, flat]);
      opt.dispose();
      model.dispose();
      return out;
    };
    const cpu = await onBackend('cpu', step);
    const before = tf.memory().numTensors;
    const wasm = step();
    // tfjs's SGD optimizer keeps one scalar after dispose (its own leak, on every backend).
    expect(tf.memory().numTensors - before).to.be.at.most(1);
    expect(maxDiff(cpu, wasm)).to.be.lessThan(1e-4);
  });
});

describe('core/gradients: the fast gradients equal tfjs stock gradients', () => {
  afterEach(() => setGradients({ fastMatMul: true }));

  for (const [ta, tb] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`matmul gradient with transposeA=${ta}, transposeB=${tb}`, () => {
      const run = (fast: boolean) => {
        setGradients({ fastMatMul: fast });
        return tf.tidy(() => {
          const a = tf.randomNormal(ta ? [5, 4] : [4, 5], 0, 1, 'float32', 8);
          const b = tf.randomNormal(tb ? [3, 5] : [5, 3], 0, 1, 'float32', 9);
          const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q, ta, tb))))([a, b]);
          return tf.concat([tf.reshape(da as tf.Tensor, [-1]), tf.reshape(db as tf.Tensor, [-1])]);
        });
      };
      const stock = run(false);
      const fast = run(true);
      expect(maxAbsDiff(stock, fast)).to.be.lessThan(1e-4);
      expect(currentGradients().fastMatMul).to.equal(true);
      tf.dispose([stock, fast]);
    });
  }

  it('batched (rank-3) matmul gradient', () => {
    const run = (fast: boolean) => {
      setGradients({ fastMatMul: fast });
      return tf.tidy(() => {
        const a = tf.randomNormal([2, 4, 5], 0, 1, 'float32', 10);
        const b = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 11);
        const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q))))([a, b]);
        return tf.concat([tf.reshape(da as tf.Tensor, [-1]), tf.reshape(db as tf.Tensor, [-1])]);
      });
    };
    const stock = run(false);
    const fast = run(true);
    expect(maxAbsDiff(stock, fast)).to.be.lessThan(1e-4);
    tf.dispose([stock, fast]);
  });

  it('batch-norm gradient (all five inputs) for 4-D and 2-D inputs', () => {
    for (const shape of [
      [2, 3, 3, 4],
      [6, 4],
    ]) {
      const run = (fast: boolean) => {
        setGradients({ fastMatMul: fast });
        return tf.tidy(() => {
          const x = tf.randomNormal(shape, 0, 1, 'float32', 12);
          const mean = tf.randomNormal([4], 0, 1, 'float32', 13);
          const variance = tf.randomUniform([4], 0.5, 2, 'float32', 14);
          const scale = tf.randomNormal([4], 1, 0.1, 'float32', 15);
          const offset = tf.randomNormal([4], 0, 1, 'float32', 16);
          const g = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) =>
            tf.sum(tf.square(tf.batchNorm(a, m, v, o, s, 1e-3))),
          );
          return tf.concat(g([x, mean, variance, scale, offset]).map((t) => tf.reshape(t, [-1])));
        });
      };
      const stock = run(false);
      const fast = run(true);
      expect(maxAbsDiff(stock, fast)).to.be.lessThan(1e-3);
      tf.dispose([stock, fast]);
    }
  });
});
