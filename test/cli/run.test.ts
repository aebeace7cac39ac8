// `tfjs-compress run` on the real npm-shipped model (mnist-react-tfjs's Keras MNIST CNN) with a
// recipe of prune + static INT8 + ONNX export + bench, and on a graph model with uint8 / uint16 /
// float16 weight quantization: the artifacts load in stock tfjs and ONNX Runtime, and the report's
// sizes, accuracies and timings agree with what this test measures on its own.
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ortSession, runOrt } from '../../lib/export';
import { writeArtifacts } from '../../lib/data/model-files';
import { encodeNpy } from '../../lib/data/npy';
import { MNIST_CNN, verifiedModelFiles } from '../fixtures/real-models';
import { mnistGraph } from '../fixtures/graph-models';
import { validateDeployment } from '../../lib/data/deployment';
import { OUTPUT_MARKER } from '../../lib/core/safe-output';
import { cli, entries, mnistNpy, tmpDir } from './helpers';

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Accuracy of scores (n, k) against labels, argmax. */
function accuracy(scores: Float32Array, k: number, labels: Uint8Array): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if ((scores[i * k + j] as number) > (scores[i * k + best] as number)) best = j;
    if (best === labels[i]) hits++;
  }
  return hits / labels.length;
}

/** Stock tfjs, no library code: tf.loadLayersModel over the folder's files. */
async function stockLayers(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const data = Buffer.concat(
    json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => fs.readFileSync(path.join(dir, p)))),
  );
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
      weightData: new Uint8Array(data).buffer,
    }),
  );
}

