import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import {
  loadModel,
  saveModel,
  modelToArtifacts,
  artifactsToModel,
  loadGraphModel,
  artifactsToGraphModel,
  graphModelToArtifacts,
} from '../../lib/data/model-io';
import { readArtifacts } from '../../lib/data/model-read';
import { writeArtifacts, weightByteLengths } from '../../lib/data/model-files';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { ConfigError, DataError, ShapeError } from '../../lib/errors';
import { mnistGraph, mobilenetGraph, stockGraphModel } from '../fixtures/graph-models';
import { maxAbsDiff } from '../helpers/backends';
import { expectNoLeak } from '../helpers/leak';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-model-'));
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
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
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }),
    );
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
    await expectNoLeak(async () => {
      await saveModel(model, dir);
      return loadModel(dir);
    });
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

  it('a failed load leaks nothing: weights of another shape, a missing weight, an unknown layer class', async () => {
    const dir = tmp();
    const model = cnn({ seed: 1 });
    await saveModel(model, dir);
    model.dispose();
    const file = path.join(dir, 'model.json');
    const original = fs.readFileSync(file, 'utf8');
    const variables = () => Object.keys(tf.engine().registeredVariables).length;
    const cases: [string, (j: any) => void, Function][] = [
      // fc1's kernel [400, 128] declared [128, 400]: same bytes, other shape.
      [
        'shape',
        (j) => {
          const w = j.weightsManifest[0].weights.find((x: any) => x.name === 'fc1/kernel');
          w.shape = [128, 400];
        },
        ShapeError,
      ],
      [
        'name',
        (j) => {
          j.weightsManifest[0].weights.find((x: any) => x.name === 'fc2/bias').name = 'fc9/bias';
        },
        DataError,
      ],
      [
        'class',
        (j) => {
          j.modelTopology.config.layers[9].class_name = 'NoSuchLayer';
        },
        DataError,
      ],
    ];
    for (const [what, edit, type] of cases) {
      const json = JSON.parse(original);
      edit(json);
      fs.writeFileSync(file, JSON.stringify(json));
      const [t0, v0] = [tf.memory().numTensors, variables()];
      const e = await rejection(loadModel(dir));
      expect(e, what).to.be.instanceOf(type);
      expect(e.message, what).to.match(/^loadModel: /);
      expect(tf.memory().numTensors - t0, `${what}: tensors leaked`).to.equal(0);
      expect(variables() - v0, `${what}: variables leaked`).to.equal(0);
    }
    // The backend still works, and the intact file still loads.
    fs.writeFileSync(file, original);
    const ok = await loadModel(dir);
    expect(ok.countParams()).to.be.greaterThan(0);
    ok.dispose();
  });
});

