// `run --dry-run` through the real executable: it validates the recipe, the model, the data (found
// and counted, images indexed, not all decoded) and the output folder, prints the plan, the
// artifact that would be recommended and an estimate labelled as one, exits 0 and writes nothing;
// and it refuses what the run would refuse, before any stage runs.
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { PNG } from 'pngjs';
import { loadMnist } from '../../course/data/mnist';
import { MNIST_CNN, verifiedModelFiles } from '../fixtures/real-models';
import { cli, mnistNpy, tmpDir } from '../cli/helpers';

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Names and sizes of everything under `dir`. */
function listing(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map(
      (e) =>
        `${path.relative(dir, path.join(e.parentPath, e.name))}:${e.isFile() ? fs.statSync(path.join(e.parentPath, e.name)).size : 'dir'}`,
    )
    .sort();
}

describe('run --dry-run: checks everything, prints the plan and an estimate, writes nothing', function () {
  this.timeout(600_000);
  let dir: string;
  const recipe = (extra: object = {}) => ({
    version: 1,
    model: 'model',
    data: {
      calibration: { path: 'calib.npy', scale: 1 / 255 },
      evaluation: { path: 'eval', classNames: WORDS },
    },
    stages: [
      { kind: 'prune', method: 'magnitude', sparsity: 0.5 },
      { kind: 'quantize', mode: 'static', calibration: { count: 50 } },
      { kind: 'export', to: 'coreml' },
      { kind: 'bench', batchSizes: [1], rounds: 2 },
    ],
    checks: { maxAccuracyDrop: 0.02 },
    ...extra,
  });
  const write = (name: string, value: object) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(value));
    return file;
  };

  before(() => {
    dir = tmpDir('tfc-dry-');
    fs.cpSync(verifiedModelFiles(MNIST_CNN).dir, path.join(dir, 'model'), { recursive: true });
    const calib = mnistNpy(dir, 50, 0);
    fs.renameSync(calib.xs, path.join(dir, 'calib.npy'));
    fs.rmSync(calib.ys);
    const { test } = loadMnist();
    for (const w of WORDS) fs.mkdirSync(path.join(dir, 'eval', w), { recursive: true });
    for (let i = 0; i < 40; i++) {
      const p = new PNG({ width: 28, height: 28 });
      test.images.subarray(i * 784, (i + 1) * 784).forEach((v, k) => p.data.set([v, v, v, 255], 4 * k));
      fs.writeFileSync(
        path.join(dir, 'eval', WORDS[test.labels[i] as number] as string, `${i}.png`),
        PNG.sync.write(p),
      );
    }
  });

  it('prints the stages, their artifacts (the plan marked not deployable), the recommendation and an estimate; exit 0, nothing written', () => {
    const file = write('recipe.json', recipe());
    const before = listing(dir);
    const r = cli(['run', file, '--out', path.join(dir, 'out'), '--dry-run']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include('dry run: nothing was written');
    expect(r.stdout).to.match(/data\.calibration: calib\.npy \(npy, 50 examples, no labels\)/);
    expect(r.stdout).to.match(/data\.evaluation: eval \(image-folder, 40 examples, labelled, classes zero, one, two/);
    expect(r.stdout).to.match(/02-quantize-static\/ \(quantize\)\n\s+model\.onnx\s+onnx\s+int8\s+runs in ort/);
    expect(r.stdout).to.match(/model\.tflite\s+tflite\s+int8\s+runs in tflite, if the model converts/);
    expect(r.stdout).to.match(/plan\/model\.json\s+plan\s+fp32-simulating-int8\s+not deployable \(the export plan\)/);
    expect(r.stdout).to.match(/03-export-coreml\/ \(export\)\n\s+model\.mlmodel\s+coreml\s+linear8-weights/);
    expect(r.stdout).to.include('recommended if every check passes: 02-quantize-static/model.onnx');
    expect(r.stdout).to.match(/estimate \(not a measurement of the run\): about \d+ s/);
    expect(r.stdout).to.match(/ms per example, measured here/);
    expect(listing(dir)).to.deep.equal(before);

    const j = cli(['run', file, '--out', path.join(dir, 'out'), '--dry-run', '--json']);
    expect(j.status, j.stderr).to.equal(0);
    const plan = JSON.parse(j.stdout);
    expect(plan.dryRun).to.equal(true);
    expect(plan.data.map((d: { role: string; count: number }) => [d.role, d.count])).to.deep.equal([
      ['calibration', 50],
      ['evaluation', 40],
    ]);
    expect(plan.model).to.deep.include({ kind: 'layers', inputShape: [28, 28, 1], classes: 10, params: 1_199_882 });
    expect(plan.stages.map((s: { name: string }) => s.name)).to.deep.equal([
      '01-prune-magnitude-0.5',
      '02-quantize-static',
      '03-export-coreml',
      '04-bench',
    ]);
    expect(plan.estimate.seconds).to.be.greaterThan(0);
    expect(plan.estimate.perExampleMs).to.be.greaterThan(0);
    expect(listing(dir)).to.deep.equal(before);
  });

  it('refuses what the run would refuse, before any stage: stage order, missing data, unlabelled checks, bad output, bad class folders', () => {
    const cases: [object, string[], RegExp][] = [
      [
        recipe({
          stages: [
            { kind: 'quantize', mode: 'dynamic' },
            { kind: 'prune', method: 'magnitude', sparsity: 0.5 },
          ],
        }),
        [],
        /ConfigError: expected stages\[1\] a float model to prune, got a quantized one/,
      ],
      [
        recipe({ data: { evaluation: { path: 'eval', classNames: WORDS } } }),
        [],
        /ConfigError: expected stages\[1\] calibration data for mode 'static', got none/,
      ],
      [
        recipe({
          data: {
            calibration: { path: 'calib.npy', scale: 1 / 255 },
            evaluation: { path: 'calib.npy', scale: 1 / 255 },
          },
        }),
        [],
        /ConfigError: expected labelled data\.evaluation for checks\.maxAccuracyDrop, got evaluation data without labels/,
      ],
      [
        recipe({
          stages: [
            { kind: 'quantize', mode: 'dynamic' },
            { kind: 'export', to: 'tflite' },
          ],
        }),
        [],
        /stages\[1\] a static quantization plan \(full-integer INT8\) or a float model for TFLite, got mode 'dynamic'/,
      ],
      [
        recipe({ data: { evaluation: { path: 'eval', classNames: WORDS.slice(1).concat('ten') } } }),
        [],
        // The image-folder loader applies classNames itself now, and names the folder that is not among them.
        /DataError: expected class subfolders of .*eval that are among the 10 class names, got 1 that are not: "zero"/,
      ],
      [
        recipe({ data: { evaluation: { path: 'missing' } } }),
        [],
        /DataError: expected a data folder or \.npy file at .*missing/,
      ],
      [
        recipe(),
        ['--out', 'HERE', '--force'],
        /ConfigError: expected an output folder apart from every input, got .* which contains the recipe/,
      ],
    ];
    cases.forEach(([value, extra, re], i) => {
      const file = write(`bad-${i}.json`, value);
      const before = listing(dir);
      const args = extra.length ? extra.map((a) => (a === 'HERE' ? dir : a)) : ['--out', path.join(dir, `out-${i}`)];
      const r = cli(['run', file, ...args, '--dry-run']);
      expect(r.status, `case ${i}: ${r.stdout}`).to.equal(1);
      expect(r.stderr, `case ${i}`).to.match(re);
      expect(listing(dir), `case ${i}`).to.deep.equal(before);
    });
  });
});
