// Calibration is unlabelled by nature; evaluation needs labels and says so before any work.
// As a new user meets it: a calibration folder with one class subfolder (which used to crash
// after a minute with tfjs' "oneHot: depth must be >=2" and leak a tensor per call), a flat
// folder, a .npy without labels, a tf.data dataset of bare inputs; then a flat folder or bare
// tensors given to evaluation.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { loadDataFiles } from '../../lib/data/data-files';
import { batchesOf } from '../../lib/data/source';
import { encodeNpy } from '../../lib/data/npy';
import { postTraining } from '../../lib/quantize/post-training';
import { calibrateRanges } from '../../lib/quantize/calibrate';
import { evaluate } from '../../lib/train/evaluate';
import { DataError } from '../../lib/errors';
import { png, rejection, tmpDir, writeTree } from './images';

function convNet(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu', seed: 1 } as never),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

async function images(n: number, prefix: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (let k = 0; k < n; k++)
    out[`${prefix}${k}.png`] = await png(12, 10, (x, y) => [(k * 40 + x * 9) % 256, y * 20, 90]);
  return out;
}

describe('data: calibration without labels, evaluation with them', function () {
  this.timeout(120000);
  let model: tf.LayersModel;
  before(() => {
    model = convNet();
  });
  after(() => model.dispose());

  it('a one-class calibration folder calibrates (no one-hot), and repeated calls leak nothing', async () => {
    const dir = writeTree(await images(6, 'only/'));
    const data = await loadDataFiles(dir, { inputShape: [8, 8, 3] });
    expect([data.labelled, data.classNames]).to.deep.equal([true, ['only']]);
    const before = tf.memory().numTensors;
    for (let call = 0; call < 3; call++) {
      const { model: q, report } = await postTraining(model, data.source, {
        mode: 'static',
        batchSize: 4,
      });
      expect(report.mode).to.equal('static');
      q.dispose();
      expect(tf.memory().numTensors, `call ${call}`).to.equal(before);
    }
  });

  it('a flat folder, a .npy without labels and a tf.data dataset of bare inputs all calibrate', async () => {
    const flat = await loadDataFiles(writeTree(await images(5, '')), { inputShape: [8, 8, 3] });
    expect([flat.layout, flat.labelled]).to.deep.equal(['flat', false]);
    const npyDir = tmpDir('tfc-npy-');
    const x = Float32Array.from({ length: 4 * 192 }, (_, i) => (i % 17) / 17);
    fs.writeFileSync(path.join(npyDir, 'x.npy'), encodeNpy({ dtype: 'float32', shape: [4, 8, 8, 3], data: x }));
    const npy = await loadDataFiles(path.join(npyDir, 'x.npy'), { inputShape: [8, 8, 3] });
    expect(npy.labelled).to.equal(false);
    const ds = tf.data.array([0, 1, 2]).map((i) => tf.fill([8, 8, 3], (i as number) / 3));
    const before = tf.memory().numTensors;
    for (const source of [flat.source, npy.source, ds as unknown as tf.data.Dataset<tf.TensorContainer>]) {
      const ranges = await calibrateRanges(model, source, { batchSize: 2 });
      expect(Object.keys(ranges).length).to.be.greaterThan(0);
      expect(tf.memory().numTensors).to.equal(before);
    }
    npy.dispose();
  });

  it('batches of a one-class set have a column of ones as targets; targets none skips them', async () => {
    const data = await loadDataFiles(writeTree(await images(3, 'only/')), { inputShape: [8, 8, 3] });
    const before = tf.memory().numTensors;
    for await (const b of batchesOf(data.source, { batchSize: 8, inputShape: [8, 8, 3] }))
      expect(b.ys?.arraySync()).to.deep.equal([[1], [1], [1]]);
    for await (const b of batchesOf(data.source, { batchSize: 8, targets: 'none' }))
      expect([b.ys, b.labels]).to.deep.equal([undefined, undefined]);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('evaluation of unlabelled data is a DataError before the model runs once', async () => {
    let runs = 0;
    const predictor = (x: tf.Tensor) => {
      runs++;
      return tf.tidy(() => tf.softmax(tf.reshape(tf.mean(x, [1, 2]), [-1, 3])));
    };
    const flat = await loadDataFiles(writeTree(await images(4, '')), { inputShape: [8, 8, 3] });
    const xs = tf.zeros([4, 8, 8, 3]);
    const ds = tf.data.array([0, 1]).map(() => tf.zeros([8, 8, 3]));
    const before = tf.memory().numTensors;
    for (const [name, source] of [
      ['flat folder', flat.source],
      ['tensors without ys', { xs }],
      ['dataset of bare inputs', ds],
    ] as const) {
      const e = await rejection(evaluate(predictor, source as never, { inputShape: [8, 8, 3] }));
      expect(e, name).to.be.instanceOf(DataError);
      expect(e.message, name).to.match(
        /evaluate: a labelled ImageSet|evaluate: labelled data \(targets ys\), got inputs without labels/,
      );
      expect(runs, name).to.equal(0);
    }
    expect(tf.memory().numTensors).to.equal(before);
    xs.dispose();
    // The model's own evaluation of a labelled folder works.
    const labelled = await loadDataFiles(
      writeTree({ ...(await images(2, 'a/')), ...(await images(2, 'b/')), ...(await images(2, 'c/')) }),
      {
        inputShape: [8, 8, 3],
      },
    );
    const r = await evaluate(model, labelled.source);
    expect(r.count).to.equal(6);
  });
});
