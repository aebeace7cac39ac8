// Small variants of the Keras architectures (same builders as the slow suite, narrower and on
// small inputs): profile, the dependency graph, channel pruning against the zeroed-channel
// oracle, and ONNX fp32 in ONNX Runtime against tfjs (logits), fast enough for the default suite.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { profileModel } from '../../lib/profile/profile-model';
import { channels } from '../../lib/prune/channels';
import { toOnnx } from '../../lib/export/onnx/to-onnx';
import { ortSession, runOrt } from '../../lib/export/onnx/runtime';
import { efficientNetB0, inceptionV3, mobileNetV2, resNet50 } from '../fixtures/architectures';
import { zeroRemovedChannels } from '../helpers/zero-removed';

const SMALL: readonly { name: string; build: () => tf.LayersModel; range: [number, number]; ops: string[] }[] = [
  {
    name: 'MobileNetV2 alpha 0.35, 96x96, 10 classes',
    range: [-1, 1],
    ops: ['Pad', 'Clip', 'Add'],
    build: () =>
      mobileNetV2({ seed: 2, alpha: 0.35, inputShape: [96, 96, 3], classes: 10, classifierActivation: 'linear' }),
  },
  {
    name: 'ResNet50 width 0.25, 64x64, 10 classes',
    range: [-1, 1],
    ops: ['Pad', 'MaxPool', 'Add'],
    build: () =>
      resNet50({ seed: 2, width: 0.25, inputShape: [64, 64, 3], classes: 10, classifierActivation: 'linear' }),
  },
  {
    name: 'InceptionV3 width 0.25, 75x75, 10 classes',
    range: [-1, 1],
    ops: ['Concat', 'AveragePool'],
    build: () =>
      inceptionV3({ seed: 2, width: 0.25, inputShape: [75, 75, 3], classes: 10, classifierActivation: 'linear' }),
  },
  {
    name: 'EfficientNet width 0.5, depth 0.5, 64x64, 10 classes',
    range: [0, 255],
    ops: ['Pad', 'Mul', 'Sigmoid', 'Reshape'],
    build: () =>
      efficientNetB0({
        seed: 2,
        widthCoefficient: 0.5,
        depthCoefficient: 0.5,
        inputShape: [64, 64, 3],
        classes: 10,
        classifierActivation: 'linear',
      }),
  },
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

describe('Keras architectures, small variants', () => {
  for (const arch of SMALL) {
    describe(arch.name, () => {
      let model: tf.LayersModel;
      let x: tf.Tensor;
      before(() => {
        model = arch.build();
        x = tf.randomUniform(
          [2, ...(model.inputs[0] as tf.SymbolicTensor).shape.slice(1)] as number[],
          arch.range[0],
          arch.range[1],
          'float32',
          5,
        );
      });
      after(() => {
        model.dispose();
        x.dispose();
      });

      it('profiles every layer (a MAC rule for each) and exports to ONNX fp32 matching tfjs within 1e-5', async () => {
        const p = await profileModel(model);
        expect(p.warnings).to.deep.equal([]);
        expect(p.totals.params).to.equal(model.countParams());
        const onnxModel = toOnnx(model);
        for (const op of arch.ops) expect(onnxModel.report.ops[op], op).to.be.at.least(1);
        const session = await ortSession(onnxModel);
        try {
          const got = await runOrt(session, x.dataSync() as Float32Array, x.shape);
          const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
          expect(got.dims).to.deep.equal([2, 10]);
          expect(maxAbsDiff(want, got.data)).to.be.at.most(1e-5);
        } finally {
          await session.release();
        }
      });

      // Last: it zeroes channels of the fixture in place.
      it('prune.channels at sparsity 0.3 equals zeroing the removed channels in the original', async () => {
        const { model: pruned, report } = await channels(model, { sparsity: 0.3 });
        try {
          expect(report.params.after).to.be.below(report.params.before);
          const want = tf.tidy(() => (pruned.predict(x) as tf.Tensor).dataSync());
          const before = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
          expect(zeroRemovedChannels(model, report)).to.be.above(0);
          const got = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
          expect(maxAbsDiff(want, got)).to.be.at.most(1e-5);
          expect(maxAbsDiff(want, before)).to.be.above(1e-3);
        } finally {
          pruned.dispose();
        }
      });
    });
  }
});
