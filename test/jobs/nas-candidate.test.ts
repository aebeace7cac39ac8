import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { executorEvaluator } from '../../lib/jobs';
import { InlineExecutor, ThreadExecutor } from '../../lib/exec';
import { agingEvolution, LocalEvaluator, MlpSpace, ProxyRecipe, taskOf } from '../../lib/nas';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { simpleNet } from '../../course/models/simplenet';
import { fit } from '../../lib/train/fit';
import { ConfigError } from '../../lib/errors';
import { prepareBaselines, baselineCached } from '../../course/models/prepare';

describe('jobs/nas-candidate (a search on threads)', function () {
  this.timeout(300000);
  const mnist = loadMnist();
  const data = {
    task: taskOf(mnist.train),
    train: sliceImageSet(mnist.train, 0, 768),
    validation: sliceImageSet(mnist.train, 59000, 59512),
  };
  const space: MlpSpace = {
    kind: 'mlp',
    resolutions: [14, 7],
    depths: [1],
    widths: [8, 16],
    activations: ['relu', 'tanh'],
  };
  const recipe: ProxyRecipe = { epochs: 1, batchSize: 64, learningRate: 2e-3, seed: 0 };
  let saved: string | undefined;
  let tmp = '';
  beforeEach(() => {
    saved = process.env.TFJS_COMPRESS_CACHE;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jobs-test-'));
    process.env.TFJS_COMPRESS_CACHE = tmp; // a fresh cache: every candidate is trained, not read back
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TFJS_COMPRESS_CACHE;
    else process.env.TFJS_COMPRESS_CACHE = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('finds the same architectures with the same scores in-process, on one thread and on two, also distilled', async () => {
    const teacher = simpleNet({ seed: 3, hidden: [32] });
    await fit(teacher, data.train, { epochs: 1, seed: 3 });
    const search = async (ev: Awaited<ReturnType<typeof executorEvaluator>> | LocalEvaluator) =>
      agingEvolution(space, {
        budget: 6,
        seed: 2,
        evaluator: ev,
        task: data.task,
        roundSize: 3,
        population: 3,
        sampleSize: 2,
      });
    const inline = new InlineExecutor();
    const reference = await search(await executorEvaluator(inline, data, { recipe }));
    const local = await search(new LocalEvaluator(data, recipe));
    expect(local.history.map((h) => [h.key, h.accuracy])).to.deep.equal(
      reference.history.map((h) => [h.key, h.accuracy]),
    );
    const distilledRef = await search(
      await executorEvaluator(inline, data, { recipe, teacher: { model: teacher, alpha: 0.5, temperature: 4 } }),
    );
    expect(distilledRef.history.map((h) => h.accuracy)).to.not.deep.equal(reference.history.map((h) => h.accuracy));
    for (const workers of [1, 2]) {
      fs.rmSync(tmp, { recursive: true, force: true }); // each run trains everything again
      const ex = new ThreadExecutor({ workers });
      try {
        const r = await search(await executorEvaluator(ex, data, { recipe }));
        expect(
          r.history.map((h) => [h.key, h.accuracy, h.params]),
          `${workers} workers`,
        ).to.deep.equal(reference.history.map((h) => [h.key, h.accuracy, h.params]));
        expect(r.history[0]?.fromCache).to.equal(false); // trained on the threads, not read from the cache
        const d = await search(
          await executorEvaluator(ex, data, { recipe, teacher: { model: teacher, alpha: 0.5, temperature: 4 } }),
        );
        expect(d.history.map((h) => [h.key, h.accuracy])).to.deep.equal(
          distilledRef.history.map((h) => [h.key, h.accuracy]),
        );
      } finally {
        await ex.close();
      }
    }
    teacher.dispose();
  });

  it('refuses a tf.data.Dataset or tensors with a typed error that says what to pass', async () => {
    const ds = tf.data.array([
      { xs: tf.zeros([28, 28, 1]), ys: tf.zeros([10]) },
    ]) as unknown as tf.data.Dataset<tf.TensorContainer>;
    let err: unknown;
    try {
      await executorEvaluator(new InlineExecutor(), { ...data, train: ds as never });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(
      /train data as an ImageSet .* got a tf\.data\.Dataset\. tf\.data datasets and tensors cannot cross threads/,
    );
  });

  it('prepareBaselines refuses unknown baselines; nothing is cached in an empty cache', async () => {
    expect(baselineCached({ name: 'simplenet' })).to.equal(false);
    let err: unknown;
    try {
      await prepareBaselines([{ name: 'resnet' as never }]);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(
      /prepareBaselines: specs \{name: 'simplenet' \| 'cnn' \| 'mobilenet-style' \| 'cnn-wide'/,
    );
  });
});
