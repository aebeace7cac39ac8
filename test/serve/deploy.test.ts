// Deploying a run in one command, as a new user would: `tfjs-compress serve <run folder>` on a
// run folder made from real exported models (layers, static INT8 ONNX, TFLite) with a real
// deploy.json, a real PNG posted, the class name back; and as an attacker would: missing,
// broken, hostile deploy.json files, paths out of the run folder, a run with nothing to serve.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { ConfigError, DataError } from '../../lib/errors';
import { chooseArtifact, publishForServing, registryNameOf } from '../../lib/serve/deploy';
import { startServer } from '../../lib/serve/server';
import { listVersions } from '../../lib/serve/registry';
import {
  CLASS_NAMES,
  MOBILENET,
  RunFolder,
  imageClassifier,
  listing,
  oracle,
  pixels,
  png,
  writeRunFolder,
} from './run-fixtures';

const ROOT = path.resolve(__dirname, '../..');
const tmp = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

function cli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'lib/serve/cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, TFC_ADMIN_TOKEN: '', TFC_INFERENCE_TOKEN: '', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /at (https?:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    void exit.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  url.catch(() => undefined);
  return { child, url, exit, out: () => out, err: () => err };
}

async function postImage(url: string, body: Buffer, type = 'image/png'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, body: await res.json() };
}

