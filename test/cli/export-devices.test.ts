// `tfjs-compress export --to tflite|coreml` and recipe export stages: the files the exporters
// write, with the model's own quantization plan (planOf): TFLite run in TFLite's interpreter,
// Core ML checked structurally (no Core ML runtime on Linux).
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { saveModel, loadModel } from '../../lib/data/model-io';
import { toTensors } from '../../lib/data/tensors';
import { runTflite, tfliteInterpreter } from '../../lib/export/tflite/runtime';
import { decodedEqual } from '../../lib/export/coreml/decoded-equal';
import { planOf } from '../../lib/quantize/plan';
import { OUTPUT_MARKER } from '../../lib/core/safe-output';
import { smallMnist, tinyCnn } from '../quantize/fixtures';
import { cli, entries, mnistNpy, tmpDir } from './helpers';

const argmax = (v: ArrayLike<number>, k: number) =>
  Array.from({ length: v.length / k }, (_, r) => {
    let b = 0;
    for (let j = 1; j < k; j++) if ((v[r * k + j] as number) > (v[r * k + b] as number)) b = j;
    return b;
  });

describe("cli: export --to tflite | coreml, with the model's own plan", function () {
  this.timeout(600_000);
  let dir: string;
  let floatDir: string;
  let int8Dir: string;
  let data: { xs: string; ys: string };
  let x: tf.Tensor;

  before(async () => {
    dir = tmpDir();
    floatDir = path.join(dir, 'cnn');
    const model = await tinyCnn();
    await saveModel(model, floatDir);
    model.dispose();
    data = mnistNpy(dir, 200);
    int8Dir = path.join(dir, 'int8');
    const r = cli(['quantize', floatDir, '--mode', 'static', '--data', data.xs, '--scale', '1/255', '--out', int8Dir]);
    expect(r.status, r.stderr).to.equal(0);
    x = toTensors(smallMnist().test, { inputShape: [28, 28, 1], start: 0, end: 100 }).xs;
  });
  after(() => x.dispose());

  it('--to tflite: fp32 within 1e-4 of tfjs; the static folder becomes full-integer INT8 that agrees with the simulated model in TFLite', async () => {
    const fp32Out = path.join(dir, 'tflite-fp32');
    let r = cli(['export', floatDir, '--to', 'tflite', '--out', fp32Out, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    let ex = JSON.parse(r.stdout);
    expect([ex.format, ex.report.mode, ex.files]).to.deep.equal(['tflite', 'float32', ['model.tflite']]);
    expect(ex.sizeBytes).to.equal(fs.statSync(path.join(fp32Out, 'model.tflite')).size);
    expect(entries(fp32Out)).to.deep.equal([OUTPUT_MARKER, 'export-report.json', 'model.tflite']);
    const float = await loadModel(floatDir);
    const want = tf.tidy(() => (float.predict(x) as tf.Tensor).dataSync());
    const got = runTflite(
      tfliteInterpreter(new Uint8Array(fs.readFileSync(path.join(fp32Out, 'model.tflite')))),
      x.dataSync() as Float32Array,
    );
    expect(Array.from(want).reduce((m, w, i) => Math.max(m, Math.abs(w - (got[i] as number))), 0)).to.be.at.most(1e-4);

    const int8Out = path.join(dir, 'tflite-int8');
    r = cli(['export', int8Dir, '--to', 'tflite', '--out', int8Out, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    ex = JSON.parse(r.stdout);
    expect(ex.report.mode).to.equal('int8');
    expect(Object.keys(ex.report.ops)).to.include.members(['QUANTIZE', 'CONV_2D', 'FULLY_CONNECTED', 'DEQUANTIZE']);
    const q = await loadModel(path.join(int8Dir, 'plan')); // the quantize folder's plan (its simulation)
    const sim = argmax(
      tf.tidy(() => (q.predict(x) as tf.Tensor).dataSync()),
      10,
    );
    const lite = argmax(
      runTflite(
        tfliteInterpreter(new Uint8Array(fs.readFileSync(path.join(int8Out, 'model.tflite')))),
        x.dataSync() as Float32Array,
      ),
      10,
    );
    expect(lite.filter((v, i) => v === sim[i]).length / lite.length).to.be.at.least(0.98);
    expect(
      fs.statSync(path.join(int8Out, 'model.tflite')).size / fs.statSync(path.join(fp32Out, 'model.tflite')).size,
    ).to.be.below(0.35);
    [float, q].forEach((m) => m.dispose());
  });

  it("--to coreml: float32 from a float folder, the plan's linear 8-bit kernels from a quantized one, decoded equal (structural check only)", async () => {
    for (const [src, weights] of [
      [floatDir, 'float32'],
      [int8Dir, 'linear8'],
    ] as const) {
      const out = path.join(dir, `coreml-${weights}`);
      const r = cli(['export', src, '--to', 'coreml', '--out', out, '--json']);
      expect(r.status, r.stderr).to.equal(0);
      const ex = JSON.parse(r.stdout);
      expect([ex.format, ex.report.weights, ex.report.decodedEqual, ex.files]).to.deep.equal([
        'coreml',
        weights,
        true,
        ['model.mlmodel'],
      ]);
      expect(ex.report.validation).to.match(/structural only .* not run in Core ML here/);
      // Independently of the report: decode the written file against the model folder.
      const m = await loadModel(weights === 'linear8' ? path.join(src, 'plan') : src); // a quantize folder's plan
      expect(
        decodedEqual(new Uint8Array(fs.readFileSync(path.join(out, 'model.mlmodel'))), m, { weights }).equal,
      ).to.equal(true);
      if (weights === 'linear8') expect(planOf(m)?.mode).to.equal('static');
      m.dispose();
    }
  });

  it('a dynamic folder to TFLite and a weight-only int4 folder (--bits 4 --block-size 64) to Core ML are typed refusals that leave no folder; int4 goes to ONNX as MatMulNBits', () => {
    const dyn = path.join(dir, 'dynamic');
    expect(cli(['quantize', floatDir, '--mode', 'dynamic', '--out', dyn]).status).to.equal(0);
    const out = path.join(dir, 'tflite-dynamic');
    const r = cli(['export', dyn, '--to', 'tflite', '--out', out]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(
      /ExportError: expected a static quantization plan \(full-integer INT8\) or none \(fp32\), got mode 'dynamic'/,
    );
    expect(fs.existsSync(out)).to.equal(false);
    const int4 = path.join(dir, 'int4');
    let q = cli([
      'quantize',
      floatDir,
      '--mode',
      'weight-only',
      '--bits',
      '4',
      '--block-size',
      '64',
      '--out',
      int4,
      '--json',
    ]);
    expect(q.status, q.stderr).to.equal(0);
    expect(JSON.parse(q.stdout).report.blockSize).to.equal(64);
    const ml = path.join(dir, 'coreml-int4');
    q = cli(['export', int4, '--to', 'coreml', '--out', ml]);
    expect(q.status).to.equal(1);
    expect(q.stderr).to.match(/ExportError: expected .*got blockwise int4 parameters \(blocks of 64\) for layer "fc1"/);
    expect(fs.existsSync(ml)).to.equal(false);
    q = cli(['export', int4, '--to', 'onnx', '--out', path.join(dir, 'onnx-int4'), '--json']);
    expect(q.status, q.stderr).to.equal(0);
    expect(JSON.parse(q.stdout).report.ops.MatMulNBits).to.equal(2);
    expect(
      cli([
        'quantize',
        floatDir,
        '--mode',
        'weight-only',
        '--bits',
        '4',
        '--block-size',
        '48',
        '--out',
        path.join(dir, 'bad'),
      ]).stderr,
    ).to.match(/ConfigError: expected blockSize a power of two in \[32, 128\], got 48/);
  });

  it("a recipe's tflite stage is scored in TFLite, its coreml stage is not scored (no runtime) but carries the structural check", () => {
    const evalData = mnistNpy(dir, 300, 2000);
    const recipe = {
      version: 1,
      model: floatDir,
      seed: 1,
      data: {
        calibration: { path: data.xs, scale: 1 / 255 },
        evaluation: { path: evalData.xs, labels: evalData.ys, scale: 1 / 255 },
      },
      stages: [
        { kind: 'quantize', mode: 'static', calibration: { count: 200 } },
        { kind: 'export', to: 'tflite' },
        { kind: 'export', to: 'coreml' },
      ],
    };
    const file = path.join(dir, 'recipe.json');
    fs.writeFileSync(file, JSON.stringify(recipe));
    const out = path.join(dir, 'run');
    const r = cli(['run', file, '--out', out, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const stages = JSON.parse(r.stdout).stages as {
      name: string;
      evaluatedOn?: string;
      accuracy?: number;
      files?: string[];
      report?: { decodedEqual?: boolean };
    }[];
    const [quantized, lite, ml] = [stages[1], stages[2], stages[3]];
    expect([lite?.name, lite?.evaluatedOn, lite?.files]).to.deep.equal([
      '02-export-tflite',
      'tflite',
      ['model.tflite'],
    ]);
    expect(Math.abs((lite?.accuracy as number) - (quantized?.accuracy as number))).to.be.at.most(0.02);
    expect([ml?.name, ml?.evaluatedOn, ml?.accuracy, ml?.report?.decodedEqual]).to.deep.equal([
      '03-export-coreml',
      undefined,
      undefined,
      true,
    ]);
  });
});
