import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { ConfigError, DataError } from '../../lib/errors';
import {
  compareVersions,
  latestVersion,
  listVersions,
  loadVersion,
  publishModel,
  publishOnnx,
  versionDir,
  versionSource,
} from '../../lib/serve/registry';
import { readOnnxFile } from '../../lib/serve/serving-manifest';
import { simpleNet } from '../../course/models/simplenet';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import * as tf from '@tensorflow/tfjs';
import { tinyRegistry } from './fixtures';

describe('serve/registry', () => {
  it('orders versions naturally and finds the latest', async () => {
    expect(['10', '2', '1'].sort(compareVersions)).to.deep.equal(['1', '2', '10']);
    const dir = await tinyRegistry();
    expect(listVersions(dir, 'tiny')).to.deep.equal(['1', '2']);
    expect(latestVersion(dir, 'tiny')).to.equal('2');
    const m = await loadVersion(dir, 'tiny', '1');
    expect(m.inputs[0]?.shape).to.deep.equal([null, 4]);
    m.dispose();
  });

  it('publishes an ONNX version with its serving manifest read from the graph', async () => {
    const dir = await tinyRegistry();
    const logits = simpleNet({ seed: 3, hidden: [8], inputSize: 4, numClasses: 3 });
    const probs = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
    try {
      const { manifest } = await publishOnnx(toOnnx(logits), { registryDir: dir, name: 'tiny', version: '3' });
      expect(manifest.contract).to.deep.equal({
        input: { shape: [4], dtype: 'float32' },
        output: { shape: [3], dtype: 'float32' },
        outputKind: 'logits',
      });
      const soft = await publishOnnx(toOnnx(probs).bytes, { registryDir: dir, name: 'tiny', version: '4' });
      expect(soft.manifest.contract.outputKind).to.equal('probabilities');
    } finally {
      logits.dispose();
      probs.dispose();
    }
    expect(listVersions(dir, 'tiny')).to.deep.equal(['1', '2', '3', '4']);
    const src = versionSource(dir, 'tiny', '3');
    expect(src.format).to.equal('onnx');
    expect((await readOnnxFile(src.dir, src.manifest!, 1e6)).length).to.equal(src.manifest!.sizeBytes);
    let err: unknown;
    try {
      await readOnnxFile(src.dir, src.manifest!, 100);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DataError);
    expect((err as Error).message).to.match(/maxModelBytes/);
    let refused: unknown;
    try {
      await loadVersion(dir, 'tiny', '3');
    } catch (e) {
      refused = e;
    }
    expect(refused).to.be.instanceOf(ConfigError);
  });

  it('reads model.onnx only as a regular file inside the version folder', async () => {
    const dir = await tinyRegistry();
    const m = simpleNet({ seed: 3, hidden: [8], inputSize: 4, numClasses: 3 });
    await publishOnnx(toOnnx(m), { registryDir: dir, name: 'tiny', version: 'link' });
    await publishOnnx(toOnnx(m), { registryDir: dir, name: 'tiny', version: 'fifo' });
    m.dispose();
    const outside = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-outside-')), 'model.onnx');
    const link = versionSource(dir, 'tiny', 'link');
    fs.renameSync(path.join(link.dir, 'model.onnx'), outside);
    fs.symlinkSync(outside, path.join(link.dir, 'model.onnx'));
    const fifo = versionSource(dir, 'tiny', 'fifo');
    fs.rmSync(path.join(fifo.dir, 'model.onnx'));
    require('child_process').execFileSync('mkfifo', [path.join(fifo.dir, 'model.onnx')]);
    for (const [src, msg] of [
      [link, /outside the folder/],
      [fifo, /not a regular file/],
    ] as const) {
      let err: unknown;
      try {
        await readOnnxFile(src.dir, src.manifest!, 1e6);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(DataError);
      expect((err as Error).message).to.match(msg);
    }
  });

  it('publishes exclusively: of 8 concurrent publishers of one version exactly one wins, and no temporary folder is left', async () => {
    const dir = await tinyRegistry();
    const models = Array.from({ length: 8 }, (_, i) =>
      simpleNet({ seed: 10 + i, hidden: [8], inputSize: 4, numClasses: 3 }),
    );
    const results = await Promise.allSettled(
      models.map((m) => publishModel(m, { registryDir: dir, name: 'tiny', version: '9' })),
    );
    models.forEach((m) => m.dispose());
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(ConfigError);
    expect(fs.readdirSync(path.join(dir, 'tiny')).sort()).to.deep.equal(['1', '2', '9']);
  });

  it('refuses to overwrite a version, unsafe names, and missing models', async () => {
    const dir = await tinyRegistry();
    const model = simpleNet({ seed: 3, hidden: [8], inputSize: 4, numClasses: 3 });
    try {
      let err: unknown;
      try {
        await publishModel(model, { registryDir: dir, name: 'tiny', version: '1' });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/immutable/);
    } finally {
      model.dispose();
    }
    expect(() => versionDir(dir, '../etc', '1')).to.throw(ConfigError, /letters, digits/);
    expect(() => versionDir(dir, 'tiny', '..')).to.throw(ConfigError);
    expect(() => latestVersion(fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-empty-')), 'none')).to.throw(
      DataError,
      /Publish one/,
    );
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-file-')), 'f');
    fs.writeFileSync(file, 'x');
    expect(() => listVersions(file, 'tiny')).to.throw(DataError, /registry folder/);
    let err: unknown;
    try {
      await loadVersion(dir, 'tiny', '7');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DataError);
    expect((err as Error).message).to.match(/one of \[1, 2\]/);
  });
});