describe('serve: deploy a run folder in one command', () => {
  let run: RunFolder;
  before(async () => {
    const m = imageClassifier(1);
    run = await writeRunFolder(m);
    m.dispose();
  });

  it('`serve <run folder>` publishes the recommended INT8 ONNX outside the run folder and answers a PNG with class names', async function () {
    this.timeout(180000);
    const registry = tmp('tfc-reg-');
    const before = listing(run.dir);
    const args = [run.dir, '--registry', registry, '--port', '0', '--workers', '1'];
    const first = cli(args);
    const url = await first.url;
    expect(first.out()).to.match(
      /published .+@sha-[0-9a-f]{12} in .+02-quantize\/model\.onnx \(onnx, int8\), the run's recommendation/,
    );
    const px = pixels(3);
    const r = await postImage(url, await png(px));
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const want = await oracle(run.int8, px, MOBILENET);
    r.body.probabilities.forEach((p: number, i: number) => expect(p).to.be.closeTo(want[i] as number, 1e-5));
    const best = want.indexOf(Math.max(...want));
    expect(r.body.label).to.equal(best);
    expect(r.body.className).to.equal(CLASS_NAMES[best]);
    expect(r.body.top.map((t: { className: string }) => t.className)).to.have.members(CLASS_NAMES);
    expect(r.body.top[0]).to.deep.equal({
      label: best,
      className: CLASS_NAMES[best],
      probability: r.body.probabilities[best],
    });
    first.child.kill('SIGTERM');
    expect(await first.exit).to.equal(0);
    // The run folder is as it was; the registry holds one version with its deploy.json.
    expect(listing(run.dir)).to.deep.equal(before);
    const name = registryNameOf(run.dir);
    const versions = listVersions(registry, name);
    expect(versions).to.have.length(1);
    expect(fs.readdirSync(path.join(registry, name, versions[0] as string)).sort()).to.deep.equal([
      'deploy.json',
      'model.onnx',
      'serving.json',
    ]);
    // Served again: the same version, found, not published twice.
    const second = cli(args);
    await second.url;
    expect(second.out()).to.match(/^found .+@/);
    second.child.kill('SIGTERM');
    expect(await second.exit).to.equal(0);
    expect(listVersions(registry, name)).to.deep.equal(versions);
  });

  it('without --registry publishes into the cache folder, never into the run folder', async () => {
    const cache = tmp('tfc-cache-');
    const saved = process.env.TFJS_COMPRESS_CACHE;
    process.env.TFJS_COMPRESS_CACHE = cache;
    try {
      const before = listing(run.dir);
      const p = await publishForServing(run.dir);
      expect(p.registryDir).to.equal(path.join(cache, 'registry'));
      expect(p.published).to.equal(true);
      expect(listing(run.dir)).to.deep.equal(before);
      expect(listVersions(p.registryDir, p.name)).to.deep.equal([p.version]);
    } finally {
      if (saved === undefined) delete process.env.TFJS_COMPRESS_CACHE;
      else process.env.TFJS_COMPRESS_CACHE = saved;
    }
  });

  it('falls back to the INT8 ONNX when the recommended artifact is a .tflite, says why, and serves a layers model when asked', async () => {
    const m = imageClassifier(2);
    const tfl = await writeRunFolder(m, { recommend: 'tflite' });
    m.dispose();
    const registry = tmp('tfc-reg-');
    const p = await publishForServing(tfl.dir, { registryDir: registry });
    expect(p.artifact).to.deep.equal({ file: '02-quantize/model.onnx', format: 'onnx', precision: 'int8' });
    expect(p.reason).to.match(/because the recommended 03-tflite\/model\.tflite .* runs on tflite, not in this server/);
    const layers = await publishForServing(tfl.dir, { registryDir: registry, artifact: '01-baseline/model.json' });
    expect(layers.artifact.format).to.equal('tfjs-layers');
    expect(layers.version).to.not.equal(p.version);
    // The layers version serves the same preprocessing and class names.
    const s = await startServer({ registryDir: registry, model: layers.name, version: layers.version, workers: 1 });
    try {
      const px = pixels(9);
      const r = await postImage(s.url, await png(px));
      expect(r.status).to.equal(200);
      expect(CLASS_NAMES).to.include(r.body.className);
      expect(s.contract.classNames).to.deep.equal(CLASS_NAMES);
      expect(s.contract.preprocessing).to.deep.equal(MOBILENET);
    } finally {
      await s.close();
    }
    let err: unknown;
    try {
      await publishForServing(tfl.dir, { registryDir: registry, artifact: '03-tflite/model.tflite' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/--artifact one of .*01-baseline\/model\.json, 02-quantize\/model\.onnx/);
  });

  it('refuses a run with nothing this server runs, naming what to do', () => {
    const d = {
      ...run.deployment,
      recommended: null,
      artifacts: run.deployment.artifacts.filter((a) => a.format === 'tflite'),
    };
    expect(() => chooseArtifact(d)).to.throw(DataError, /Add an ONNX export stage/);
  });

  it('refuses missing, malformed and hostile deploy.json files with typed errors that say what to do', async () => {
    const registry = tmp('tfc-reg-');
    const copy = (): string => {
      const d = tmp('tfc-run-');
      fs.cpSync(run.dir, d, { recursive: true });
      return d;
    };
    const edit = (dir: string, f: (d: any) => unknown): void => {
      const d = JSON.parse(fs.readFileSync(path.join(dir, 'deploy.json'), 'utf8'));
      fs.writeFileSync(path.join(dir, 'deploy.json'), JSON.stringify(f(d)));
    };
    const cases: [string, () => string, RegExp][] = [
      [
        'an empty folder',
        () => tmp('tfc-empty-'),
        /a run folder \(with deploy\.json\), a TensorFlow\.js model folder \(with model\.json\) or an \.onnx file/,
      ],
      [
        'no deploy.json beside the stages',
        () => {
          const d = copy();
          fs.rmSync(path.join(d, 'deploy.json'));
          return d;
        },
        /a run folder \(with deploy\.json\)/,
      ],
      [
        'invalid JSON',
        () => {
          const d = copy();
          fs.writeFileSync(path.join(d, 'deploy.json'), '{"format": ');
          return d;
        },
        /valid JSON .*Re-create it with `tfjs-compress run`/,
      ],
      [
        'a path out of the run folder',
        () => {
          const d = copy();
          edit(d, (j) => ({ ...j, recommended: '../x.onnx', artifacts: [{ ...j.artifacts[1], file: '../x.onnx' }] }));
          return d;
        },
        /relative path inside the run folder/,
      ],
      [
        'an absolute path',
        () => {
          const d = copy();
          edit(d, (j) => ({ ...j, artifacts: [{ ...j.artifacts[1], file: '/etc/passwd' }] }));
          return d;
        },
        /relative path inside the run folder/,
      ],
      [
        'a __proto__ key',
        () => {
          const d = copy();
          fs.writeFileSync(
            path.join(d, 'deploy.json'),
            fs.readFileSync(path.join(d, 'deploy.json'), 'utf8').replace('{', '{"__proto__": {"recommended": "x"},'),
          );
          return d;
        },
        /not a known field/,
      ],
      [
        'a recommended file that is no artifact',
        () => {
          const d = copy();
          edit(d, (j) => ({ ...j, recommended: '02-quantize/other.onnx' }));
          return d;
        },
        /recommended must name the file of a deployable artifact/,
      ],
      [
        'an input shape the model does not have',
        () => {
          const d = copy();
          edit(d, (j) => ({ ...j, input: { ...j.input, shape: [32, 32, 3] } }));
          return d;
        },
        /input shape deploy\.json states \(\[32, 32, 3\]\)/,
      ],
      [
        'a class list of the wrong length',
        () => {
          const d = copy();
          edit(d, (j) => ({ ...j, output: { ...j.output, classNames: ['a', 'b'] } }));
          return d;
        },
        /one class name per output of \[3\]/,
      ],
      [
        'the model file a symlink out of the run folder',
        () => {
          const d = copy();
          const outside = path.join(tmp('tfc-outside-'), 'model.onnx');
          fs.copyFileSync(path.join(d, '02-quantize', 'model.onnx'), outside);
          fs.rmSync(path.join(d, '02-quantize', 'model.onnx'));
          fs.symlinkSync(outside, path.join(d, '02-quantize', 'model.onnx'));
          return d;
        },
        /outside/,
      ],
      [
        'the model file a FIFO',
        () => {
          const d = copy();
          fs.rmSync(path.join(d, '02-quantize', 'model.onnx'));
          require('child_process').execFileSync('mkfifo', [path.join(d, '02-quantize', 'model.onnx')]);
          return d;
        },
        /not a regular file/,
      ],
    ];
    for (const [what, make, message] of cases) {
      const dir = make();
      let err: unknown;
      try {
        const p = await publishForServing(dir, { registryDir: registry });
        // A broken class list is found when the version loads.
        await (await startServer({ registryDir: registry, model: p.name, version: p.version, workers: 0 })).close();
      } catch (e) {
        err = e;
      }
      expect(err, what).to.be.instanceOf(DataError);
      expect((err as Error).message, what).to.match(message);
      expect((err as Error).message, what).to.not.match(/TypeError|undefined|swap:/);
    }
  });

  it('serves a model folder or an .onnx file with the labels and preprocessing given', async () => {
    const registry = tmp('tfc-reg-');
    const onnx = path.join(tmp('tfc-file-'), 'classifier.onnx');
    fs.writeFileSync(onnx, run.int8);
    const p = await publishForServing(onnx, {
      registryDir: registry,
      classNames: ['a', 'b', 'c'],
      preprocessing: { preset: 'mobilenet' },
    });
    expect(p.name).to.equal('classifier');
    const folder = await publishForServing(path.join(run.dir, '01-baseline'), {
      registryDir: registry,
      name: 'layers',
    });
    expect(folder.artifact.format).to.equal('tfjs-layers');
    const s = await startServer({ registryDir: registry, model: p.name, version: p.version, workers: 1 });
    try {
      const px = pixels(5);
      const r = await postImage(s.url, await png(px));
      const want = await oracle(run.int8, px, MOBILENET);
      r.body.probabilities.forEach((v: number, i: number) => expect(v).to.be.closeTo(want[i] as number, 1e-5));
      expect(['a', 'b', 'c']).to.include(r.body.className);
    } finally {
      await s.close();
    }
    let err: unknown;
    try {
      await publishForServing(run.dir, { registryDir: registry, classNames: ['x'] });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
  });
});
