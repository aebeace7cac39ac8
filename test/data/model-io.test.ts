import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { loadModel, saveModel, modelToArtifacts, artifactsToModel } from '../../lib/data/model-io';
import { simpleNet } from '../../lib/models/simplenet';
import { cnn } from '../../lib/models/cnn';
import { DataError, ShapeError } from '../../lib/errors';
import { maxAbsDiff } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-model-'));
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  throw new Error('expected a rejection');
}

describe('data/model-io', () => {
  it('saves model.json + weights.bin that stock tfjs loads, with equal outputs', async () => {
    const dir = tmp();
    const model = cnn({ seed: 1 });
    const sizes = await saveModel(model, dir);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['model.json', 'weights.bin']);
    expect(sizes.weightBytes).to.equal(fs.statSync(path.join(dir, 'weights.bin')).size);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const weightData = new Uint8Array(fs.readFileSync(path.join(dir, 'weights.bin'))).buffer;
    // Stock tfjs, no library code: tf.loadLayersModel on the files' contents.
    const stock = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
    const loaded = await loadModel(dir);
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 2);
    const [a, b, c] = [model, stock, loaded].map((m) => m.predict(x) as tf.Tensor);
    expect(maxAbsDiff(a as tf.Tensor, b as tf.Tensor)).to.equal(0);
    expect(maxAbsDiff(a as tf.Tensor, c as tf.Tensor)).to.equal(0);
    tf.dispose([x, a as tf.Tensor, b as tf.Tensor, c as tf.Tensor]);
    [model, stock, loaded].forEach((m) => m.dispose());
  });

  it('round-trips through artifacts without leaking', async () => {
    await expectNoLeak(async () => {
      const model = simpleNet({ seed: 1 });
      const copy = await artifactsToModel(await modelToArtifacts(model));
      expect(copy.countParams()).to.equal(235146);
      model.dispose();
      return copy;
    });
  });

  it('saveModel and loadModel on disk leak no tensors', async () => {
    const dir = tmp();
    const model = simpleNet({ seed: 1, hidden: [8] });
    await expectNoLeak(async () => { await saveModel(model, dir); return loadModel(dir); });
    model.dispose();
  });

  it('leaves no temporary files behind', async () => {
    const dir = tmp();
    const model = simpleNet({ seed: 1, hidden: [8] });
    await saveModel(model, dir);
    await saveModel(model, dir);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
    model.dispose();
  });

  it('a missing model.json, malformed JSON or a non-model JSON is a DataError with a fix', async () => {
    const dir = tmp();
    let e = await rejection(loadModel(dir));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/loadModel: a model.json in .*, got ENOENT\. Check the folder/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": ');
    e = await rejection(loadModel(dir));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/valid JSON/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{"hello": 1}');
    e = await rejection(loadModel(dir));
    expect(e.message).to.match(/modelTopology and weightsManifest .* got keys \[hello\]/);
  });

  it('a missing or truncated weights file is a DataError naming it', async () => {
    const dir = tmp();
    const model = simpleNet({ seed: 1, hidden: [8] });
    await saveModel(model, dir);
    model.dispose();
    const w = path.join(dir, 'weights.bin');
    fs.truncateSync(w, 100);
    let e = await rejection(loadModel(dir));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.match(/weight bytes as model.json's manifest says, got 100/);
    fs.rmSync(w);
    e = await rejection(loadModel(dir));
    expect(e.message).to.contain(w);
  });

  it('weights of another shape are a ShapeError', async () => {
    const dir = tmp();
    const model = simpleNet({ seed: 1, hidden: [8] });
    await saveModel(model, dir);
    model.dispose();
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    // Same byte count, other shape: [784, 8] kernel declared as [8, 784].
    json.weightsManifest[0].weights[0].shape = [8, 784];
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    const e = await rejection(loadModel(dir));
    expect(e).to.be.instanceOf(ShapeError);
    expect(e.message).to.match(/weights whose shapes match the layers/);
  });
});
