// Core ML export: structural validation only, not run in Core ML here (there is no Core ML
// runtime on Linux). Each file is decoded back and checked field by field against the tfjs model
// (decodedEqual) in every weight mode; Debian's protoc decodes it independently of protobufjs;
// the checker catches a corrupted file; unsupported layers and bad weights are refused by name.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { expect } from 'chai';
import { toCoreML } from '../../lib/export/coreml/to-coreml';
import { decodedEqual } from '../../lib/export/coreml/decoded-equal';
import { COREML_PROTO, modelType } from '../../lib/export/coreml/proto';
import { packBits, unpackBits } from '../../lib/export/coreml/weights';
import { ConfigError, ExportError } from '../../lib/errors';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { postTraining } from '../../lib/quantize/post-training';
import { planOf } from '../../lib/quantize/plan';
import { efficientNetB0, mobileNetV2 } from '../fixtures/architectures';
import { randomizeWeights, zooModel } from './fixtures';
import { smallMnist } from '../quantize/fixtures';
import { expectNoLeak } from '../helpers/leak';

const MODES = ['float32', 'float16', 'linear8', 'lut'] as const;

describe('export/coreml (structural validation only; not run in Core ML here)', () => {
  it('packs n-bit indices most significant bit first, as coremltools does', () => {
    expect(Array.from(packBits([1, 2, 3], 2))).to.deep.equal([0b01101100]);
    expect(Array.from(packBits([5, 10], 4))).to.deep.equal([0x5a]);
    const codes = Uint16Array.from({ length: 37 }, (_, i) => (i * 7) % 64);
    expect(Array.from(unpackBits(packBits(codes, 6), 6, 37))).to.deep.equal(Array.from(codes));
  });

  it('SimpleNet: three innerProduct layers and two ReLUs, decoded equal to the model in every weight mode', () => {
    const model = simpleNet({ seed: 3 });
    const sizes: Record<string, number> = {};
    for (const weights of MODES) {
      const m = toCoreML(model, { weights });
      sizes[weights] = m.report.sizeBytes;
      expect(m.report.layers).to.deep.equal({ innerProduct: 3, activation: 2 });
      expect(m.report.inputShape).to.deep.equal([1, 784, 1, 1]);
      const report = decodedEqual(m.bytes, model, { weights });
      expect(report.mismatches).to.deep.equal([]);
      expect(report.equal).to.equal(true);
      expect(report.checked).to.be.above(235000); // every weight value
    }
    // Kernels dominate: float16 about half, 8-bit about a quarter, 4-bit tables about an eighth.
    expect(sizes.float16! / sizes.float32!).to.be.within(0.49, 0.51);
    expect(sizes.linear8! / sizes.float32!).to.be.within(0.24, 0.27);
    expect(sizes.lut! / sizes.float32!).to.be.within(0.12, 0.14);
    model.dispose();
  });

  it('the CNN, the zoo of layer kinds and small MobileNetV2 / EfficientNet-B0 decode equal to their models', () => {
    const models = [
      cnn({ seed: 2 }),
      zooModel(11),
      mobileNetV2({ seed: 4, alpha: 0.35, inputShape: [32, 32, 3], classes: 10 }),
      efficientNetB0({ seed: 5, widthCoefficient: 0.25, depthCoefficient: 0.25, inputShape: [32, 32, 3], classes: 10 }),
    ];
    randomizeWeights(models[0] as tf.LayersModel, 5);
    for (const model of models) {
      for (const weights of ['float32', 'linear8'] as const) {
        const report = decodedEqual(toCoreML(model, { weights }).bytes, model, { weights });
        expect(report.mismatches, `${model.name} ${weights}`).to.deep.equal([]);
      }
    }
    const cnnLayers = toCoreML(models[0] as tf.LayersModel).report.layers;
    expect(cnnLayers).to.deep.equal({
      convolution: 2,
      batchnorm: 2,
      activation: 3,
      pooling: 2,
      flatten: 1,
      innerProduct: 2,
    });
    const mobile = toCoreML(models[2] as tf.LayersModel).report.layers;
    expect(mobile.clip).to.be.above(0); // ReLU6 as clip [0, 6]
    expect(mobile.padding).to.be.above(0); // ZeroPadding2D
    models.forEach((m) => m.dispose());
  });

  it("linear8 with a static plan stores the plan's int8 kernels (scale s, bias -128 s)", async () => {
    const model = simpleNet({ seed: 1, hidden: [32, 16] });
    const { model: q } = await postTraining(model, smallMnist().train, {
      mode: 'static',
      calibrationCount: 64,
    });
    const m = toCoreML(q, { weights: 'linear8' });
    expect(decodedEqual(m.bytes, q, { weights: 'linear8' }).mismatches).to.deep.equal([]);
    // The stored scales are the plan's, per output channel.
    const spec = modelType().toObject(modelType().decode(m.bytes)) as {
      neuralNetwork: {
        layers: {
          name: string;
          innerProduct?: { weights: { quantization: { linearQuantization: { scale: number[]; bias: number[] } } } };
        }[];
      };
    };
    const fc1 = spec.neuralNetwork.layers.find((l) => l.name === 'fc1')?.innerProduct?.weights.quantization
      .linearQuantization;
    expect(fc1?.scale).to.deep.equal(Array.from((planOf(q)!.weights.fc1 as { scale: Float32Array }).scale));
    expect(fc1?.bias.map((b, i) => b / -(fc1.scale[i] as number))).to.satisfy((r: number[]) =>
      r.every((x) => Math.abs(x - 128) < 1e-3),
    );
    // A plan made for another model is refused, not written wrong.
    const other = simpleNet({ seed: 9, hidden: [32, 16] });
    const scaled = other
      .getLayer('fc1')
      .getWeights()
      .map((w) => tf.mul(w, 100));
    other.getLayer('fc1').setWeights(scaled);
    tf.dispose(scaled);
    expect(() => toCoreML(other, { weights: 'linear8', plan: planOf(q)! })).to.throw(
      ExportError,
      /the model the plan was made for/,
    );
    other.dispose();
    q.dispose();
    // Blockwise int4 has no NeuralNetwork form: refused, with the way out.
    const { model: q4 } = await postTraining(model, { mode: 'weight-only', weightBits: 4 });
    expect(() => toCoreML(q4, { weights: 'linear8' })).to.throw(
      ExportError,
      /got blockwise int4 parameters \(blocks of 32\) for layer "fc1"\. Export weight-only int4 to ONNX/,
    );
    q4.dispose();
    model.dispose();
  });

  it('decodedEqual catches a corrupted weight and a file of another model', () => {
    const model = simpleNet({ seed: 3, hidden: [16, 8] });
    const other = simpleNet({ seed: 4, hidden: [16, 8] });
    const m = toCoreML(model);
    expect(decodedEqual(m.bytes, other).equal).to.equal(false);
    // Flip one byte inside the float weights (past the header and layer names).
    const bad = m.bytes.slice();
    bad[Math.floor(bad.length / 2)] = (bad[Math.floor(bad.length / 2)] as number) ^ 0x40;
    expect(decodedEqual(bad, model).equal).to.equal(false);
    model.dispose();
    other.dispose();
  });

  it('Debian protoc decodes the file with the declared schema, independently of protobufjs', function () {
    if (!fs.existsSync('/usr/bin/protoc')) this.skip(); // make setup installs protobuf-compiler
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-compress-coreml-'));
    try {
      fs.writeFileSync(path.join(dir, 'coreml.proto'), COREML_PROTO);
      const model = cnn({ seed: 2 });
      const m = toCoreML(model, { weights: 'lut', lutBits: 4 });
      model.dispose();
      const text = execFileSync(
        '/usr/bin/protoc',
        [`--proto_path=${dir}`, '--decode=CoreML.Specification.Model', 'coreml.proto'],
        { input: Buffer.from(m.bytes) },
      ).toString();
      expect(text).to.match(/^specificationVersion: 4/);
      expect(text.match(/^\s+layers \{/gm)?.length).to.equal(12);
      expect(text).to.contain('name: "conv1"');
      expect(text).to.contain('lookupTableQuantization');
      expect(text.match(/numberOfBits: 4/g)?.length).to.equal(4); // the four kernels
      const raw = execFileSync('/usr/bin/protoc', ['--decode_raw'], { input: Buffer.from(m.bytes) }).toString();
      expect(raw).to.match(/^1: 4\n2 \{/); // field 1 specificationVersion, field 2 description
      expect(raw).to.contain('\n500 {'); // field 500 neuralNetwork
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses unsupported layers, non-finite weights and unknown options with typed errors', () => {
    const odd = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'fc', inputShape: [4], units: 3 }),
        tf.layers.layerNormalization({ name: 'norm' }),
      ],
    });
    expect(() => toCoreML(odd)).to.throw(ExportError, /layer "norm" of class LayerNormalization.*lib\/export\/coreml/);
    odd.dispose();
    const model = simpleNet({ seed: 1, hidden: [4, 4] });
    const broken = model.getLayer('fc2');
    const [k, b] = broken.getWeights() as [tf.Tensor, tf.Tensor];
    const values = (k.dataSync() as Float32Array).slice();
    values[0] = NaN;
    const nanKernel = tf.tensor(values, k.shape);
    broken.setWeights([nanKernel, b]);
    nanKernel.dispose();
    expect(() => toCoreML(model)).to.throw(ExportError, /finite weights, got NaN in layer "fc2"/);
    expect(() => toCoreML(simpleNet({ seed: 1 }), { weights: 'int4' as never })).to.throw(
      ConfigError,
      /weights one of/,
    );
    expect(() => toCoreML(simpleNet({ seed: 1 }), { weights: 'lut', lutBits: 9 })).to.throw(ConfigError, /lutBits/);
    model.dispose();
  });

  it('exporting and checking leak no tensors', async () => {
    const model = cnn({ seed: 2 });
    await expectNoLeak(() => {
      const m = toCoreML(model, { weights: 'linear8' });
      decodedEqual(m.bytes, model, { weights: 'linear8' });
    });
    model.dispose();
  });
});
