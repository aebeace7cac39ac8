import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { FusedAdam, fusedAdam, adamStep, FUSED_ADAM_KERNEL } from '../../lib/train/fused-adam';
import { adamModuleBytes, adamSimd } from '../../lib/train/adam-simd';
import { fit } from '../../lib/train/fit';
import { simpleNet } from '../../course/models/simplenet';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { ConfigError } from '../../lib/errors';
import { onBackend } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';

/** Trains two variables (one with a size that is not a multiple of 4) for `steps` steps and returns their values. */
function train(optimizer: tf.Optimizer, steps: number): Float32Array[] {
  // tidy frees the initial values; variables outlive it.
  const [w, b] = tf.tidy(() => [
    tf.variable(tf.randomNormal([37, 11], 0, 1, 'float32', 1)),
    tf.variable(tf.randomNormal([11], 0, 1, 'float32', 2)),
  ]) as [tf.Variable, tf.Variable];
  const x = tf.randomNormal([16, 37], 0, 1, 'float32', 3);
  for (let s = 0; s < steps; s++) {
    optimizer.minimize(() => tf.mean(tf.square(tf.sin(tf.add(tf.matMul(x, w), b)))) as tf.Scalar, false, [w, b]);
  }
  const out = [w.dataSync().slice() as Float32Array, b.dataSync().slice() as Float32Array];
  tf.dispose([w, b, x]);
  return out;
}

