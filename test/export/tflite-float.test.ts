// fp32 TFLite export run in TFLite 2.9 (tfjs-tflite-node): outputs within 1e-4 of tfjs on the
// course models, every supported layer kind, and small variants of the real architectures;
// the written file decodes to what was intended (NHWC, fused activations, folded BatchNorm).
import { expect } from 'chai';
import { toTflite } from '../../lib/export/tflite/to-tflite';
import { inspectTflite } from '../../lib/export/tflite/inspect';
import { simpleNet } from '../../course/models/simplenet';
import { cnn } from '../../course/models/cnn';
import { efficientNetB0, inceptionV3, mobileNetV2, resNet50 } from '../fixtures/architectures';
import { randomizeWeights, zooModel } from './fixtures';
import { expectNoLeak } from '../helpers/leak';
import { tfliteMaxDiff as maxDiff } from './tflite-fixtures';

describe('export/tflite float32', () => {
  it('SimpleNet: three FULLY_CONNECTED ops with fused RELU; TFLite outputs within 1e-4 of tfjs', () => {
    const model = simpleNet({ seed: 3 });
    const t = toTflite(model);
    const s = inspectTflite(t.bytes);
    expect(s.version).to.equal(3);
    expect(s.ops).to.deep.equal({ FULLY_CONNECTED: 3 });
    expect(s.operators.map((o) => o.fusedActivation)).to.deep.equal(['RELU', 'RELU', 'NONE']);
    // tfjs [in, units] kernels are written [units, in].
    expect(s.tensors.find((x) => x.name === 'fc1/kernel')?.shape).to.deep.equal([256, 784]);
    expect(maxDiff(model, 8, 1)).to.be.below(1e-4);
    model.dispose();
  });

  it('the course CNN: BatchNormalization folded, ReLU fused, OHWI kernels; within 1e-4 at batch 1 and 4', () => {
    const model = cnn({ seed: 2 });
    randomizeWeights(model, 5); // non-trivial BatchNorm statistics
    const s = inspectTflite(toTflite(model).bytes);
    expect(s.ops).to.deep.equal({ CONV_2D: 2, MAX_POOL_2D: 2, RESHAPE: 1, FULLY_CONNECTED: 2 });
    expect(s.operators.filter((o) => o.op === 'CONV_2D').map((o) => o.fusedActivation)).to.deep.equal(['RELU', 'RELU']);
    expect(s.tensors.find((x) => x.name === 'conv1/kernel')?.shape).to.deep.equal([8, 5, 5, 1]);
    expect(maxDiff(model, 8, 1)).to.be.below(1e-4);
    expect(maxDiff(model, 8, 4)).to.be.below(1e-4);
    model.dispose();
  });

  it('every supported layer kind (conv, depthwise x2, BN, Add+ReLU, pooling, concat, flatten, tanh, sigmoid, softmax) within 1e-4', () => {
    const model = zooModel(11);
    expect(maxDiff(model, 6, 2)).to.be.below(1e-4);
    const s = inspectTflite(toTflite(model).bytes);
    expect(s.operators.find((o) => o.op === 'ADD' && o.fusedActivation === 'RELU')).to.not.equal(undefined);
    expect(s.ops.DEPTHWISE_CONV_2D).to.equal(1);
    model.dispose();
  });

  it('small MobileNetV2 (ZeroPadding2D -> PAD, ReLU6 fused, GAP -> MEAN, softmax) within 1e-4', () => {
    const model = mobileNetV2({ seed: 4, alpha: 0.35, inputShape: [32, 32, 3], classes: 10 });
    const s = inspectTflite(toTflite(model).bytes);
    expect(s.ops.PAD).to.be.at.least(1);
    expect(s.ops.MEAN).to.equal(1);
    expect(s.ops.RELU6 ?? 0).to.equal(0); // every ReLU6 fused
    expect(s.ops.MUL ?? 0).to.equal(0); // every BatchNormalization folded
    expect(maxDiff(model, 2, 1)).to.be.below(1e-4);
    model.dispose();
  });

  it('small EfficientNet-B0 (Rescaling, swish as LOGISTIC + MUL, squeeze-excite MUL, Reshape) within 1e-4', () => {
    const model = efficientNetB0({
      seed: 5,
      widthCoefficient: 0.25,
      depthCoefficient: 0.25,
      inputShape: [32, 32, 3],
      classes: 10,
    });
    const s = inspectTflite(toTflite(model).bytes);
    expect(s.ops.LOGISTIC).to.be.at.least(2);
    expect(s.ops.HARD_SWISH ?? 0).to.equal(0);
    expect(s.ops.RESHAPE).to.be.at.least(1);
    expect(maxDiff(model, 2, 1, 0, 255)).to.be.below(1e-4);
    model.dispose();
  });

  it('small ResNet50 (ZeroPadding2D, MaxPooling2D, Add + ReLU fused) and InceptionV3 (AveragePooling2D, Concatenate) within 1e-4', () => {
    const resnet = resNet50({
      seed: 2,
      width: 0.25,
      inputShape: [64, 64, 3],
      classes: 10,
      classifierActivation: 'linear',
    });
    const inception = inceptionV3({
      seed: 2,
      width: 0.25,
      inputShape: [75, 75, 3],
      classes: 10,
      classifierActivation: 'linear',
    });
    const r = inspectTflite(toTflite(resnet).bytes);
    expect(r.operators.filter((o) => o.op === 'ADD').every((o) => o.fusedActivation === 'RELU')).to.equal(true);
    expect(inspectTflite(toTflite(inception).bytes).ops.CONCATENATION).to.be.at.least(10);
    expect(maxDiff(resnet, 1, 1)).to.be.below(1e-4);
    expect(maxDiff(inception, 1, 1)).to.be.below(1e-4);
    resnet.dispose();
    inception.dispose();
  });

  it('exporting leaks no tensors', async () => {
    const model = cnn({ seed: 2 });
    await expectNoLeak(() => {
      toTflite(model);
    });
    model.dispose();
  });
});
