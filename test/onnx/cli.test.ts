// The executable on an .onnx model: quantize, profile, bench and run (a recipe whose model is an
// .onnx file), then the run folder published and served, answering a PNG.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { validateDeployment } from '../../lib/data/deployment';
import { publishForServing } from '../../lib/serve/deploy';
import { startServer } from '../../lib/serve/server';
import { cli, tmpDir } from '../cli/helpers';
import { hasOnnxChecker, onnxCheck, tinyCnn } from './graphs';

async function imageFolder(dir: string): Promise<string> {
  const root = path.join(dir, 'images');
  const colours: Record<string, number[][]> = {
    red: [
      [220, 30, 20],
      [180, 60, 40],
    ],
    green: [
      [20, 200, 40],
      [60, 230, 80],
    ],
    blue: [
      [20, 40, 200],
      [60, 80, 230],
    ],
    grey: [
      [128, 128, 128],
      [90, 90, 90],
    ],
  };
  for (const [cls, shades] of Object.entries(colours)) {
    fs.mkdirSync(path.join(root, cls), { recursive: true });
    for (const [i, [r, g, b]] of shades.entries())
      await sharp({
        create: { width: 8, height: 8, channels: 3, background: { r: r as number, g: g as number, b: b as number } },
      })
        .png()
        .toFile(path.join(root, cls, `${i}.png`));
  }
  return root;
}

describe('cli: an .onnx model', function () {
  this.timeout(300_000);
  let dir: string;
  let model: string;
  let images: string;
  before(async () => {
    dir = tmpDir('tfc-onnx-cli-');
    model = path.join(dir, 'model.onnx');
    fs.writeFileSync(model, tinyCnn());
    images = await imageFolder(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('quantize writes model.onnx and its report; static calibrates on an image folder', () => {
    const out = path.join(dir, 'int8');
    const r = cli(['quantize', model, '--mode', 'static', '--data', images, '--out', out, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const json = JSON.parse(r.stdout);
    expect(json.report.mode).to.equal('static');
    expect(json.report.calibrationExamples).to.equal(8);
    expect(json.report.nodes.map((n: { name: string }) => n.name)).to.deep.equal(['conv1', 'dw2', 'fc']);
    expect(
      fs
        .readdirSync(out)
        .filter((f) => !f.startsWith('.'))
        .sort(),
    ).to.deep.equal(['model.onnx', 'quantize-report.json']);
    if (hasOnnxChecker()) expect(onnxCheck(new Uint8Array(fs.readFileSync(path.join(out, 'model.onnx'))))).to.equal('');
    // --count caps what is decoded: the comparison then runs on those examples too.
    const few = cli([
      'quantize',
      model,
      '--mode',
      'static',
      '--data',
      images,
      '--count',
      '3',
      '--out',
      path.join(dir, 'few'),
      '--json',
    ]);
    expect(few.status, few.stderr).to.equal(0);
    const fewReport = JSON.parse(few.stdout).report;
    expect([fewReport.calibrationExamples, fewReport.comparison.examples]).to.deep.equal([3, 3]);
    const f16 = cli(['quantize', model, '--dtype', 'float16', '--out', path.join(dir, 'f16')]);
    expect(f16.status, f16.stderr).to.equal(0);
    expect(f16.stdout).to.match(/nodes quantized \(float16\)/);
  });

  it('profile prints MACs per example; bench times it on an input from --data', () => {
    const p = cli(['profile', model, '--json']);
    expect(p.status, p.stderr).to.equal(0);
    expect(JSON.parse(p.stdout).totals.macs).to.equal(16 * 64 * 27 + 16 * 64 * 9 + 1024 + 64);
    const b = cli(['bench', model, '--data', images, '--rounds', '1', '--json']);
    expect(b.status, b.stderr).to.equal(0);
    expect(JSON.parse(b.stdout).rows[0].batchSize).to.equal(1);
  });

  it('run executes a recipe on the .onnx model, writes deploy.json, and the run folder is served', async () => {
    const recipe = path.join(dir, 'recipe.json');
    fs.writeFileSync(
      recipe,
      JSON.stringify({
        version: 1,
        model: './model.onnx',
        data: { calibration: { path: './images' }, evaluation: { path: './images' } },
        stages: [
          { kind: 'quantize', mode: 'dynamic' },
          { kind: 'quantize', mode: 'static', from: 'original' },
          { kind: 'bench', rounds: 1 },
        ],
        checks: { maxAccuracyDrop: 1 },
      }),
    );
    const out = path.join(dir, 'run');
    const r = cli(['run', recipe, '--out', out]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/01-quantize-dynamic.*02-quantize-static/s);
    const deploy = validateDeployment(JSON.parse(fs.readFileSync(path.join(out, 'deploy.json'), 'utf8')));
    expect(deploy.artifacts.map((a) => [a.file, a.precision])).to.deep.equal([
      ['01-quantize-dynamic/model.onnx', 'int8'],
      ['02-quantize-static/model.onnx', 'int8'],
    ]);
    expect(deploy.output.classNames).to.deep.equal(['blue', 'green', 'grey', 'red']);
    const registry = tmpDir('tfc-onnx-reg-');
    const p = await publishForServing(out, { registryDir: registry });
    const s = await startServer({ registryDir: registry, model: p.name, version: p.version, workers: 0 });
    try {
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 20, b: 30 } } })
        .png()
        .toBuffer();
      const res = await fetch(`${s.url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: png,
      });
      expect(res.status).to.equal(200);
      expect(['blue', 'green', 'grey', 'red']).to.include(((await res.json()) as { className: string }).className);
    } finally {
      await s.close();
      fs.rmSync(registry, { recursive: true, force: true });
    }
  });
});
