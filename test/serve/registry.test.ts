import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { ConfigError, DataError } from '../../lib/errors';
import { compareVersions, latestVersion, listVersions, loadVersion, publishModel, versionDir } from '../../lib/serve/registry';
import { simpleNet } from '../../lib/models/simplenet';
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

  it('refuses to overwrite a version, unsafe names, and missing models', async () => {
    const dir = await tinyRegistry();
    const model = simpleNet({ seed: 3, hidden: [8], inputSize: 4, numClasses: 3 });
    try {
      let err: unknown;
      try { await publishModel(model, { registryDir: dir, name: 'tiny', version: '1' }); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/immutable/);
    } finally {
      model.dispose();
    }
    expect(() => versionDir(dir, '../etc', '1')).to.throw(ConfigError, /letters, digits/);
    expect(() => versionDir(dir, 'tiny', '..')).to.throw(ConfigError);
    expect(() => latestVersion(fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-empty-')), 'none')).to.throw(DataError, /Publish one/);
    let err: unknown;
    try { await loadVersion(dir, 'tiny', '7'); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(DataError);
    expect((err as Error).message).to.match(/one of \[1, 2\]/);
  });
});
