// The Deep Compression file of a conv net: quantize.deepCompress's shared weights, written by
// exporters.toDeepCompressed, read back exactly by readDeepCompressed and by the page's own decoder
// (web/dc-decoder.mjs, an independent implementation); damaged files and BatchNorm refused.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { DataError, ExportError } from '../../lib/errors';
import { deepCompress } from '../../lib/quantize/deep-compress';
import { readDeepCompressed, toDeepCompressed } from '../../lib/export/deep-compressed';
import { modelToArtifacts } from '../../lib/data/model-io';

interface Decoder {
  decodeDeepCompression(b: Uint8Array): Map<string, Float32Array>;
  weightData(specs: tf.io.WeightsManifestEntry[], w: Map<string, Float32Array>): ArrayBuffer;
}
const decoderPath = path.resolve(__dirname, '../../web/dc-decoder.mjs');

function convNet(batchNorm = false): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', name: 'conv1' }).apply(input);
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, name: 'dw' }).apply(x);
  if (batchNorm) x = tf.layers.batchNormalization({ name: 'bn' }).apply(x);
  x = tf.layers.flatten({ name: 'flat' }).apply(x);
  const y = tf.layers.dense({ units: 4, name: 'fc' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

describe('exporters/toDeepCompressed', () => {
  it('round-trips a deep-compressed conv net exactly, in the library and in the page decoder', async () => {
    const dec = (await import(decoderPath)) as Decoder;
    const model = convNet();
    const { model: shared, report: dcReport } = await deepCompress(model, { sparsity: 0.8, bits: 4 });
    const start = tf.memory().numTensors;
    const result = toDeepCompressed(shared, { bits: 4 });
    expect(Object.keys(result).sort()).to.deep.equal(['bytes', 'report']);
    const { bytes, report } = result;
    expect(tf.memory().numTensors).to.equal(start);
    expect(JSON.parse(JSON.stringify(report))).to.deep.equal(report);
    expect(report.clustered).to.deep.equal([]);
    expect(report.sizeBytes).to.equal(bytes.length);
    expect(report.layers.map((l) => [l.name, l.kernel])).to.deep.equal([
      ['conv1', 'conv1/kernel'],
      ['dw', 'dw/depthwise_kernel'],
      ['fc', 'fc/kernel'],
    ]);
    expect(bytes.length).to.be.below(dcReport.denseBytes / 2);
    const read = readDeepCompressed(bytes);
    const page = dec.decodeDeepCompression(bytes);
    for (const layer of shared.layers) {
      for (const w of layer.weights) {
        const want = Array.from(w.read().dataSync());
        expect(Array.from(read.get(w.originalName)?.values ?? []), w.originalName).to.deep.equal(want);
        expect(Array.from(page.get(w.originalName) ?? []), w.originalName).to.deep.equal(want);
      }
    }
    // The page builds the model's weight data from the file, byte for byte.
    const artifacts = await modelToArtifacts(shared);
    const specs = artifacts.modelJson.weightsManifest.flatMap((g) => g.weights);
    expect(Buffer.from(dec.weightData(specs, page)).equals(Buffer.from(artifacts.weightData))).to.equal(true);
    [model, shared].forEach((m) => m.dispose());
  });

  it('clusters a float model itself and says so; refuses BatchNorm weights and damaged files with typed errors', () => {
    const model = convNet();
    const { report } = toDeepCompressed(model, { bits: 3 });
    expect(report.clustered).to.deep.equal(['conv1', 'dw', 'fc']);
    expect(() => toDeepCompressed(model, { bits: 12 })).to.throw(/^exporters\.toDeepCompressed: bits/);
    const withBn = convNet(true);
    expect(() => toDeepCompressed(withBn)).to.throw(
      ExportError,
      /"bn" \(BatchNormalization\).*quantize\.foldBatchNorm/,
    );
    const { bytes } = toDeepCompressed(model, { bits: 3 });
    for (const bad of [bytes.slice(0, bytes.length - 3), bytes.slice(0, 9), Uint8Array.from([...bytes, 0])]) {
      expect(() => readDeepCompressed(bad)).to.throw(DataError, /^exporters\.readDeepCompressed: /);
    }
    const wrongMagic = bytes.slice();
    wrongMagic[0] = 0x58;
    expect(() => readDeepCompressed(wrongMagic)).to.throw(DataError, /a TFDC version 1 file/);
    [model, withBn].forEach((m) => m.dispose());
  });
});
