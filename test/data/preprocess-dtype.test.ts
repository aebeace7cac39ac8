// The inputs a model expects, from files: Keras' preprocess_input modes applied to every batch of
// an image folder (calibration, evaluation and fine-tuning see the same inputs, because the set
// carries its preprocessing), and the model input's dtype honoured (an int32 .npy stays int32
// for a graph model with an int32 input; what cannot be converted is a typed error with advice).
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { loadDataFiles } from '../../lib/data/data-files';
import { batchesOf } from '../../lib/data/source';
import { toTensors } from '../../lib/data/tensors';
import { encodeNpy } from '../../lib/data/npy';
import { preprocessValue, resolvePreprocessing } from '../../lib/data/preprocess';
import { artifactsToGraphModel } from '../../lib/data/model-io';
import { ImageSet } from '../../lib/data/image-set';
import { ConfigError, DataError, ShapeError } from '../../lib/errors';
import { GraphDefBuilder, attr } from '../fixtures/graph-models';
import { png, rejection, tmpDir, writeTree } from './images';

const RGB: [number, number, number] = [200, 100, 30];

async function oneColourFolder(flat = false): Promise<string> {
  const files: Record<string, Buffer> = {};
  for (const c of flat ? [''] : ['a/', 'b/']) files[`${c}x.png`] = await png(4, 4, () => RGB);
  return writeTree(files);
}

async function firstBatch(source: Parameters<typeof batchesOf>[0], o: Parameters<typeof batchesOf>[1] = {}) {
  for await (const b of batchesOf(source, o)) return { values: Array.from(b.xs.dataSync()), dtype: b.xs.dtype };
  throw new Error('no batch');
}

/** A graph model whose input is int32 (n, 3): Cast -> MatMul by [[1, 0], [0, 1], [1, 1]]. */
function int32GraphModel(): tf.GraphModel {
  const g = new GraphDefBuilder();
  g.nodes.push({ name: 'ids', op: 'Placeholder', attr: { dtype: attr.type('DT_INT32'), shape: attr.shape([-1, 3]) } });
  g.nodes.push({
    name: 'f',
    op: 'Cast',
    input: ['ids'],
    attr: { SrcT: attr.type('DT_INT32'), DstT: attr.type('DT_FLOAT') },
  });
  const w = g.weight('w', Float32Array.of(1, 0, 0, 1, 1, 1), [3, 2]);
  const mm = g.op('mm', 'MatMul', ['f', w], { transpose_a: attr.b(false), transpose_b: attr.b(false) });
  g.op('Identity', 'Identity', [mm]);
  return artifactsToGraphModel(g.build());
}