describe('cli: run a recipe on the real npm model and on a graph model', function () {
  this.timeout(900_000);

  it("prune + static INT8 + ONNX + bench on mnist-react-tfjs: loadable artifacts, and the report's size, accuracy and timings check out", async () => {
    const dir = tmpDir();
    const model = verifiedModelFiles(MNIST_CNN).dir;
    const calib = mnistNpy(dir, 200, 0);
    const evalData = mnistNpy(dir, 500, 5000);
    const recipe = {
      version: 1,
      name: 'mnist cnn',
      model,
      seed: 1,
      data: {
        calibration: { path: path.basename(calib.xs), scale: 1 / 255 },
        evaluation: { path: path.basename(evalData.xs), labels: path.basename(evalData.ys), scale: 1 / 255 },
      },
      stages: [
        { kind: 'prune', method: 'magnitude', sparsity: 0.5 },
        { kind: 'quantize', mode: 'static', calibration: { count: 200 } },
        { kind: 'export', to: 'onnx' },
        { kind: 'bench', runtimes: ['tfjs-wasm', 'ort'], batchSizes: [1], rounds: 3 },
      ],
      checks: { maxAccuracyDrop: 0.05 },
    };
    const recipeFile = path.join(dir, 'recipe.json');
    fs.writeFileSync(recipeFile, JSON.stringify(recipe));
    const out = path.join(dir, 'out');
    const r = cli(['run', recipeFile, '--out', out, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'))).to.deep.equal(report);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).to.include('| 03-export-onnx | export | onnx |');
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).to.include('<svg');
    // Reproducibility: recipe, versions, seed, machine, inputs' sha256.
    expect(report.recipe).to.deep.equal(recipe);
    expect(report.seed).to.equal(1);
    expect(report.versions.tfjs).to.equal(tf.version.tfjs);
    expect(report.versions['onnxruntime-node']).to.match(/^\d+\.\d+\.\d+/);
    expect(report.machine.cores).to.be.greaterThan(0);
    const inputs = Object.fromEntries(report.inputs.map((i: { role: string; sha256: string }) => [i.role, i.sha256]));
    expect(inputs.recipe).to.equal(sha(recipeFile));
    expect(inputs.evaluation).to.equal(sha(evalData.xs));
    expect(inputs.labels).to.equal(sha(evalData.ys));

    const [original, pruned, quantized, onnx] = report.stages as {
      name: string;
      artifact: string;
      files: string[];
      sizeBytes: number;
      accuracy: number;
      examples: number;
    }[];
    // Sizes: exactly the bytes of the files on disk.
    for (const s of [pruned, quantized, onnx]) {
      const bytes = (s?.files ?? []).reduce(
        (a, f) => a + fs.statSync(path.join(out, s?.artifact as string, f)).size,
        0,
      );
      expect(s?.sizeBytes, s?.name).to.equal(bytes);
    }
    expect(original?.sizeBytes).to.equal(MNIST_CNN.files.reduce((a, f) => a + f.bytes, 0));

    // Accuracy, measured here independently: stock tfjs on the original and pruned folders, ONNX Runtime on the .onnx file.
    const xs = new Uint8Array(fs.readFileSync(evalData.xs)).slice(128);
    const labels = new Uint8Array(fs.readFileSync(evalData.ys)).slice(128);
    const x = tf.tidy(() => tf.tensor4d(xs, [500, 28, 28, 1], 'float32').mul(1 / 255));
    for (const [s, dir2] of [
      [original, model],
      [pruned, path.join(out, pruned?.artifact as string)],
    ] as const) {
      const m = await stockLayers(dir2);
      const y = tf.tidy(() => m.predict(x, { batchSize: 256 }) as tf.Tensor);
      expect(accuracy((await y.data()) as Float32Array, 10, labels), s?.name).to.equal(s?.accuracy);
      tf.dispose([y]);
      m.dispose();
    }
    const session = await ortSession(
      new Uint8Array(fs.readFileSync(path.join(out, onnx?.artifact as string, 'model.onnx'))),
    );
    const parts: Float32Array[] = [];
    for (let s = 0; s < 500; s += 256) {
      const n = Math.min(256, 500 - s);
      const o = await runOrt(session, (await x.slice(s, n).data()) as Float32Array, [n, 28, 28, 1]);
      parts.push(o.data);
    }
    await session.release();
    const all = new Float32Array(5000);
    parts.reduce((off, p) => (all.set(p, off), off + p.length), 0);
    expect(accuracy(all, 10, labels)).to.equal(onnx?.accuracy);
    expect(onnx?.examples).to.equal(500);
    // The quantize stage writes what runs, and its plan apart (not deployable).
    const qdir = path.join(out, quantized?.artifact as string);
    expect(entries(qdir)).to.include.members(['model.onnx', 'model.tflite', 'model.json', 'plan', 'stage-report.json']);
    expect(entries(path.join(qdir, 'plan'))).to.include.members(['model.json', 'README.md']);
    expect(fs.readFileSync(path.join(qdir, 'plan', 'README.md'), 'utf8')).to.match(/Not a deployable model/);
    const planJson = JSON.parse(fs.readFileSync(path.join(qdir, 'plan', 'model.json'), 'utf8'));
    expect(JSON.stringify(planJson.modelTopology)).to.include('FakeQuantize');
    const qArtifacts = report.stages[2].artifacts as {
      file: string;
      format: string;
      deployable: boolean;
      precision: string;
      accuracy: number;
      sizeBytes: number;
      files: string[];
    }[];
    const byFile = Object.fromEntries(qArtifacts.map((a) => [a.file.split('/').slice(1).join('/'), a]));
    expect(Object.keys(byFile)).to.deep.equal(['model.onnx', 'model.tflite', 'model.json', 'plan/model.json']);
    expect(byFile['plan/model.json']).to.include({ format: 'plan', deployable: false });
    expect(byFile['model.onnx']).to.include({ format: 'onnx', deployable: true, precision: 'int8' });
    expect(byFile['model.tflite']).to.include({ format: 'tflite', deployable: true, precision: 'int8' });
    for (const a of qArtifacts)
      expect(a.sizeBytes, a.file).to.equal(a.files.reduce((t, f) => t + fs.statSync(path.join(out, f)).size, 0));
    // Stock tfjs (tf.loadLayersModel through tf.io.fromMemory) loads the tfjs files: float layers, uint8 weight manifests.
    const tfjsJson = JSON.parse(fs.readFileSync(path.join(qdir, 'model.json'), 'utf8'));
    expect(JSON.stringify(tfjsJson.modelTopology)).to.not.include('FakeQuantize');
    const dtypes = new Set(
      tfjsJson.weightsManifest.flatMap((g: { weights: { quantization?: { dtype: string } }[] }) =>
        g.weights.map((w) => w.quantization?.dtype),
      ),
    );
    expect(dtypes.has('uint8')).to.equal(true);
    const qm = await stockLayers(qdir);
    const qy = tf.tidy(() => qm.predict(x, { batchSize: 256 }) as tf.Tensor);
    expect(accuracy((await qy.data()) as Float32Array, 10, labels)).to.equal(byFile['model.json']?.accuracy);
    tf.dispose([qy]);
    qm.dispose();
    x.dispose();
    // ONNX Runtime loads the INT8 file the quantize stage wrote; it is the export stage's file, byte for byte.
    const qOnnx = fs.readFileSync(path.join(qdir, 'model.onnx'));
    expect(qOnnx.equals(fs.readFileSync(path.join(out, onnx?.artifact as string, 'model.onnx')))).to.equal(true);
    expect(byFile['model.onnx']?.accuracy).to.equal(onnx?.accuracy);
    // `export` of the stage folder reads its plan/ (INT8), not its tfjs files.
    const again = path.join(dir, 'again');
    const ex = cli(['export', qdir, '--to', 'onnx', '--out', again, '--json']);
    expect(ex.status, ex.stderr).to.equal(0);
    expect(JSON.parse(ex.stdout).report.mode).to.equal('static');
    expect(fs.readFileSync(path.join(again, 'model.onnx')).equals(qOnnx)).to.equal(true);

    // deploy.json: valid, every artifact listed, the INT8 ONNX file recommended.
    const deployment = validateDeployment(JSON.parse(fs.readFileSync(path.join(out, 'deploy.json'), 'utf8')));
    expect(deployment).to.deep.equal(report.deploy);
    expect(deployment.recommended).to.equal(`${quantized?.artifact}/model.onnx`);
    expect(deployment.reason).to.match(/INT8 in ONNX Runtime|smallest artifact within/);
    expect(deployment.artifacts.map((a) => a.file)).to.include.members([
      `${pruned?.artifact}/model.json`,
      `${quantized?.artifact}/plan/model.json`,
      `${onnx?.artifact}/model.onnx`,
    ]);
    expect(deployment.input).to.deep.include({ shape: [28, 28, 1], dtype: 'float32' });
    expect(deployment.output.kind).to.equal('probabilities');
    expect(fs.existsSync(path.join(out, OUTPUT_MARKER))).to.equal(true);

    // Speed: one row per artifact and runtime (identical ONNX files timed once), p50 the median of its own round medians, speed-ups from those rows.
    const rows = report.bench as { stage: string; runtime: string; p50Ms: number; roundP50Ms: number[] }[];
    expect(rows.map((b) => `${b.stage}@${b.runtime}`).sort()).to.deep.equal([
      '01-prune-magnitude-0.5@tfjs-wasm',
      '02-quantize-static@ort',
      'original@ort',
      'original@tfjs-wasm',
    ]);
    for (const b of rows) {
      expect(b.roundP50Ms).to.have.length(3);
      expect(b.p50Ms).to.equal([...b.roundP50Ms].sort((p, q) => p - q)[1]);
    }
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    const int8 = rows.find((b) => b.stage === '02-quantize-static') as { p50Ms: number };
    const base = rows.find((b) => b.stage === 'original' && b.runtime === 'ort') as { p50Ms: number };
    expect(md).to.include(`| 02-quantize-static | ort | 1 | 1 | ${Number(int8.p50Ms.toPrecision(4))} |`);
    expect(md).to.include(`| ${Number((base.p50Ms / int8.p50Ms).toPrecision(3))} |`);
  });

  it('uint8 vs uint16 vs float16 weight files of a graph model: sizes and output error on given inputs in the report; layer verbs refused', async () => {
    const dir = tmpDir();
    const fixture = mnistGraph(4);
    const graphDir = path.join(dir, 'graph');
    writeArtifacts(graphDir, fixture.artifacts);
    fixture.layers.dispose();
    const inputs = path.join(dir, 'inputs.npy');
    const n = 32;
    fs.writeFileSync(
      inputs,
      encodeNpy({
        dtype: 'float32',
        shape: [n, 28, 28, 1],
        data: Float32Array.from({ length: n * 784 }, (_, i) => ((i * 7919) % 256) / 255),
      }),
    );
    const recipeFile = path.join(dir, 'graph.json');
    fs.writeFileSync(
      recipeFile,
      JSON.stringify({
        version: 1,
        model: 'graph',
        data: { evaluation: { path: 'inputs.npy' } },
        stages: ['uint8', 'uint16', 'float16'].map((dtype) => ({
          kind: 'quantize',
          dtype,
          from: 'original',
          name: dtype,
        })),
      }),
    );
    const out = path.join(dir, 'out');
    const r = cli(['run', recipeFile, '--out', out, '--json']);
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout);
    const byName = Object.fromEntries(report.stages.map((s: { name: string }) => [s.name, s]));
    const floatBytes = fixture.artifacts.weightData.length;
    const weightBytes = (name: string) => byName[name].report.sizeBytes as number;
    expect(weightBytes('uint8')).to.be.closeTo(floatBytes / 4, floatBytes * 0.01);
    expect(weightBytes('uint16')).to.be.closeTo(floatBytes / 2, floatBytes * 0.01);
    expect(weightBytes('float16')).to.equal(weightBytes('uint16')); // 2 bytes per float32 weight either way; int32 tensors stay as they are
    for (const name of ['uint8', 'uint16', 'float16']) {
      const files = byName[name].files as string[];
      expect(byName[name].sizeBytes).to.equal(files.reduce((a, f) => a + fs.statSync(path.join(out, name, f)).size, 0));
      expect(byName[name].report.outputError.examples).to.equal(n);
    }
    const err = (name: string) => byName[name].report.outputError.maxAbsError as number;
    expect(err('uint16')).to.be.below(err('uint8'));
    expect(err('float16')).to.be.below(err('uint8'));
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).to.include('| uint8 | quantize | tfjs-graph |');

    // Profile works on it; verbs that need layers give the library's typed refusal, and no output.
    let c = cli(['profile', graphDir, '--json']);
    expect(c.status, c.stderr).to.equal(0);
    expect(JSON.parse(c.stdout).format).to.equal('graph-model');
    c = cli(['prune', graphDir, '--sparsity', '0.5', '--out', path.join(dir, 'pruned')]);
    expect(c.status).to.equal(1);
    expect(c.stderr).to.match(/ConfigError: expected a tf\.LayersModel, got a tf\.GraphModel/);
    c = cli(['export', graphDir, '--to', 'onnx', '--out', path.join(dir, 'onnx')]);
    expect(c.status).to.equal(1);
    expect(c.stderr).to.match(/ConfigError: expected a tf\.LayersModel, got a tf\.GraphModel/);
    c = cli(['quantize', graphDir, '--dtype', 'uint16', '--data', inputs, '--out', path.join(dir, 'q16'), '--json']);
    expect(c.status, c.stderr).to.equal(0);
    const q16 = JSON.parse(c.stdout);
    expect(q16.report.outputError.maxAbsError).to.equal(err('uint16'));
    // One size comparison for the command and the run: files as written over the original's files as written.
    expect([q16.sizeBytes, q16.sizeRatio, q16.storage]).to.deep.equal([
      byName.uint16.sizeBytes,
      byName.uint16.sizeRatio,
      'uint16-weights',
    ]);
    expect(q16.original.sizeBytes).to.equal(report.stages[0].sizeBytes);
    expect(fs.existsSync(path.join(dir, 'pruned')) || fs.existsSync(path.join(dir, 'onnx'))).to.equal(false);
  });

  it("a recipe with an unknown field, a bad value or a missing file fails with the field's path and writes nothing", () => {
    const dir = tmpDir();
    const cases: [unknown, RegExp][] = [
      [
        { version: 1, model: 'm', stages: [{ kind: 'prune', method: 'magnitude', sparsity: 0.5, sparsty: 1 }] },
        /stages\[0\]\.sparsty is not a known field/,
      ],
      [
        {
          version: 1,
          model: 'm',
          stages: [
            { kind: 'export', to: 'onnx' },
            { kind: 'prune', method: 'magnitude', sparsity: 1.5 },
          ],
        },
        /stages\[1\]\.sparsity must be a number >= 0 and < 1, got number 1\.5/,
      ],
      [
        { version: 1, model: 'm', stages: [{ kind: 'train' }] },
        /stages\[0\]\.kind must be one of "prune", "quantize", "distill", "export", "bench"/,
      ],
      [{ version: 1, model: 'm', stages: [], extra: true }, /extra is not a known field/],
      [
        { version: 1, model: 'missing-model', stages: [{ kind: 'export', to: 'onnx' }] },
        /DataError: expected a model.json in .*missing-model/,
      ],
    ];
    cases.forEach(([recipe, re], i) => {
      const file = path.join(dir, `r${i}.json`);
      fs.writeFileSync(file, JSON.stringify(recipe));
      const r = cli(['run', file, '--out', path.join(dir, `out${i}`)]);
      expect(r.status, JSON.stringify(recipe)).to.equal(1);
      expect(r.stderr).to.match(re);
      expect(fs.existsSync(path.join(dir, `out${i}`))).to.equal(false);
    });
    expect(fs.readdirSync(dir).filter((e) => !e.endsWith('.json'))).to.deep.equal([]);
  });
});
