import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { preprocessPixels, preprocessValue, resolvePreprocessing } from '../../lib/data/preprocess';
import { ConfigError, ShapeError } from '../../lib/errors';

const close = (a: ArrayLike<number>, b: readonly number[], eps = 1e-5) => {
  expect(a.length).to.equal(b.length);
  Array.from(a).forEach((v, i) => expect(v).to.be.closeTo(b[i] as number, eps));
};

describe('data/preprocess', () => {
  it('the Keras modes map 0, 127.5 and 255 to what preprocess_input gives', () => {
    const px = tf.tensor4d([0, 127.5, 255, 255, 0, 10], [1, 1, 2, 3]);
    const run = (preset: 'unit' | 'mobilenet' | 'caffe' | 'torch' | 'none') => {
      const y = preprocessPixels(px, resolvePreprocessing({ preset }));
      const v = y.dataSync();
      y.dispose();
      return v;
    };
    close(run('unit'), [0, 0.5, 1, 1, 0, 10 / 255]);
    close(run('mobilenet'), [-1, 0, 1, 1, -1, 10 / 127.5 - 1]);
    // caffe: RGB -> BGR, minus [103.939, 116.779, 123.68] (BGR), no scaling.
    close(run('caffe'), [255 - 103.939, 127.5 - 116.779, 0 - 123.68, 10 - 103.939, 0 - 116.779, 255 - 123.68], 1e-3);
    close(run('torch'), [
      (0 - 0.485) / 0.229,
      (0.5 - 0.456) / 0.224,
      (1 - 0.406) / 0.225,
      (1 - 0.485) / 0.229,
      (0 - 0.456) / 0.224,
      (10 / 255 - 0.406) / 0.225,
    ]);
    close(run('none'), [0, 127.5, 255, 255, 0, 10]);
    px.dispose();
  });

  it('explicit numbers override the preset, and the scalar formula agrees with the tensor one', () => {
    const p = resolvePreprocessing({ preset: 'torch', mean: 0.5, std: [0.5, 0.25, 1] });
    expect(p.preset).to.equal('custom');
    expect(p.scale).to.equal(1 / 255);
    close(preprocessValue([255, 0, 51], p), [1, -2, 0.2 - 0.5]);
    const before = tf.memory().numTensors;
    const x = tf.tensor3d([255, 0, 51], [1, 1, 3], 'int32');
    const y = preprocessPixels(x, p);
    close(y.dataSync(), [1, -2, -0.3]);
    expect(y.dtype).to.equal('float32');
    expect(tf.memory().numTensors).to.equal(before + 2); // the input and the result, no intermediates
    x.dispose();
    y.dispose();
  });

  it('grey images take one mean and std; three, or BGR, is a typed refusal', () => {
    const grey = tf.tensor4d([0, 255], [1, 1, 2, 1]);
    const y = preprocessPixels(grey, resolvePreprocessing({ preset: 'mobilenet' }));
    close(y.dataSync(), [-1, 1]);
    y.dispose();
    expect(() => preprocessPixels(grey, resolvePreprocessing({ preset: 'caffe' }))).to.throw(ConfigError, /1-channel/);
    expect(() => preprocessPixels(tf.zeros([2, 2]), resolvePreprocessing({}))).to.throw(ShapeError, /height, width/);
    grey.dispose();
  });

  it('refuses unknown presets, zero or huge numbers, and lists of the wrong length', () => {
    expect(() => resolvePreprocessing({ preset: 'vgg' as never })).to.throw(
      ConfigError,
      /preset one of unit, mobilenet, caffe, torch, none, got "vgg"/,
    );
    expect(() => resolvePreprocessing({ scale: 0 })).to.throw(ConfigError, /scale/);
    expect(() => resolvePreprocessing({ scale: 1e308 })).to.throw(ConfigError, /scale/);
    // So small that 255 / std overflows float32: bounded from below too.
    expect(() => resolvePreprocessing({ scale: 1e-300 })).to.throw(ConfigError, /scale/);
    expect(() => resolvePreprocessing({ std: 3e-323 })).to.throw(ConfigError, /std/);
    expect(() => resolvePreprocessing({ std: [1, 0, 1] })).to.throw(ConfigError, /std/);
    expect(() => resolvePreprocessing({ mean: [1, 2] })).to.throw(ConfigError, /mean as one number or three/);
    expect(() => resolvePreprocessing({ channelOrder: 'rbg' as never })).to.throw(ConfigError, /channelOrder/);
    expect(() => resolvePreprocessing([] as never)).to.throw(ConfigError, /preprocessing object/);
  });
});
