import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { cachedMeta, cachedModel } from '../../lib/data/model-cache';
import { loadBaseline } from '../../course/models/baselines';
import { ConfigError } from '../../lib/errors';
import { expectNoLeak } from '../helpers/leak';

describe('models', () => {
  it('SimpleNet has the brief shape: 784-256-128-10, 235,146 parameters, logits out', () => {
    const m = simpleNet({ seed: 0 });
    expect(m.countParams()).to.equal(784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
    expect(m.layers.map((l) => l.name)).to.deep.equal(['fc1', 'fc2', 'fc3']);
    expect((m.layers[2]?.getConfig() as { activation: string }).activation).to.equal('linear');
    m.dispose();
  });

  it('the same seed gives the same weights; another seed other weights', () => {
    const [a, b, c] = [simpleNet({ seed: 4 }), simpleNet({ seed: 4 }), simpleNet({ seed: 5 })];
    const w = (m: tf.LayersModel) => Array.from((m.getWeights()[0] as tf.Tensor).dataSync().slice(0, 20));
    expect(w(a)).to.deep.equal(w(b));
    expect(w(a)).to.not.deep.equal(w(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('the CNN maps (n, 28, 28, 1) to (n, 10) through conv, BN, pooling and dense layers', () => {
    const m = cnn({ seed: 0 });
    expect(m.outputs[0]?.shape).to.deep.equal([null, 10]);
    expect(m.layers.map((l) => l.getClassName())).to.include.members([
      'Conv2D',
      'BatchNormalization',
      'MaxPooling2D',
      'Flatten',
      'Dense',
    ]);
    m.dispose();
  });

  it('bad widths are ConfigErrors', () => {
    expect(() => simpleNet({ seed: 0, hidden: [0] })).to.throw(
      ConfigError,
      /simpleNet: hidden\[0\] a positive integer, got 0/,
    );
    expect(() => cnn({ seed: 0, filters: [8, 2.5] })).to.throw(ConfigError, /filters\[1\]/);
  });

  it('loadBaseline rejects unknown names', async () => {
    let err: unknown;
    try {
      await loadBaseline('resnet' as never);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
  });
});

describe('models/model-cache', () => {
  const prev = process.env.TFJS_COMPRESS_CACHE;
  before(() => {
    process.env.TFJS_COMPRESS_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-cache-'));
  });
  after(() => {
    if (prev === undefined) delete process.env.TFJS_COMPRESS_CACHE;
    else process.env.TFJS_COMPRESS_CACHE = prev;
  });

  it('trains once, then serves the same weights from disk; a damaged entry is retrained', async () => {
    let trained = 0;
    const train = async () => {
      trained++;
      return { model: simpleNet({ seed: 9, hidden: [4] }), meta: { note: 'x' } };
    };
    const first = await cachedModel({ k: 1 }, 'test', train);
    const second = await cachedModel({ k: 1 }, 'test', train);
    expect(trained).to.equal(1);
    expect(first.fromCache).to.equal(false);
    expect(second.fromCache).to.equal(true);
    expect(second.meta).to.deep.equal({ note: 'x' });
    expect(cachedMeta({ k: 1 }, 'test')).to.deep.equal({ note: 'x' }); // without loading the model
    expect(cachedMeta({ k: 'never trained' }, 'test')).to.equal(undefined);
    expect(Array.from((second.model.getWeights()[0] as tf.Tensor).dataSync())).to.deep.equal(
      Array.from((first.model.getWeights()[0] as tf.Tensor).dataSync()),
    );
    fs.writeFileSync(path.join(second.dir, 'weights.bin'), 'garbage');
    const third = await cachedModel({ k: 1 }, 'test', train);
    expect(trained).to.equal(2);
    expect(third.fromCache).to.equal(false);
    [first, second, third].forEach((e) => e.model.dispose());
  });

  it('different keys are different entries, and nothing leaks', async () => {
    await expectNoLeak(async () => {
      const a = await cachedModel({ k: 2 }, 'test', async () => ({
        model: simpleNet({ seed: 1, hidden: [4] }),
        meta: 1,
      }));
      const b = await cachedModel({ k: 3 }, 'test', async () => ({
        model: simpleNet({ seed: 1, hidden: [4] }),
        meta: 2,
      }));
      expect(a.dir).to.not.equal(b.dir);
      return [a.model, b.model];
    });
  });
});
