// The public entry point: explicit names and namespaces, and importing it loads none of the
// optional packages (charts, browser, load tests, notebook kernel, data sets).
import { execFileSync } from 'child_process';
import * as path from 'path';
import { expect } from 'chai';
import * as tfc from '../lib';
import { OPTIONAL_PACKAGES } from '../lib/core/optional-package';

const ROOT = path.resolve(__dirname, '..');

describe('lib/index', () => {
  it('exports the errors, the namespaces and the set-up, data, model and training functions', () => {
    for (const ns of [
      'profile',
      'prune',
      'quantize',
      'distill',
      'nas',
      'exporters',
      'bench',
      'serve',
      'monitor',
      'viz',
    ]) {
      expect(typeof (tfc as unknown as Record<string, unknown>)[ns], ns).to.equal('object');
    }
    for (const e of [
      tfc.ConfigError,
      tfc.DataError,
      tfc.ShapeError,
      tfc.UnsupportedLayerError,
      tfc.ExportError,
      tfc.MissingPackageError,
    ]) {
      expect(new e('x', 'y')).to.be.instanceOf(tfc.CompressionError);
    }
    for (const f of [tfc.initBackend, tfc.machineInfo, tfc.fit, tfc.evaluate, tfc.saveModel, tfc.loadModel])
      expect(f).to.be.a('function');
    // Internals stay internal.
    const names = Object.keys(tfc);
    for (const internal of [
      'registerWasmKernels',
      'setGradients',
      'convPadding',
      'describe',
      'check',
      'saveResults',
      'measureLatency',
      // The course lives outside the package (course/, the tfjs-compress-course package).
      'course',
      'simpleNet',
      'loadMnist',
      'loadBaseline',
    ])
      expect(names, internal).to.not.include(internal);
    expect(Object.keys(tfc.jobs)).to.include('executorEvaluator');
    for (const courseJob of ['studentJob', 'prunePointJob', 'baselineJob'])
      expect(Object.keys(tfc.jobs), courseJob).to.not.include(courseJob);
  });

  it('loads none of the optional packages on import', function () {
    this.timeout(60000);
    const script = `require('tsx/cjs'); require(${JSON.stringify(path.join(ROOT, 'lib'))});
      const loaded = new Set(Object.keys(require.cache).map((f) => (/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f) || [])[1]).filter(Boolean));
      process.stdout.write(JSON.stringify([...loaded]));`;
    const loaded = JSON.parse(
      execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }),
    ) as string[];
    expect(loaded).to.include('@tensorflow/tfjs-core'); // the probe works
    expect(loaded.filter((p) => p in OPTIONAL_PACKAGES || p === 'arquero' || p === 'onnxruntime-node')).to.deep.equal(
      [],
    );
  });
});
