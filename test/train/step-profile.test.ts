import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { profileStep } from '../../lib/train/step-profile';
import { FUSED_ADAM_KERNEL } from '../../lib/train/fused-adam';
import { simpleNet } from '../../course/models/simplenet';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { ConfigError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';

describe('train/step-profile', () => {
  const data = sliceImageSet(loadMnist().train, 0, 2048);

  it('times the four phases and lists the kernels of each (forward matmul, backward matmuls, the fused update)', async () => {
    const model = simpleNet({ seed: 0, hidden: [32] });
    let p: Awaited<ReturnType<typeof profileStep>> | undefined;
    await expectNoLeak(async () => {
      p = await profileStep(model, data, { batchSize: 64, steps: 4, rounds: 2, profiledSteps: 2 });
    });
    const profile = p as NonNullable<typeof p>;
    for (const phase of ['data', 'forward', 'backward', 'optimizer'] as const) {
      expect(profile.phases[phase].wallMs, phase).to.be.greaterThan(0);
      expect(profile.phases[phase].cpuMs, phase).to.be.at.least(0);
    }
    expect(profile.step.wallMs).to.be.closeTo(
      Object.values(profile.phases).reduce((a, t) => a + t.wallMs, 0),
      1e-9,
    );
    expect(profile.examplesPerSecond.wall).to.be.closeTo(64000 / profile.step.wallMs, 1e-6);
    const has = (phase: string, name: string, shapes?: number[][]) =>
      profile.kernels.some(
        (k) =>
          k.phase === phase && k.name === name && (!shapes || JSON.stringify(k.inputShapes) === JSON.stringify(shapes)),
      );
    expect(
      has('forward', 'BatchMatMul', [
        [64, 784],
        [784, 32],
      ]),
    ).to.equal(true);
    expect(
      has('backward', 'BatchMatMul', [
        [784, 64],
        [64, 32],
      ]),
    ).to.equal(true); // dW of fc1: x^T (materialized) @ dy
    expect(has('optimizer', FUSED_ADAM_KERNEL)).to.equal(true);
    expect(profile.kernels.filter((k) => k.phase === 'optimizer').every((k) => k.name === FUSED_ADAM_KERNEL)).to.equal(
      true,
    );
    model.dispose();
  });

  it('profiles a borrowed optimizer without disposing it, and rejects bad options', async () => {
    const model = simpleNet({ seed: 0, hidden: [8] });
    const stock = tf.train.adam(1e-3);
    const p = await profileStep(model, data, {
      batchSize: 32,
      steps: 2,
      rounds: 1,
      profiledSteps: 1,
      optimizer: stock,
    });
    expect(p.kernels.some((k) => k.phase === 'optimizer' && k.name === 'Sqrt')).to.equal(true); // tfjs's Adam: element-wise kernels
    expect(stock.iterations).to.equal(2 * 2 + 1);
    stock.dispose();
    let err: unknown;
    try {
      await profileStep(model, data, { steps: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/profileStep: steps a positive integer, got 0/);
    model.dispose();
  });
});
