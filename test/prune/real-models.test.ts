// Pruning models nobody here wrote (test/fixtures/REAL-MODELS.md): the Keras mnist_cnn from an
// npm package (real MNIST digits) and nsfwjs's MobileNetV2 (a real photo), channel-pruned at
// sparsity 0.3 and checked against the consumer-zeroed oracle (test/helpers/channel-oracle.ts);
// nsfwjs's graph model is refused by the prune verbs with a typed error. Measured figures are printed.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { toTensors } from '../../lib/data/tensors';
import { evaluate } from '../../lib/train/evaluate';
import { channels } from '../../lib/prune/channels';
import { magnitude } from '../../lib/prune/magnitude';
import { loadMnistCnn, loadNsfwMobileNetV2, loadNsfwMobileNetV2Mid, realPhotoBatch } from '../fixtures/real-models';
import { oracleDistances } from '../helpers/channel-oracle';

function note(line: string): void {
  console.log(`      measured: ${line}`);
}

describe('prune on real models from npm packages', () => {
  it('the Keras mnist_cnn: channels at 0.3 equals the oracle on real digits', async () => {
    const model = await loadMnistCnn();
    const mnist = loadMnist();
    const test = sliceImageSet(mnist.test, 0, 500);
    const { model: pruned, report } = await channels(model, { sparsity: 0.3 });
    const { xs } = toTensors(test, { inputShape: [28, 28, 1], start: 0, end: 64 });
    const { changed, diff } = await oracleDistances(model, pruned, report, xs);
    xs.dispose();
    expect(changed).to.be.greaterThan(1e-3);
    expect(diff).to.be.lessThan(1e-5);
    const accuracy = async (m: tf.LayersModel) => (await evaluate(m, test)).accuracy;
    note(
      `mnist_cnn ${report.params.before} -> ${report.params.after} params, ${report.macs.before} -> ${report.macs.after} MACs; ` +
        `accuracy on 500 test digits ${await accuracy(model)} -> ${await accuracy(pruned)} (no fine-tuning); max |pruned - oracle| ${diff}`,
    );
    [model, pruned].forEach((m) => m.dispose());
  });

  it('nsfwjs MobileNetV2 (224x224, Flatten + Dense head): channels at 0.3 equals the oracle on a real photo', async () => {
    const model = await loadNsfwMobileNetV2();
    const photos = realPhotoBatch();
    const x = photos.slice([0, 0, 0, 0], [2, 224, 224, 3]);
    const { model: pruned, report } = await channels(model, { sparsity: 0.3 });
    const { changed, diff } = await oracleDistances(model, pruned, report, x);
    note(
      `nsfwjs MobileNetV2 ${report.params.before} -> ${report.params.after} params, ${report.macs.before} -> ${report.macs.after} MACs; ` +
        `max |original - oracle| ${changed}, max |pruned - oracle| ${diff} (probabilities)`,
    );
    expect(changed).to.be.greaterThan(1e-3);
    expect(diff).to.be.lessThan(1e-5);
    tf.dispose([photos, x]);
    [model, pruned].forEach((m) => m.dispose());
  });

  it('nsfwjs MobileNetV2Mid, a graph model: the prune verbs refuse it with a ConfigError saying what works', async () => {
    const model = await loadNsfwMobileNetV2Mid();
    for (const [fn, call] of [
      ['prune.channels', () => channels(model as never, { sparsity: 0.3 })],
      ['prune.magnitude', () => magnitude(model as never, { sparsity: 0.3 })],
    ] as const) {
      let err: unknown;
      try {
        await call();
      } catch (e) {
        err = e;
      }
      expect(err, fn).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(
        new RegExp(`^${fn.replace('.', '\\.')}: a tf.LayersModel, got a tf.GraphModel .* has no layers to prune`),
      );
    }
    model.dispose();
  });
});
