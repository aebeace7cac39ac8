// The server answers class labels: a model whose output is a map (a segmentation mask, a detector's
// score map) is refused when published, for ONNX and tfjs alike, instead of being answered with a
// softmax over all its pixels.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../lib/errors';
import { publishOnnx } from '../../lib/serve/registry';
import { layersModelContract } from '../../lib/serve/contract';
import { toOnnx } from '../../lib/export/onnx/to-onnx';

function mapModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  const y = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

describe('serve: only classifiers are served', () => {
  it('refuses a map output (the ONNX manifest at publish, the tfjs contract at load) with the shape named, and still serves [null, 1, classes]', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-map-'));
    const before = tf.memory().numTensors;
    const m = mapModel();
    try {
      expect(() => layersModelContract(m)).to.throw(ShapeError, /a classifier's output.*got \[null, 8, 8, 2\]/);
      const onnxError = await publishOnnx(toOnnx(m), { registryDir: dir, name: 'map', version: '1' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(onnxError).to.be.instanceOf(ShapeError);
      expect((onnxError as Error).message).to.match(/onnxServingManifest: a classifier's output/);
      expect(fs.existsSync(path.join(dir, 'map', '1'))).to.equal(false);
      const input = tf.input({ shape: [4] });
      const flat = tf.layers.dense({ units: 3 }).apply(input) as tf.SymbolicTensor;
      const rows = tf.layers.reshape({ targetShape: [1, 3] }).apply(flat) as tf.SymbolicTensor;
      const classifier = tf.model({ inputs: input, outputs: rows });
      expect(layersModelContract(classifier).output.shape).to.deep.equal([1, 3]);
      classifier.dispose();
    } finally {
      m.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(tf.memory().numTensors).to.equal(before);
  });
});
