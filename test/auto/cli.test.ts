// `tfjs-compress auto` as users run it (the built executable in child processes): a search killed
// with SIGKILL mid-way resumes from its journal without redoing finished evaluations and ships the
// recipe that `tfjs-compress run` reproduces; bad flags are refused with a message that says the fix,
// before any work and without writing anything.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { cli, mnistNpy, tmpDir } from '../cli/helpers';
import { loadWideCnn } from '../../course/models/wide-cnn';
import { saveModel } from '../../lib/data/model-io';
import { JOURNAL_FILE } from '../../lib/auto/journal';
import { MAIN } from '../cli/helpers';

const journalEntries = (dir: string): number => {
  try {
    return Object.keys(
      (JSON.parse(fs.readFileSync(path.join(dir, JOURNAL_FILE), 'utf8')) as { entries: object }).entries,
    ).length;
  } catch {
    return 0;
  }
};

describe('tfjs-compress auto', function () {
  this.timeout(900_000);
  let dir: string;
  let common: string[];
  before(async () => {
    dir = tmpDir('tfc-auto-cli-');
    const { model } = await loadWideCnn();
    await saveModel(model, path.join(dir, 'model'));
    model.dispose();
    const files = mnistNpy(dir, 400, 3000);
    common = ['--model', path.join(dir, 'model'), '--data', files.xs, '--labels', files.ys, '--scale', String(1 / 255)];
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('resumes a search killed by SIGKILL without redoing finished evaluations, and its recipe reproduces the artifact', async () => {
    const out = path.join(dir, 'out');
    const args = [
      MAIN,
      'auto',
      ...common,
      '--target',
      'ort',
      '--max-drop',
      '0.01',
      '--sparsities',
      '0.5',
      '--out',
      out,
    ];
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill as soon as a few evaluations are journaled (the search has more than that left to do).
    for (let i = 0; i < 1200 && journalEntries(out) < 3; i++) await new Promise((r) => setTimeout(r, 100));
    const before = journalEntries(out);
    child.kill('SIGKILL');
    expect(await exited).to.equal(null);
    expect(before).to.be.at.least(3);
    expect(fs.existsSync(path.join(out, 'auto-report.json')), 'killed before the end').to.equal(false);
    const done = journalEntries(out);

    const r = cli(args.slice(1));
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/resuming the search/);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'auto-report.json'), 'utf8'));
    expect(report.resumed).to.equal(true);
    expect(report.reusedEvaluations).to.equal(done);
    expect(report.chosen.accuracyDrop).to.be.at.most(0.01);

    // `tfjs-compress run recipe.json` gives the chosen artifact again, byte count for byte count.
    const again = cli(['run', path.join(out, 'recipe.json'), '--out', path.join(dir, 'rerun'), '--json']);
    expect(again.status, again.stderr).to.equal(0);
    const run = JSON.parse(again.stdout);
    const artifact = run.stages.at(-1).artifacts.find((a: { format: string }) => a.format === report.chosen.format);
    expect(artifact.sizeBytes).to.equal(report.chosen.sizeBytes);
    expect(
      Math.abs(
        artifact.accuracy -
          JSON.parse(fs.readFileSync(path.join(out, 'run', 'report.json'), 'utf8')).stages.at(-1).accuracy,
      ),
    ).to.be.at.most(0.005);
  });

  it('refuses bad flags with the fix, before any work, writing nothing', () => {
    const out = path.join(dir, 'bad');
    const cases: [string[], RegExp][] = [
      [['--target', 'gpu', '--max-drop', '0.01'], /--target must be one of ort, ort-web, tfjs-wasm, tflite/],
      [['--target', 'ort', '--max-drop', '2'], /--max-drop/],
      [['--target', 'ort', '--max-drop', 'x'], /--max-drop/],
      [['--target', 'ort'], /--max-drop is required/],
      [['--max-drop', '0.01'], /--target is required/],
      [['--target', 'ort', '--max-drop', '0.01', '--budget', '30 minutes'], /--budget must be a duration such as 30m/],
      [['--target', 'ort', '--max-drop', '0.01', '--budget', '-5m'], /--budget/],
      [['--target', 'ort', '--max-drop', '0.01', '--sparsities', '0.5,1.5'], /--sparsities must be/],
      [['--target', 'ort', '--max-drop', '0.01', '--goal', 'speed'], /--goal must be one of latency, size/],
      [['--target', 'ort', '--max-drop', '0.01', '--held-out', '1'], /--held-out/],
      [['--target', 'ort', '--max-drop', '0.01', '--workers', '0'], /--workers/],
    ];
    for (const [flags, message] of cases) {
      const r = cli(['auto', ...common, ...flags, '--out', out]);
      expect(r.status, flags.join(' ')).to.not.equal(0);
      expect(r.stderr, flags.join(' ')).to.match(message);
      expect(r.stderr).to.not.match(/\n\s+at /); // no stack
      expect(fs.existsSync(out)).to.equal(false);
    }
    const noData = cli([
      'auto',
      '--model',
      path.join(dir, 'model'),
      '--target',
      'ort',
      '--max-drop',
      '0.01',
      '--out',
      out,
    ]);
    expect(noData.stderr).to.match(/--data is required/);
    // An ONNX model is searched for target ort only; a broken .onnx file gets a typed error, no stack, no output.
    const onnxFile = path.join(dir, 'model.onnx');
    fs.writeFileSync(onnxFile, new Uint8Array(16));
    const onnxCase = (target: string) =>
      cli(['auto', ...common.slice(2), '--model', onnxFile, '--target', target, '--max-drop', '0.01', '--out', out]);
    for (const [target, message] of [
      ['tflite', /--target must be ort for an ONNX model .* got tflite\. Use --target ort/],
      ['ort', /DataError: expected an ONNX model with a graph, got none/],
    ] as const) {
      const r = onnxCase(target);
      expect(r.status, target).to.not.equal(0);
      expect(r.stderr, target).to.match(message);
      expect(r.stderr).to.not.match(/\n\s+at /);
      expect(fs.existsSync(out)).to.equal(false);
    }
    // An output folder that is not ours is never written into.
    fs.mkdirSync(path.join(dir, 'mine'));
    fs.writeFileSync(path.join(dir, 'mine', 'notes.txt'), 'mine');
    const theirs = cli(['auto', ...common, '--target', 'ort', '--max-drop', '0.01', '--out', path.join(dir, 'mine')]);
    expect(theirs.status).to.not.equal(0);
    expect(fs.readdirSync(path.join(dir, 'mine'))).to.deep.equal(['notes.txt']);
  });
});