describe('train/fused-adam', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`equals tf.train.adam bit for bit after 25 steps on ${backend}`, async () => {
      await onBackend(backend, () => {
        const stock = tf.train.adam(0.01);
        const mine = fusedAdam(0.01);
        const a = train(stock, 25);
        const b = train(mine, 25);
        stock.dispose();
        mine.dispose();
        expect(b[0]).to.deep.equal(a[0]);
        expect(b[1]).to.deep.equal(a[1]);
        const start = train(tf.train.sgd(0.01), 0); // zero steps: the initial values
        expect(a[0]).to.not.deep.equal(start[0]); // the variables moved
      });
    });
  }

  it('runs as one kernel per variable (on wasm through the SIMD module on the backend memory)', async () => {
    const opt = fusedAdam(0.01);
    const w = tf.variable(tf.ones([5, 3]));
    const g = tf.fill([5, 3], 0.5);
    const profile = await tf.profile(() => opt.applyGradients({ [w.name]: g }));
    expect(profile.kernels.map((k) => k.name)).to.deep.equal(['ZerosLike', 'ZerosLike', FUSED_ADAM_KERNEL]); // two zero moments, one update
    const memory = (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory;
    expect(adamSimd(memory)).to.be.a('function');
    expect(WebAssembly.validate(adamModuleBytes(false))).to.equal(true);
    expect(WebAssembly.validate(adamModuleBytes(true))).to.equal(true);
    // First step of Adam from zero moments moves every weight by -lr * sign(g).
    expect(Array.from(w.dataSync()).every((v) => Math.abs(v - 0.99) < 1e-6)).to.equal(true);
    opt.dispose();
    tf.dispose([w, g]);
  });

  it('adamStep on typed arrays follows the formula (hand-checkable first step)', () => {
    const x = new Float32Array([1, -2]),
      m = new Float32Array(2),
      v = new Float32Array(2),
      g = new Float32Array([0.5, -4]);
    const [x1, m1, v1] = [new Float32Array(2), new Float32Array(2), new Float32Array(2)];
    adamStep(x, m, v, g, x1, m1, v1, {
      learningRate: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      oneMinusAccBeta1: Math.fround(1 - Math.fround(0.9)),
      oneMinusAccBeta2: Math.fround(1 - Math.fround(0.999)),
    });
    expect(Array.from(m1)).to.deep.equal([
      Math.fround(Math.fround(0.5) * Math.fround(1 - 0.9)),
      Math.fround(-4 * Math.fround(1 - 0.9)),
    ]);
    expect(x1[0]).to.be.closeTo(0.9, 1e-6);
    expect(x1[1]).to.be.closeTo(-1.9, 1e-6);
  });

  it('saves and restores its state like tf.train.adam (resumed training is identical)', async () => {
    const straight = fusedAdam(0.01);
    const a = train(straight, 6);
    straight.dispose();
    const [w, b] = tf.tidy(() => [
      tf.variable(tf.randomNormal([37, 11], 0, 1, 'float32', 1)),
      tf.variable(tf.randomNormal([11], 0, 1, 'float32', 2)),
    ]) as [tf.Variable, tf.Variable];
    const x = tf.randomNormal([16, 37], 0, 1, 'float32', 3);
    const step = (o: tf.Optimizer) =>
      o.minimize(() => tf.mean(tf.square(tf.sin(tf.add(tf.matMul(x, w), b)))) as tf.Scalar, false, [w, b]);
    const first = fusedAdam(0.01);
    for (let s = 0; s < 3; s++) step(first);
    const saved = await first.getWeights();
    expect(saved.map((s) => s.name)).to.deep.equal([
      'iter',
      `${w.name}/m`,
      `${b.name}/m`,
      `${w.name}/v`,
      `${b.name}/v`,
    ]);
    const copies = saved.map((s) => ({ name: s.name, tensor: tf.clone(s.tensor) }));
    first.dispose();
    const second = fusedAdam(0.01);
    await second.setWeights(copies);
    for (let s = 0; s < 3; s++) step(second);
    expect(w.dataSync()).to.deep.equal(a[0]);
    expect(b.dataSync()).to.deep.equal(a[1]);
    second.dispose();
    tf.dispose([w, b, x, ...copies.map((c) => c.tensor)]);
  });

  it('leaks nothing: moments are freed by dispose, intermediates at once', async () => {
    await expectNoLeak(() => {
      const opt = fusedAdam(0.01);
      train(opt, 3);
      opt.dispose();
    });
  });

  it('rejects bad hyper-parameters with ConfigErrors', () => {
    for (const [args, re] of [
      [[0], /learningRate > 0, got 0/],
      [[1e-3, 1], /beta1 in \[0, 1\), got 1/],
      [[1e-3, 0.9, -0.1], /beta2 in \[0, 1\), got -0.1/],
      [[1e-3, 0.9, 0.999, 0], /epsilon > 0, got 0/],
    ] as [number[], RegExp][]) {
      expect(() => new FusedAdam(...(args as [number]))).to.throw(ConfigError, re);
    }
  });

  it('fit trains with it by default and equals fit with tf.train.adam; a borrowed optimizer is not disposed', async () => {
    const data = sliceImageSet(loadMnist().train, 0, 512);
    const byDefault = simpleNet({ seed: 2, hidden: [16] });
    const withStock = simpleNet({ seed: 2, hidden: [16] });
    const stock = tf.train.adam(1e-3);
    const h1 = await fit(byDefault, data, { epochs: 2, seed: 1, batchSize: 64, learningRate: (e) => 1e-3 / (e + 1) });
    const h2 = await fit(withStock, data, {
      epochs: 2,
      seed: 1,
      batchSize: 64,
      learningRate: (e) => 1e-3 / (e + 1),
      optimizer: stock,
    });
    expect(h1.epochs.map((e) => e.loss)).to.deep.equal(h2.epochs.map((e) => e.loss));
    expect((byDefault.getWeights()[0] as tf.Tensor).dataSync()).to.deep.equal(
      (withStock.getWeights()[0] as tf.Tensor).dataSync(),
    );
    expect(stock.iterations).to.equal(16); // still usable: not disposed by fit
    stock.dispose();
    byDefault.dispose();
    withStock.dispose();
    let err: unknown;
    const small = simpleNet({ seed: 1, hidden: [4] });
    try {
      await fit(small, data, { epochs: 1, seed: 1, optimizer: 'rmsprop' as never });
    } catch (e) {
      err = e;
    }
    small.dispose();
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/fit: optimizer 'adam', 'sgd' or a tf.Optimizer, got "rmsprop"/);
  });
});
