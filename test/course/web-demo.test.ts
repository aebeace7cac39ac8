// The browser deployment in headless Chromium: the page loads two models, measures them and
// shows predictions; the test reads the numbers back and keeps a screenshot under build/.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { simpleNet } from '../../lib/models/simplenet';
import { loadMnist } from '../../lib/data/mnist';
import { modelToArtifacts } from '../../lib/data/model-io';
import { prepareWebModels, runWebDemoInBrowser, startWebDemo } from '../../lib/course/web-demo';

const ROOT = path.resolve(__dirname, '../..');

describe('course/web demo in headless Chromium', function () {
  this.timeout(90000);

  it('shows download bytes, latency and predictions for both models, and saves a screenshot', async () => {
    const big = simpleNet({ seed: 1, hidden: [64] });
    const small = simpleNet({ seed: 2, hidden: [8] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-web-'));
    const info = prepareWebModels(dir, [
      { key: 'baseline', label: 'MLP 64', artifacts: await modelToArtifacts(big) },
      { key: 'compressed', label: 'MLP 8', artifacts: await modelToArtifacts(small), note: 'fp32 weights' },
    ], loadMnist().test, 40);
    big.dispose();
    small.dispose();
    const server = await startWebDemo(dir);
    try {
      expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:/);
      const screenshotPath = path.join(ROOT, 'build', 'web-demo-test.png');
      fs.rmSync(screenshotPath, { force: true });
      const r = await runWebDemoInBrowser(server.url, { screenshotPath, backend: 'cpu' });
      expect(r.backend).to.equal('cpu');
      expect(r.status).to.match(/done: 2 models/);
      expect(r.models.map((m) => m.key)).to.deep.equal(['baseline', 'compressed']);
      r.models.forEach((m, i) => {
        expect(m.downloadBytes).to.equal(info.models[i]?.fileBytes);
        expect(m.p50Batch1Ms).to.be.greaterThan(0);
        expect(m.p50Batch32Ms).to.be.greaterThan(0);
        expect(m.sampleAccuracy).to.be.within(0, 1);
        expect(m.samples).to.equal(40);
        expect(m.format).to.equal('float32');
      });
      expect((r.models[0] as { downloadBytes: number }).downloadBytes).to.be.greaterThan((r.models[1] as { downloadBytes: number }).downloadBytes);
      expect(fs.statSync(screenshotPath).size).to.be.greaterThan(10000);
    } finally {
      await server.close();
    }
  });
});
