// A run on a model nobody here trained: nsfwjs's MobileNetV2, whose converted files store uint8
// weights. What the run writes is checked from outside, with stock loaders: the INT8 ONNX file in
// ONNX Runtime, the tfjs files with tf.loadLayersModel through tf.io.fromMemory, the report's
// sizes against the files on disk. The original's storage is named, a float stage larger than it
// says why, and the layer TFLite leaves in float is printed on the run's terminal lines, listed in
// the report and in deploy.json.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ortSession, runOrt } from '../../lib/export';
import { writeArtifacts } from '../../lib/data/model-files';
import { encodeNpy } from '../../lib/data/npy';
import { validateDeployment } from '../../lib/data/deployment';
import { runRecipe } from '../../lib/pipeline/run';
import { validateRecipe } from '../../lib/pipeline/recipe';
import { ArtifactRecord } from '../../lib/pipeline/report';
import { NSFW_MOBILENET_V2, bundledArtifacts, realPhotoBatch } from '../fixtures/real-models';

const NSFW_CLASSES = NSFW_MOBILENET_V2.classes as readonly string[];
import { tmpDir } from '../cli/helpers';

const argmax = (v: ArrayLike<number>, k: number) =>
  Array.from({ length: v.length / k }, (_, i) => {
    let b = 0;
    for (let j = 1; j < k; j++) if ((v[i * k + j] as number) > (v[i * k + b] as number)) b = j;
    return b;
  });

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

