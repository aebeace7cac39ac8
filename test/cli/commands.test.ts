// The executable on the course's CNN and a full-size architecture (MobileNetV2, small variant):
// every subcommand end to end, --json, --help, exit codes, and bad input that must leave nothing.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { cnn } from '../../course/models/cnn';
import { saveModel, loadModel } from '../../lib/data/model-io';
import { profileModel } from '../../lib/profile/profile-model';
import { ortSession, runOrt } from '../../lib/export';
import { mobileNetV2 } from '../fixtures/architectures';
import { MAIN, cli, entries, mnistNpy, tmpDir } from './helpers';

describe('cli: the executable on course and architecture models', function () {
  this.timeout(600_000);
  let dir: string;
  let cnnDir: string;
  let data: { xs: string; ys: string };

  before(async () => {
    dir = tmpDir();
    cnnDir = path.join(dir, 'cnn');
    const model = cnn({ seed: 3 });
    await saveModel(model, cnnDir);
    model.dispose();
    data = mnistNpy(dir, 64);
  });

  it('--help for the program and every subcommand exits 0 and names the options; no arguments and an unknown command exit 2', () => {
    const top = cli(['--help']);
    expect(top.status).to.equal(0);
    for (const c of ['profile', 'quantize', 'prune', 'export', 'bench', 'run', 'serve'])
      expect(top.stdout).to.include(`  ${c}`);
    for (const [c, flag] of [
      ['profile', '--html'],
      ['quantize', '--mode'],
      ['prune', '--sparsity'],
      ['export', '--to'],
      ['bench', '--batch-sizes'],
      ['run', '--out'],
    ]) {
      const r = cli([c as string, '--help']);
      expect(r.status, c).to.equal(0);
      expect(r.stdout, c).to.include(flag);
      expect(r.stdout, c).to.match(new RegExp(`^usage: tfjs-compress ${c}`));
    }
    expect(cli([]).status).to.equal(2);
    const unknown = cli(['compress', 'x']);
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.match(/unknown command "compress"/);
  });

  it('profile --json prints only the profiler report, equal to profile.profileModel on the same folder', async () => {
    const r = cli(['profile', cnnDir, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout);
    const model = await loadModel(cnnDir);
    const direct = await profileModel(model);
    model.dispose();
    expect(report.totals.params).to.equal(direct.totals.params);
    expect(report.totals.macs).to.equal(direct.totals.macs);
    expect(report.layers.map((l: { name: string }) => l.name)).to.deep.equal(direct.layers.map((l) => l.name));
    expect(report.fileBytes).to.equal(
      fs.statSync(path.join(cnnDir, 'model.json')).size + fs.statSync(path.join(cnnDir, 'weights.bin')).size,
    );
  });

  it('profile --html writes one self-contained page with the layer table and charts', () => {
    const html = path.join(dir, 'profile.html');
    const r = cli(['profile', cnnDir, '--html', html]);
    expect(r.status, r.stderr).to.equal(0);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).to.match(/^<!doctype html>/);
    expect(page).to.include('<svg');
    // plotly.js is written in once (its text names map-tile servers that only map charts fetch);
    // the rest of the page refers to nothing outside it. test/viz/report-browser.test.ts opens it.
    const plotly = (page.match(/<script>[\s\S]*?<\/script>/g) ?? []).filter((s) => s.includes('* plotly.js v'));
    expect(plotly).to.have.length(1);
    expect(page.replace(plotly[0] as string, '')).to.not.match(/<script src=|<link |https?:\/\/(?!www\.w3\.org)/);
  });

  it('prune, quantize (static, on .npy data) and export to ONNX chain through folders that stock tfjs and ONNX Runtime load', async () => {
    const pruned = path.join(dir, 'pruned');
    let r = cli(['prune', cnnDir, '--sparsity', '0.5', '--out', pruned, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const pr = JSON.parse(r.stdout);
    expect(pr.report.sparsity.overall ?? pr.report.sparsity.sparsity ?? pr.report.sparsity).to.not.equal(undefined);
    const json = JSON.parse(fs.readFileSync(path.join(pruned, 'model.json'), 'utf8'));
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: new Uint8Array(fs.readFileSync(path.join(pruned, 'weights.bin'))).buffer,
      }),
    );
    const kernels = stock.layers.flatMap((l) => l.getWeights().slice(0, 1)).filter((w) => w.rank >= 2);
    const zeros =
      kernels.reduce((a, w) => a + (w.dataSync() as Float32Array).filter((v) => v === 0).length, 0) /
      kernels.reduce((a, w) => a + w.size, 0);
    expect(zeros).to.be.closeTo(0.5, 0.01);
    stock.dispose();

    const q = path.join(dir, 'int8');
    r = cli(['quantize', pruned, '--mode', 'static', '--data', data.xs, '--scale', '1/255', '--out', q]);
    expect(r.status, r.stderr).to.equal(0);
    expect(entries(q)).to.include.members(['model.json', 'weights.bin', 'model.onnx', 'plan']);
    // The plan travels in plan/model.json (the quantized model's metadata), read back by planOf.
    expect(
      JSON.parse(fs.readFileSync(path.join(q, 'plan', 'model.json'), 'utf8')).userDefinedMetadata
        ?.tfjsCompressQuantization?.mode,
    ).to.equal('static');

    const onnxDir = path.join(dir, 'onnx');
    r = cli(['export', q, '--to', 'onnx', '--out', onnxDir, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const ex = JSON.parse(r.stdout);
    expect(ex.report.mode).to.equal('static');
    expect(ex.sizeBytes).to.equal(fs.statSync(path.join(onnxDir, 'model.onnx')).size);
    const session = await ortSession(new Uint8Array(fs.readFileSync(path.join(onnxDir, 'model.onnx'))));
    const out = await runOrt(session, new Float32Array(2 * 784).fill(0.5), [2, 28, 28, 1]);
    await session.release();
    expect(out.dims).to.deep.equal([2, 10]);
    expect(ex.report.ops.QuantizeLinear).to.be.greaterThan(0);
  });

  it("export --to tfjs --dtype uint8 writes the converter's quantized manifest; --dtype with another format is a usage error", () => {
    const web = path.join(dir, 'web');
    let r = cli(['export', cnnDir, '--to', 'tfjs', '--dtype', 'uint8', '--out', web, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const json = JSON.parse(fs.readFileSync(path.join(web, 'model.json'), 'utf8'));
    expect(
      json.weightsManifest[0].weights.some(
        (w: { quantization?: { dtype: string } }) => w.quantization?.dtype === 'uint8',
      ),
    ).to.equal(true);
    r = cli(['export', cnnDir, '--to', 'coreml', '--dtype', 'uint8', '--out', path.join(dir, 'coreml')]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--dtype applies to --to tfjs, got --to coreml/);
    expect(fs.existsSync(path.join(dir, 'coreml'))).to.equal(false);
  });

  it('bench --json gives one row per runtime and batch size, each with its round medians', () => {
    const r = cli(['bench', cnnDir, '--runtimes', 'tfjs-wasm,ort', '--batch-sizes', '1,4', '--rounds', '2', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const { rows } = JSON.parse(r.stdout);
    expect(rows.map((x: { runtime: string; batchSize: number }) => `${x.runtime}/${x.batchSize}`).sort()).to.deep.equal(
      ['ort/1', 'ort/4', 'tfjs-wasm/1', 'tfjs-wasm/4'],
    );
    for (const row of rows) {
      expect(row.roundP50Ms).to.have.length(2);
      const sorted = [...row.roundP50Ms].sort((a: number, b: number) => a - b);
      expect(row.p50Ms).to.be.closeTo((sorted[0] + sorted[1]) / 2, 1e-9);
    }
  });

  it('a full-size architecture (MobileNetV2, alpha 0.35 at 96x96): profile counts and channel pruning through the executable', async () => {
    const mnDir = path.join(dir, 'mobilenet');
    const model = mobileNetV2({
      seed: 2,
      alpha: 0.35,
      inputShape: [96, 96, 3],
      classes: 10,
      classifierActivation: 'linear',
    });
    await saveModel(model, mnDir);
    const params = model.countParams();
    model.dispose();
    let r = cli(['profile', mnDir, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).totals.params).to.equal(params);
    const out = path.join(dir, 'mobilenet-pruned');
    r = cli(['prune', mnDir, '--method', 'channels', '--sparsity', '0.3', '--out', out, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout).report;
    expect(report.params.after).to.be.below(report.params.before);
    const pruned = await loadModel(out);
    expect(pruned.countParams()).to.equal(report.params.after);
    pruned.dispose();
  });

  it('bad input: a missing folder, a corrupt shard, data of the wrong shape, an unknown flag, an existing output; typed messages, no output left', () => {
    const before = entries(dir);
    let r = cli(['profile', path.join(dir, 'nope')]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/DataError: expected a model.json in .*nope/);

    const broken = path.join(dir, 'broken');
    fs.cpSync(cnnDir, broken, { recursive: true });
    fs.truncateSync(path.join(broken, 'weights.bin'), 1000);
    r = cli(['quantize', broken, '--mode', 'weight-only', '--out', path.join(dir, 'q-broken')]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/DataError: .*truncated/);

    const wrong = path.join(dir, 'wrong.npy');
    fs.writeFileSync(wrong, fs.readFileSync(data.xs).subarray(0, 128)); // a header and a few bytes: truncated
    r = cli(['quantize', cnnDir, '--mode', 'static', '--data', wrong, '--out', path.join(dir, 'q-wrong')]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/DataError: expected .*wrong\.npy/);
    const mnist = mnistNpy(dir, 8);
    r = cli([
      'prune',
      path.join(dir, 'mobilenet'),
      '--sparsity',
      '0.2',
      '--epochs',
      '1',
      '--data',
      mnist.xs,
      '--labels',
      mnist.ys,
      '--out',
      path.join(dir, 'p-wrong'),
    ]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/ShapeError: expected inputs of shape \[n, 96, 96, 3\]/);

    r = cli(['prune', cnnDir, '--sparsity', '0.5', '--out', path.join(dir, 'p-flag'), '--sparsty', '0.4']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/unknown option --sparsty\. Did you mean --sparsity\?/);
    r = cli(['prune', cnnDir, '--sparsity', '1.5', '--out', path.join(dir, 'p-flag')]);
    expect(r.status).to.equal(2);
    r = cli(['run', path.join(dir, 'nope.json'), '--out', path.join(dir, 'run-missing')]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/DataError: (expected )?a recipe file/);

    // A FIFO named like a model file: opened without blocking (O_NONBLOCK) and refused by its fstat.
    const fifo = path.join(dir, 'fifo.onnx');
    execFileSync('mkfifo', [fifo]);
    r = cli(['bench', fifo]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/DataError: expected an \.onnx file at .*fifo\.onnx, got .*not a regular file/);
    fs.rmSync(fifo);

    const existing = path.join(dir, 'pruned');
    const mtime = fs.statSync(path.join(existing, 'weights.bin')).mtimeMs;
    r = cli(['prune', cnnDir, '--sparsity', '0.2', '--out', existing]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/ConfigError: .*exists.*--force/);
    expect(fs.statSync(path.join(existing, 'weights.bin')).mtimeMs).to.equal(mtime);
    expect(
      entries(dir).filter(
        (e) => !before.includes(e) && !e.startsWith('broken') && !e.startsWith('mnist-') && e !== 'wrong.npy',
      ),
    ).to.deep.equal([]);
    r = cli(['prune', cnnDir, '--sparsity', '0.2', '--out', existing, '--force']);
    expect(r.status, r.stderr).to.equal(0);
    expect(entries(dir).filter((e) => e.includes('.tmp-') || e.includes('.old-'))).to.deep.equal([]);
  });
});

describe('cli: finding your way (did you mean, help, model.json paths, .tflite bench, progress, error text)', function () {
  this.timeout(600_000);
  let dir: string;
  let modelDir: string;

  before(async () => {
    dir = tmpDir();
    modelDir = path.join(dir, 'cnn');
    const model = cnn({ seed: 5 });
    await saveModel(model, modelDir);
    model.dispose();
  });

  it('an unknown command or flag is a usage error (exit 2) that names the closest one; a word far from all gets no guess', () => {
    let r = cli(['prnue', modelDir]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/unknown command "prnue"\. Did you mean `tfjs-compress prune`\?/);
    r = cli(['bnech']);
    expect(r.stderr).to.match(/Did you mean `tfjs-compress bench`\?/);
    r = cli(['compile']);
    expect(r.status).to.equal(2);
    expect(r.stderr)
      .to.match(/unknown command "compile"\./)
      .and.not.match(/Did you mean/);
    r = cli(['profile', modelDir, '--htlm', 'x.html']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/unknown option --htlm\. Did you mean --html\?/);
    r = cli(['bench', modelDir, '--batch-size', '4']);
    expect(r.stderr).to.match(/unknown option --batch-size\. Did you mean --batch-sizes\?/);
    r = cli(['bench', modelDir, '--zzzzzz']);
    expect(r.stderr)
      .to.match(/unknown option --zzzzzz\./)
      .and.not.match(/Did you mean/);
  });

  it("`help <command>` prints what `<command> --help` prints; `help serve` the server's options; `help` alone the command list", () => {
    for (const c of ['profile', 'prune', 'quantize', 'export', 'bench', 'run']) {
      const a = cli(['help', c]);
      expect(a.status, c).to.equal(0);
      expect(a.stdout, c).to.equal(cli([c, '--help']).stdout);
    }
    const serve = cli(['help', 'serve']);
    expect(serve.status).to.equal(0);
    expect(serve.stdout).to.match(/^usage: tfjs-compress serve/);
    const all = cli(['help']);
    expect(all.status).to.equal(0);
    expect(all.stdout).to.include('tfjs-compress help <command>');
    const wrong = cli(['help', 'prnue']);
    expect(wrong.status).to.equal(2);
    expect(wrong.stderr).to.match(/Did you mean `tfjs-compress prune`\?/);
  });

  it('a model.json path works wherever a model folder does; another file is a usage error that says what to pass', () => {
    const json = path.join(modelDir, 'model.json');
    const byFolder = JSON.parse(cli(['profile', modelDir, '--json']).stdout);
    const r = cli(['profile', json, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const byFile = JSON.parse(r.stdout);
    expect(byFile.totals).to.deep.equal(byFolder.totals);
    expect(byFile.fileBytes).to.equal(byFolder.fileBytes);
    const b = cli(['bench', json, '--runtimes', 'tfjs-cpu', '--batch-sizes', '1', '--rounds', '1', '--json']);
    expect(b.status, b.stderr).to.equal(0);
    expect(JSON.parse(b.stdout).rows).to.have.length(1);
    const pruned = path.join(dir, 'pruned-from-json');
    expect(cli(['prune', json, '--sparsity', '0.5', '--out', pruned]).status).to.equal(0);
    expect(entries(pruned)).to.include('model.json');
    const other = path.join(dir, 'other.json');
    fs.copyFileSync(json, other);
    const bad = cli(['profile', other]);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/MODEL must be a model folder or its model\.json, got the file/);
  });

  it('bench takes the .tflite that export writes: TFLite rows at the batch size the file was exported with; another batch size is a usage error', () => {
    const out = path.join(dir, 'tflite');
    let r = cli(['export', modelDir, '--to', 'tflite', '--out', out]);
    expect(r.status, r.stderr).to.equal(0);
    const file = path.join(out, 'model.tflite');
    r = cli(['bench', file, '--rounds', '2', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const { rows } = JSON.parse(r.stdout);
    expect(rows.map((x: { runtime: string; batchSize: number }) => `${x.runtime}/${x.batchSize}`)).to.deep.equal([
      'tflite/1',
    ]);
    expect(rows[0].p50Ms).to.be.greaterThan(0);
    expect(rows[0].model).to.equal('model.tflite');
    r = cli(['bench', file, '--batch-sizes', '1,8']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/exported for batch size 1 \(TFLite shapes are fixed\), got --batch-sizes 1,8/);
    r = cli(['bench', file, '--runtimes', 'ort']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/a \.tflite file runs on tflite only/);
    // A model folder can be timed on TFLite too, beside tfjs.
    r = cli(['bench', modelDir, '--runtimes', 'tfjs-cpu,tflite', '--batch-sizes', '2', '--rounds', '1', '--json']);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).rows.map((x: { runtime: string }) => x.runtime)).to.deep.equal([
      'tfjs-cpu',
      'tflite-fp32',
    ]);
  });

  it('progress: a bar with an ETA on a terminal, plain lines with an ETA in a log, nothing on stderr with --json', () => {
    const args = ['bench', modelDir, '--runtimes', 'tfjs-cpu', '--batch-sizes', '1,2', '--rounds', '4'];
    // A pseudo-terminal (util-linux `script`), as a user's shell gives.
    const command = [process.execPath, MAIN, ...args].map((a) => `'${a}'`).join(' ');
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 300_000 });
    expect(tty.status, tty.stderr).to.equal(0);
    expect(tty.stdout).to.match(/rounds \[[^\]]*\] \d+\/8 \| \d+% \| ETA /);
    const log = cli(args);
    expect(log.status, log.stderr).to.equal(0);
    expect(log.stderr).to.match(/^ {2}rounds: 2\/8 \(25%, ETA \d+ s\)$/m);
    expect(log.stderr).to.match(/^ {2}rounds: 8\/8 \(100%\)$/m);
    expect(log.stderr).to.not.include('\x1b[');
    const json = cli([...args, '--json']);
    expect(json.status, json.stderr).to.equal(0);
    expect(json.stderr).to.equal('');
    expect(JSON.parse(json.stdout).rows).to.have.length(2);
  });

  it("errors read as the user's words: no internal function names, the library's 'expected X, got Y' kept", () => {
    const bad = path.join(dir, 'bad.npy');
    fs.writeFileSync(bad, 'not an npy file');
    const runs = [
      cli(['profile', path.join(dir, 'missing')]),
      cli(['quantize', modelDir, '--mode', 'static', '--data', bad, '--out', path.join(dir, 'q-bad')]),
      cli(['bench', path.join(dir, 'missing.onnx')]),
      cli(['bench', path.join(dir, 'missing.tflite')]),
      cli(['export', modelDir, '--to', 'onnx', '--out', modelDir]),
    ];
    for (const r of runs) {
      expect(r.status, r.stderr).to.equal(1);
      // A camelCase or dotted function name followed by a colon (openModel:, exporters.toOnnx:) is internal.
      expect(r.stderr, r.stderr).to.not.match(
        /\b[a-z]+(?:[A-Z][a-z0-9]*)+(?:\.[a-zA-Z]+)*: |\b[a-z]+\.[a-z][A-Za-z]+: /,
      );
      expect(r.stderr).to.match(/^tfjs-compress \w+: \w+Error: /m);
      expect(r.stderr).to.not.match(/\bbrief\b|\bissue\b|^\s+at /m);
    }
    const json = cli(['profile', path.join(dir, 'missing'), '--json']);
    expect(JSON.parse(json.stdout).error.message).to.match(/^expected a model\.json in /);
  });
});