describe('data/model-io: graph models and model folders', () => {
  it('loadGraphModel reads a sharded graph-model folder; outputs equal stock tf.loadGraphModel', async () => {
    const f = mobilenetGraph(3);
    const dir = tmp();
    // 2 KiB shards: the converter's naming and splitting, many files.
    const written = writeArtifacts(dir, f.artifacts, { shardSizeBytes: 2048 });
    expect(written.files.length).to.equal(Math.ceil(f.artifacts.weightData.length / 2048));
    expect(written.files[0]).to.equal(`group1-shard1of${written.files.length}.bin`);
    expect(fs.statSync(path.join(dir, written.files[0] as string)).size).to.equal(2048);
    const [stock, loaded] = [await stockGraphModel(f.artifacts), await loadGraphModel(dir)];
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 4);
    const [a, b] = [stock.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(maxAbsDiff(a, b)).to.equal(0);
    expect(loaded.inputNodes).to.deep.equal(['image']);
    tf.dispose([x, a, b]);
    stock.dispose();
    loaded.dispose();
    f.layers.dispose();
  });

  it('graphModelToArtifacts gives back the files it was loaded from; loading leaks nothing', async () => {
    const f = mnistGraph(2);
    f.layers.dispose();
    await expectNoLeak(async () => {
      const m = artifactsToGraphModel(f.artifacts);
      const back = await graphModelToArtifacts(m);
      expect(back.weightData).to.deep.equal(f.artifacts.weightData);
      expect(back.modelJson.format).to.equal('graph-model');
      expect(back.modelJson.weightsManifest[0]?.weights).to.deep.equal(
        f.artifacts.modelJson.weightsManifest[0]?.weights,
      );
      m.dispose();
    });
  });

  it('each loader refuses the other format with a typed error naming the right one', async () => {
    const f = mnistGraph(2);
    f.layers.dispose();
    const gdir = tmp();
    writeArtifacts(gdir, f.artifacts);
    const e = await rejection(loadModel(gdir));
    expect(e).to.be.instanceOf(ConfigError);
    expect(e.message).to.match(/loadModel: a layers model, got a graph model .* Load it with loadGraphModel/);
    const ldir = tmp();
    const m = simpleNet({ seed: 1, hidden: [4] });
    await saveModel(m, ldir);
    m.dispose();
    const e2 = await rejection(loadGraphModel(ldir));
    expect(e2).to.be.instanceOf(ConfigError);
    expect(e2.message).to.match(/loadGraphModel: a graph model .* Load it with loadModel/);
  });

  it('weight paths stay inside the folder: ../, absolute paths, URLs and symlinks out are DataErrors', async () => {
    const f = mnistGraph(2);
    f.layers.dispose();
    const outside = tmp();
    fs.writeFileSync(path.join(outside, 'stolen.bin'), f.artifacts.weightData);
    const names = [
      '../' + path.basename(outside) + '/stolen.bin',
      path.join(outside, 'stolen.bin'),
      'https://example.com/w.bin',
      'link.bin',
    ];
    for (const name of names) {
      const dir = tmp();
      writeArtifacts(dir, f.artifacts);
      fs.symlinkSync(path.join(outside, 'stolen.bin'), path.join(dir, 'link.bin'));
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      json.weightsManifest[0].paths = [name];
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      const e = await rejection(loadGraphModel(dir));
      expect(e, name).to.be.instanceOf(DataError);
      // Named out of the folder, or a link out of it (refused by the safe-open primitive).
      expect(e.message, name).to.match(
        /loadGraphModel: (weight file paths inside the model folder|a regular weights file at .*link\.bin, got a link to .*, outside )/,
      );
    }
  });

  it('sizes are capped before reading; truncated shards and corrupt manifests are DataErrors; nothing leaks', async () => {
    const f = mobilenetGraph(3);
    f.layers.dispose();
    const dir = tmp();
    const { files } = writeArtifacts(dir, f.artifacts, { shardSizeBytes: 4096 });
    const before = tf.memory().numTensors;
    let e = await rejection(loadGraphModel(dir, { maxWeightBytes: 1000 }));
    expect(e.message).to.match(/loadGraphModel: weight files of at most 1000 bytes in all, got \d+/);
    e = await rejection(loadGraphModel(dir, { maxModelJsonBytes: 100 }));
    expect(e.message).to.match(/loadGraphModel: a model.json of at most 100 bytes/);
    const second = path.join(dir, files[1] as string);
    fs.truncateSync(second, 1000);
    e = await rejection(loadGraphModel(dir));
    expect(e).to.be.instanceOf(DataError);
    expect(e.message).to.contain(`${files[1]} (1000 bytes)`);
    expect(e.message).to.match(/weight bytes as model.json's manifest says/);
    writeArtifacts(dir, f.artifacts, { shardSizeBytes: 4096 });
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const corrupt: [string, (j: any) => void, RegExp][] = [
      [
        'quantization without scale',
        (j) => {
          j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' };
        },
        /finite quantization scale and min/,
      ],
      [
        'unknown dtype',
        (j) => {
          j.weightsManifest[0].weights[0].dtype = 'float64';
        },
        /a dtype \(float32/,
      ],
      [
        'negative dim',
        (j) => {
          j.weightsManifest[0].weights[0].shape = [-1, 3];
        },
        /a shape of non-negative integers/,
      ],
      [
        'duplicate name',
        (j) => {
          j.weightsManifest[0].weights[1].name = j.weightsManifest[0].weights[0].name;
        },
        /unique weight names/,
      ],
      [
        'dangling input',
        (j) => {
          j.modelTopology.node[3].input[0] = 'nowhere';
        },
        /node inputs that name graph nodes/,
      ],
      [
        'Const without weight',
        (j) => {
          j.modelTopology.node.push({ name: 'orphan', op: 'Const', attr: {} });
        },
        /a weight for every Const node/,
      ],
    ];
    for (const [what, edit, re] of corrupt) {
      const j = JSON.parse(JSON.stringify(json));
      edit(j);
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(j));
      e = await rejection(loadGraphModel(dir));
      expect(e, what).to.be.instanceOf(DataError);
      expect(e.message, what).to.match(re);
    }
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('weightByteLengths walks string tensors (4-byte length before each value)', () => {
    const data = new Uint8Array([2, 0, 0, 0, 104, 105, 0, 0, 0, 0, 1, 0, 0, 0]);
    const specs = [
      { name: 's', shape: [2], dtype: 'string' as const },
      { name: 'b', shape: [4], dtype: 'bool' as const },
    ];
    expect(weightByteLengths(specs, data)).to.deep.equal([10, 4]);
    expect(() => weightByteLengths(specs, data.subarray(0, 12))).to.throw(DataError, /truncated/);
    // A string group read back from a folder.
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'w.bin'), data);
    fs.writeFileSync(
      path.join(dir, 'model.json'),
      JSON.stringify({
        modelTopology: { node: [] },
        format: 'graph-model',
        weightsManifest: [{ paths: ['w.bin'], weights: specs }],
      }),
    );
    expect(readArtifacts(dir).weightData.length).to.equal(14);
  });
});