describe('run on nsfwjs MobileNetV2 (uint8 weight files): deployable artifacts, storage named, float layers shown', function () {
  this.timeout(900_000);

  it('prune + static INT8: ORT and stock tfjs load what was written, sizes are the files, the storage and float layers are said', async () => {
    const dir = tmpDir('tfc-nsfw-');
    const modelDir = path.join(dir, 'model');
    writeArtifacts(modelDir, bundledArtifacts(NSFW_MOBILENET_V2));
    // Eight real views of one photograph as 8-bit pixels; labels: the original model's own top-1
    // (so accuracy here is top-1 agreement with the original, which the test checks independently).
    const views = realPhotoBatch(224);
    const pixels = Uint8Array.from(await tf.tidy(() => views.mul(255).round()).data());
    views.dispose();
    const x = tf.tidy(() => tf.tensor4d(Float32Array.from(pixels), [8, 224, 224, 3]).div(255));
    const original = await stockLayers(modelDir);
    const originalTop = argmax(await tf.tidy(() => original.predict(x) as tf.Tensor).data(), 5);
    original.dispose();
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy({ dtype: 'uint8', shape: [8, 224, 224, 3], data: pixels }));
    fs.writeFileSync(
      path.join(dir, 'y.npy'),
      encodeNpy({ dtype: 'uint8', shape: [8], data: Uint8Array.from(originalTop) }),
    );
    const recipe = validateRecipe({
      version: 1,
      model: 'model',
      data: {
        calibration: { path: 'x.npy', preprocessing: 'unit' },
        evaluation: { path: 'x.npy', labels: 'y.npy', preprocessing: 'unit', classNames: [...NSFW_CLASSES] },
      },
      stages: [
        { kind: 'prune', method: 'magnitude', sparsity: 0.3 },
        { kind: 'quantize', mode: 'static', calibration: { count: 8 } },
      ],
    });
    const lines: string[] = [];
    const updates = new Set<string>();
    const out = path.join(dir, 'out');
    const tensorsBefore = tf.memory().numTensors;
    const report = await runRecipe(recipe, {
      baseDir: dir,
      outDir: out,
      progress: {
        step: () => undefined,
        update: (label) => updates.add(label.split(' ')[0] as string),
        line: (l) => lines.push(l),
      },
    });
    expect(tf.memory().numTensors).to.equal(tensorsBefore); // no leak across the whole run
    expect([...updates]).to.include.members(['calibration', 'error', 'export', 'scoring']);

    // The original's files are named for what they are, and a float32 stage larger than them says why.
    const [orig, pruned, quantized] = report.stages;
    expect(orig?.storage).to.equal('uint8-weights');
    expect(orig?.sizeBytes).to.equal(
      fs.readdirSync(modelDir).reduce((a, f) => a + fs.statSync(path.join(modelDir, f)).size, 0),
    );
    expect(orig?.accuracy).to.equal(1);
    const prunedArtifact = pruned?.artifacts?.[0] as ArtifactRecord;
    expect(prunedArtifact.storage).to.equal('float32-weights');
    expect(prunedArtifact.sizeRatio).to.be.greaterThan(3);
    expect(prunedArtifact.notes?.join(' ')).to.match(
      /because the original stores its weights as uint8 .* the compute is not larger/,
    );
    expect(lines.some((l) => l.includes(`${prunedArtifact.file}: `) && /stores its weights as uint8/.test(l))).to.equal(
      true,
    );

    const arts = Object.fromEntries((quantized?.artifacts ?? []).map((a) => [a.file.split('/').slice(1).join('/'), a]));
    expect(Object.keys(arts)).to.deep.equal(['model.onnx', 'model.tflite', 'model.json', 'plan/model.json']);
    for (const a of Object.values(arts))
      expect(a.sizeBytes, a.file).to.equal(a.files.reduce((t, f) => t + fs.statSync(path.join(out, f)).size, 0));

    // ONNX Runtime runs the written INT8 file; its top-1 agreement is what the report says.
    const onnx = arts['model.onnx'] as ArtifactRecord;
    expect(onnx.precision).to.equal('int8');
    const session = await ortSession(new Uint8Array(fs.readFileSync(path.join(out, onnx.file))));
    const y = await runOrt(session, (await x.data()) as Float32Array, [8, 224, 224, 3]);
    await session.release();
    const agree = (top: number[]) => top.filter((v, i) => v === originalTop[i]).length / 8;
    expect(agree(argmax(y.data, 5))).to.equal(onnx.accuracy);

    // Stock tfjs loads the tfjs files (float layers, uint8 manifests) and agrees as the report says.
    const tfjsArtifact = arts['model.json'] as ArtifactRecord;
    expect(tfjsArtifact.precision).to.match(/^uint8/);
    expect(tfjsArtifact.sizeBytes).to.be.below(1.05 * (orig?.sizeBytes as number));
    const loaded = await stockLayers(path.join(out, path.dirname(tfjsArtifact.file)));
    expect(agree(argmax(await tf.tidy(() => loaded.predict(x) as tf.Tensor).data(), 5))).to.equal(
      tfjsArtifact.accuracy,
    );
    loaded.dispose();
    x.dispose();

    // The plan is kept apart and marked; nothing recommends it.
    const plan = arts['plan/model.json'] as ArtifactRecord;
    expect([plan.deployable, plan.format, plan.evaluatedOn]).to.deep.equal([false, 'plan', 'tfjs-wasm (simulation)']);

    // TFLite's float layers: on the terminal, in the report, in deploy.json.
    const lite = arts['model.tflite'] as ArtifactRecord;
    const floatLayers = (lite.report as { floatLayers: { layer: string }[] }).floatLayers.map((f) => f.layer);
    expect(floatLayers.length).to.be.greaterThan(0);
    expect(lite.floatLayers?.map((f) => f.layer)).to.deep.equal(floatLayers);
    for (const layer of floatLayers)
      expect(
        lines.some((l) => l.includes(lite.file) && l.includes(layer)),
        layer,
      ).to.equal(true);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).to.include(`${lite.file}: ${floatLayers.length} layer(s) left in float: ${floatLayers[0]}`);
    const deployment = validateDeployment(JSON.parse(fs.readFileSync(path.join(out, 'deploy.json'), 'utf8')));
    expect(deployment.artifacts.find((a) => a.file === lite.file)?.floatLayers).to.deep.equal(floatLayers);
    expect(deployment.artifacts.find((a) => a.file === plan.file)?.deployable).to.equal(false);
    expect(deployment.recommended).to.equal(onnx.file);
    expect(deployment.input.preprocessing?.preset).to.equal('unit');
    expect(deployment.output.classNames).to.deep.equal([...NSFW_CLASSES]);
  });
});
