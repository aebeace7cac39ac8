// INT8 on the Keras architectures (small variants of the same builders): static post-training
// quantization with the fused placement, exported in QDQ form, run in ONNX Runtime against the
// quantized tfjs model, with ONNX Runtime's optimized graph checked for integer ops (every
// convolution a QLinearConv); dynamic and weight-only exports run too, and the report's sizeBytes
// is the file's parameter bytes (up to the activations' own constants: Clip bounds, pads, shapes).
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { postTraining } from '../../lib/quantize/post-training';
import { planOf } from '../../lib/quantize/plan';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { inspectOnnx } from '../../lib/export/onnx/inspect';
import { efficientNetB0, inceptionV3, mobileNetV2, resNet50 } from '../fixtures/architectures';

const SMALL: readonly { name: string; build: () => tf.LayersModel; range: [number, number]; int8: string[] }[] = [
  {
    name: 'MobileNetV2 alpha 0.35, 96x96',
    range: [-1, 1],
    int8: ['QLinearConv', 'QLinearAdd', 'QLinearGlobalAveragePool', 'QGemm'],
    build: () => mobileNetV2({ seed: 3, alpha: 0.35, inputShape: [96, 96, 3], classes: 10 }),
  },
  {
    name: 'ResNet50 width 0.25, 64x64',
    range: [-1, 1],
    int8: ['QLinearConv', 'QLinearAdd', 'QLinearGlobalAveragePool', 'QGemm'],
    build: () => resNet50({ seed: 3, width: 0.25, inputShape: [64, 64, 3], classes: 10 }),
  },
  {
    name: 'InceptionV3 width 0.25, 75x75',
    range: [-1, 1],
    int8: ['QLinearConv', 'QLinearConcat', 'QLinearAveragePool', 'QLinearGlobalAveragePool', 'QGemm'],
    build: () => inceptionV3({ seed: 3, width: 0.25, inputShape: [75, 75, 3], classes: 10 }),
  },
  // swish is not fusable: x * sigmoid(x) runs in float between a DequantizeLinear and a QuantizeLinear,
  // and so do the squeeze-excite convs whose swish / sigmoid is inline (no point between conv and activation).
  {
    name: 'EfficientNet width 0.5, depth 0.5, 64x64',
    range: [0, 255],
    int8: ['QLinearConv', 'QLinearMul', 'QLinearAdd', 'QLinearGlobalAveragePool', 'QGemm'],
    build: () =>
      efficientNetB0({ seed: 3, widthCoefficient: 0.5, depthCoefficient: 0.5, inputShape: [64, 64, 3], classes: 10 }),
  },
];

describe('Keras architectures, small variants: INT8 in ONNX Runtime', () => {
  for (const arch of SMALL) {
    it(`${arch.name}: static QDQ equals the quantized tfjs model within a few output steps, every conv without an inline swish/sigmoid runs as QLinearConv; dynamic and weight-only run`, async () => {
      const model = arch.build();
      const shape = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
      const calibration = tf.randomUniform([16, ...shape], arch.range[0], arch.range[1], 'float32', 1);
      const x = tf.randomUniform([4, ...shape], arch.range[0], arch.range[1], 'float32', 2);
      const file = path.join(os.tmpdir(), `tfjs-compress-arch-${process.pid}.onnx`);
      try {
        for (const mode of ['static', 'dynamic', 'weight-only'] as const) {
          const { model: q, report } = await postTraining(
            model,
            { xs: calibration },
            {
              mode,
              batchSize: 8,
            },
          );
          const onnx = toOnnx(q);
          const { initializerBytes } = inspectOnnx(onnx.bytes);
          expect(initializerBytes - report.sizeBytes, `${mode}: constants beyond the parameters`).to.be.within(
            0,
            0.005 * report.sizeBytes,
          );
          const session = await ortSession(onnx, mode === 'static' ? { optimizedModelFilePath: file } : {});
          const got = await runOrt(session, x.dataSync() as Float32Array, x.shape);
          await session.release();
          const want = tf.tidy(() => (q.predict(x) as tf.Tensor).dataSync());
          let diff = 0;
          for (let i = 0; i < want.length; i++)
            diff = Math.max(diff, Math.abs((want[i] as number) - (got.data[i] as number)));
          if (mode === 'static') {
            const step = planOf(q)?.activations.predictions?.scale[0] as number;
            // Integer and float rounding differ near ties, and a difference travels: a few output steps at most.
            expect(diff, 'static: max |ORT - tfjs|').to.be.at.most(3 * step * (1 + 1e-5));
            const ops = inspectOnnx(file).ops;
            for (const op of arch.int8) expect(ops[`com.microsoft.${op}`], op).to.be.at.least(1);
            // Every conv whose own activation is none, relu or relu6.
            const convs = q.layers.filter(
              (l) =>
                ['Conv2D', 'DepthwiseConv2D'].includes(l.getClassName()) &&
                ['linear', 'relu', 'relu6'].includes((l.getConfig() as { activation: string }).activation),
            ).length;
            expect(ops['com.microsoft.QLinearConv'], 'convs in int8').to.equal(convs);
          } else
            expect(diff, `${mode}: max |ORT - tfjs| (softmax outputs)`).to.be.below(
              mode === 'weight-only' ? 2e-3 : 0.05,
            );
          q.dispose();
        }
      } finally {
        tf.dispose([calibration, x]);
        model.dispose();
        if (fs.existsSync(file)) fs.rmSync(file);
      }
    });
  }
});
