// model.json files as an attacker writes them: nested a million levels deep (under the size cap),
// input dimensions of 0 or -5, and random mutations of a real one. Each is a DataError when the
// model is opened, through both readers; a model.json path works wherever a folder does.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fc from 'fast-check';
import { DataError } from '../../lib/errors';
import { readArtifacts, readArtifactsAsync } from '../../lib/data/model-read';
import { loadGraphModel, loadModel, saveModel } from '../../lib/data/model-io';
import { jsonDepth, parseModelJson, MAX_JSON_DEPTH } from '../../lib/data/model-json';
import { writeArtifacts } from '../../lib/data/model-files';
import { mnistGraph } from '../fixtures/graph-models';
import { expectNoLeak } from '../helpers/leak';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-model-json-'));

/** The errors of both readers on `p`. */
async function bothErrors(p: string): Promise<unknown[]> {
  const sync = (() => {
    try {
      readArtifacts(p);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  return [sync, await readArtifactsAsync(p).catch((e: unknown) => e)];
}

describe('data/model-json: hostile model.json files', function () {
  this.timeout(60000);
  let layersDir: string;
  let graphDir: string;
  before(async () => {
    layersDir = tmp();
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, name: 'd' })] });
    await saveModel(m, layersDir);
    m.dispose();
    graphDir = tmp();
    const g = mnistGraph(1);
    g.layers.dispose();
    writeArtifacts(graphDir, g.artifacts);
  });

  it('a model.json of 10^6 nested arrays (2 MB, under the cap) is a DataError, not a RangeError', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'model.json'), '['.repeat(1e6) + ']'.repeat(1e6));
    const nestedTopology = `{"modelTopology": ${'{"a":'.repeat(400000)}1${'}'.repeat(400000)}, "weightsManifest": []}`;
    const dir2 = tmp();
    fs.writeFileSync(path.join(dir2, 'model.json'), nestedTopology);
    for (const d of [dir, dir2]) {
      for (const e of await bothErrors(d)) {
        expect(e, d).to.be.instanceOf(DataError);
        expect((e as Error).message).to.match(
          /readArtifacts: a model.json nested at most 256 levels deep in .*model\.json/,
        );
      }
      const loaded = await loadModel(d).catch((e: unknown) => e);
      expect(loaded).to.be.instanceOf(DataError);
    }
    expect(() => parseModelJson('['.repeat(MAX_JSON_DEPTH + 1), 'm.json', 'f')).to.throw(DataError, /nested at most/);
  });

  it('jsonDepth counts brackets outside strings only (escaped quotes included)', () => {
    expect(jsonDepth('{"a": [1, {"b": []}]}')).to.equal(4);
    expect(jsonDepth('{"a": "[[[[\\"[[[["}')).to.equal(1);
    expect(jsonDepth('"\\\\"[]')).to.equal(1);
    expect(jsonDepth('[[[[[', 3)).to.equal(4); // stops once past the limit
  });

  it('input dimensions of 0, -5 or 2.5 in a layers model are refused when it is opened; null stays free', async () => {
    const json = JSON.parse(fs.readFileSync(path.join(layersDir, 'model.json'), 'utf8'));
    const layer = json.modelTopology.config.layers[0].config;
    const key = 'batch_input_shape' in layer ? 'batch_input_shape' : 'batch_shape';
    expect(layer[key]).to.deep.equal([null, 4]);
    for (const bad of [0, -5, 2.5, '4', 2 ** 40]) {
      const dir = tmp();
      fs.copyFileSync(path.join(layersDir, 'weights.bin'), path.join(dir, 'weights.bin'));
      layer[key] = [null, bad];
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      for (const e of await bothErrors(dir)) {
        expect(e, String(bad)).to.be.instanceOf(DataError);
        expect((e as Error).message).to.match(/input dimensions that are positive integers .*modelTopology\..*batch/);
      }
      expect(await loadModel(dir).catch((e: unknown) => e)).to.be.instanceOf(DataError);
    }
  });

  it('input dimensions of 0 or -5 in a graph model (signature or placeholder) are refused; -1 stays free', async () => {
    const json = JSON.parse(fs.readFileSync(path.join(graphDir, 'model.json'), 'utf8'));
    const placeholder = json.modelTopology.node.find((n: { op: string }) => n.op === 'Placeholder');
    expect(placeholder.attr.shape.shape.dim.map((d: { size: string }) => d.size)).to.deep.equal([
      '-1',
      '28',
      '28',
      '1',
    ]);
    const cases: [string, (j: typeof json) => void][] = [
      ['placeholder -5', (j) => (j.modelTopology.node[0].attr.shape.shape.dim[1].size = '-5')],
      ['placeholder 0', (j) => (j.modelTopology.node[0].attr.shape.shape.dim[2].size = '0')],
      [
        'signature 0',
        (j) =>
          (j.signature = {
            inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '0' }] } } },
          }),
      ],
    ];
    for (const [name, edit] of cases) {
      const copy = JSON.parse(JSON.stringify(json));
      expect(copy.modelTopology.node[0].op).to.equal('Placeholder');
      edit(copy);
      const dir = tmp();
      for (const f of fs.readdirSync(graphDir))
        if (f !== 'model.json') fs.copyFileSync(path.join(graphDir, f), path.join(dir, f));
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(copy));
      for (const e of await bothErrors(dir)) {
        expect(e, name).to.be.instanceOf(DataError);
        expect((e as Error).message, name).to.match(/input dimensions that are positive integers/);
      }
    }
    await expectNoLeak(async () => (await loadGraphModel(graphDir)).dispose());
  });

  it('a model.json path (any *.json name) is accepted wherever the folder is', async () => {
    const byDir = readArtifacts(layersDir);
    const byFile = readArtifacts(path.join(layersDir, 'model.json'));
    expect(Buffer.from(byFile.weightData).equals(Buffer.from(byDir.weightData))).to.equal(true);
    const renamed = tmp();
    fs.copyFileSync(path.join(layersDir, 'weights.bin'), path.join(renamed, 'weights.bin'));
    fs.copyFileSync(path.join(layersDir, 'model.json'), path.join(renamed, 'classifier.json'));
    const model = await loadModel(path.join(renamed, 'classifier.json'));
    expect(model.inputs[0]?.shape).to.deep.equal([null, 4]);
    model.dispose();
    const graph = await loadGraphModel(path.join(graphDir, 'model.json'));
    expect(graph.inputs[0]?.shape).to.deep.equal([-1, 28, 28, 1]);
    graph.dispose();
    const missing = await readArtifactsAsync(path.join(renamed, 'other.json')).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(DataError);
    expect((missing as Error).message).to.match(/a model.json in .*, got ENOENT/);
  });

  it('random mutations of a real model.json are read or refused with a DataError, nothing else (fast-check)', () => {
    const text = fs.readFileSync(path.join(layersDir, 'model.json'), 'utf8');
    const dir = tmp();
    fs.copyFileSync(path.join(layersDir, 'weights.bin'), path.join(dir, 'weights.bin'));
    let refused = 0;
    fc.assert(
      fc.property(
        fc.nat(text.length - 1),
        fc.nat(40),
        fc.string({ maxLength: 12, unit: fc.constantFrom('[', ']', '{', '}', '"', ',', ':', '0', '-', 'null', '\\') }),
        (at, cut, insert) => {
          fs.writeFileSync(path.join(dir, 'model.json'), text.slice(0, at) + insert + text.slice(at + cut));
          try {
            readArtifacts(dir);
          } catch (e) {
            if (!(e instanceof DataError)) throw e;
            refused++;
          }
        },
      ),
      { numRuns: 300, seed: 19 },
    );
    expect(refused).to.be.greaterThan(100);
  });
});