describe('data: preprocessing as the model expects it, and the input dtype', function () {
  this.timeout(60000);

  it('every preset reaches every batch of an image folder, exactly as preprocess_input computes it', async () => {
    const dir = await oneColourFolder();
    for (const preset of ['unit', 'mobilenet', 'caffe', 'torch', 'none'] as const) {
      const data = await loadDataFiles(dir, { inputShape: [4, 4, 3], preprocessing: { preset } });
      expect(data.preprocessing?.preset).to.equal(preset);
      expect((data.source as ImageSet).preprocessing?.preset).to.equal(preset);
      const want = preprocessValue(RGB, resolvePreprocessing({ preset }));
      const { values } = await firstBatch(data.source, { batchSize: 1 });
      for (let i = 0; i < 16; i++)
        for (let c = 0; c < 3; c++) expect(values[3 * i + c], `${preset} c${c}`).to.be.closeTo(want[c] as number, 1e-5);
      // The course API (toTensors) takes the set's preprocessing too.
      const t = toTensors(data.source as ImageSet, { end: 1 });
      expect(Array.from(t.xs.dataSync().slice(0, 3))).to.deep.equal(values.slice(0, 3));
      tf.dispose([t.xs, t.ys]);
    }
    const caffe = preprocessValue(RGB, resolvePreprocessing({ preset: 'caffe' }));
    expect(caffe[0]).to.be.closeTo(30 - 103.939, 1e-9); // BGR: blue first, minus the blue mean
  });

  it('explicit numbers (scale, per-channel mean and std, BGR) and a flat folder work the same way', async () => {
    const data = await loadDataFiles(await oneColourFolder(true), {
      inputShape: [4, 4, 3],
      preprocessing: { scale: 1 / 255, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.5], channelOrder: 'bgr' },
    });
    expect([data.layout, data.preprocessing?.preset]).to.deep.equal(['flat', 'custom']);
    const { values } = await firstBatch(data.source, { targets: 'none' });
    const want = [(30 / 255 - 0.5) / 0.2, (100 / 255 - 0.4) / 0.25, (200 / 255 - 0.3) / 0.5];
    values.slice(0, 3).forEach((v, c) => expect(v).to.be.closeTo(want[c] as number, 1e-6));
  });

  it('a different preprocessing asked of a set loaded with one is a ConfigError (one place decides)', async () => {
    const data = await loadDataFiles(await oneColourFolder(), {
      inputShape: [4, 4, 3],
      preprocessing: { preset: 'mobilenet' },
    });
    const e = await rejection(firstBatch(data.source, { preprocessing: { preset: 'caffe' } }));
    expect(e).to.be.instanceOf(ConfigError);
    expect(e.message).to.match(
      /the preprocessing the images of '.*' were loaded with \('mobilenet'\), got 'caffe'\. Pass the preprocessing once/,
    );
    expect((await firstBatch(data.source, { preprocessing: { preset: 'mobilenet' } })).values.length).to.equal(2 * 48);
    expect(() => toTensors(data.source as ImageSet, { preprocessing: { preset: 'unit' } })).to.throw(ConfigError);
  });

  it('an int32 model input gets the raw pixels as int32 (preprocessing none), and refuses any other preprocessing first', async () => {
    const dir = await oneColourFolder();
    const data = await loadDataFiles(dir, {
      inputShape: [4, 4, 3],
      inputDtype: 'int32',
      preprocessing: { preset: 'none' },
    });
    const b = await firstBatch(data.source, { inputDtype: 'int32' });
    expect(b.dtype).to.equal('int32');
    expect(b.values.slice(0, 3)).to.deep.equal(RGB);
    const e = await rejection(
      loadDataFiles(dir, { inputShape: [4, 4, 3], inputDtype: 'int32', preprocessing: { preset: 'mobilenet' } }),
    );
    expect(e).to.be.instanceOf(ConfigError);
    expect(e.message).to.match(/preprocessing 'none' for a model whose input is int32 .*got 'mobilenet'/);
  });

  it('a .npy of pixel values takes a preprocessing too (NHWC per channel; flat with one mean and std)', async () => {
    const dir = tmpDir('tfc-npy-pre-');
    const nhwc = path.join(dir, 'px.npy');
    fs.writeFileSync(
      nhwc,
      encodeNpy({ dtype: 'uint8', shape: [1, 1, 2, 3], data: Uint8Array.of(...RGB, 0, 127, 255) }),
    );
    const data = await loadDataFiles(nhwc, { inputShape: [1, 2, 3], preprocessing: { preset: 'caffe' } });
    expect(data.preprocessing?.preset).to.equal('caffe');
    const p = resolvePreprocessing({ preset: 'caffe' });
    const got = Array.from((data.source as { xs: tf.Tensor }).xs.dataSync());
    [...preprocessValue(RGB, p), ...preprocessValue([0, 127, 255], p)].forEach((v, i) =>
      expect(got[i]).to.be.closeTo(v, 1e-4),
    );
    data.dispose();
    const flat = path.join(dir, 'flat.npy');
    fs.writeFileSync(flat, encodeNpy({ dtype: 'uint8', shape: [1, 4], data: Uint8Array.of(0, 51, 102, 255) }));
    const unit = await loadDataFiles(flat, { inputShape: [4], preprocessing: { preset: 'mobilenet' } });
    expect(
      Array.from((unit.source as { xs: tf.Tensor }).xs.dataSync()).map((v) => Math.round(v * 1000) / 1000),
    ).to.deep.equal([-1, -0.6, -0.2, 1]);
    unit.dispose();
    expect(
      await rejection(loadDataFiles(flat, { inputShape: [4], preprocessing: { preset: 'caffe' } })),
    ).to.be.instanceOf(ShapeError);
    expect(
      await rejection(loadDataFiles(flat, { inputShape: [4], preprocessing: { preset: 'unit' }, scale: 2 })),
    ).to.be.instanceOf(ConfigError);
  });

  it('an int32 .npy stays int32 for an int32 graph input and runs; float whole numbers convert; fractions are refused', async () => {
    const dir = tmpDir('tfc-npy-dtype-');
    const file = (name: string, a: Parameters<typeof encodeNpy>[0]) => {
      fs.writeFileSync(path.join(dir, name), encodeNpy(a));
      return path.join(dir, name);
    };
    const ids = file('ids.npy', { dtype: 'int32', shape: [2, 3], data: Int32Array.of(1, 2, 3, 4, 5, 2147483647) });
    const before = tf.memory().numTensors;
    const model = int32GraphModel();
    const withModel = tf.memory().numTensors;
    const data = await loadDataFiles(ids, { inputShape: [3], inputDtype: 'int32' });
    const xs = (data.source as { xs: tf.Tensor }).xs;
    expect([xs.dtype, Array.from(xs.dataSync())]).to.deep.equal(['int32', [1, 2, 3, 4, 5, 2147483647]]); // exact, unlike float32
    for await (const b of batchesOf(data.source, { inputDtype: 'int32', inputShape: [3] })) {
      const first = tf.slice(b.xs, 0, 1);
      const out = model.predict(first) as tf.Tensor; // the graph's own Cast takes it to float
      expect(out.arraySync()).to.deep.equal([[4, 5]]);
      tf.dispose([first, out]);
    }
    data.dispose();
    expect(tf.memory().numTensors).to.equal(withModel);

    const whole = file('whole.npy', { dtype: 'float64', shape: [1, 3], data: Float64Array.of(7, 8, 9) });
    const w = await loadDataFiles(whole, { inputShape: [3], inputDtype: 'int32' });
    expect((w.source as { xs: tf.Tensor }).xs.dtype).to.equal('int32');
    w.dispose();
    const frac = file('frac.npy', { dtype: 'float32', shape: [1, 3], data: Float32Array.of(1, 2.5, 3) });
    const e = await rejection(loadDataFiles(frac, { inputShape: [3], inputDtype: 'int32' }));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/whole numbers that fit in int32 .* got 2\.5 at index 1 .* x\.astype\('int32'\)/);
    expect(await rejection(loadDataFiles(ids, { inputShape: [3], inputDtype: 'int32', scale: 0.5 }))).to.be.instanceOf(
      ConfigError,
    );
    // A float model input gets float32 (int arrays cast), as before.
    const f = await loadDataFiles(ids, { inputShape: [3] });
    expect((f.source as { xs: tf.Tensor }).xs.dtype).to.equal('float32');
    // Float tensors handed to an int32 input are refused before any batch, with what to do.
    const e2 = await rejection(firstBatch(f.source, { inputDtype: 'int32' }));
    expect(e2).to.be.instanceOf(DataError);
    expect(e2.message).to.match(/int32 inputs \(the model's input dtype\), got float32 values\. Pass integer data/);
    f.dispose();
    model.dispose();
    expect(tf.memory().numTensors).to.equal(before);
  });
});
