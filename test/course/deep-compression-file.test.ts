// The Deep Compression file: encoded by the library, decoded by the page's own decoder
// (web/dc-decoder.mjs, run here in Node), equal bit for bit to the library's decoder.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { deepCompress } from '../../course/deep-compression';
import { encodeDeepCompression } from '../../course/deep-compression-file';
import { magnitude } from '../../lib/prune/magnitude';
import { modelToArtifacts } from '../../lib/data/model-io';
import { simpleNet } from '../../course/models/simplenet';

interface Decoder {
  decodeDeepCompression(b: Uint8Array): Map<string, Float32Array>;
  weightData(specs: tf.io.WeightsManifestEntry[], w: Map<string, Float32Array>): ArrayBuffer;
  huffmanSymbols(s: { lengths: Uint8Array; bitLength: number; count: number; bits: Uint8Array }): Uint16Array;
}
const decoderPath = path.resolve(__dirname, '../../web/dc-decoder.mjs');

describe('course/Deep Compression file and the page decoder', () => {
  it("the page decoder gives back exactly the library's decoded kernels and the biases; the file is the encoding's size plus names", async () => {
    const dec = (await import(decoderPath)) as Decoder;
    const base = simpleNet({ seed: 3, hidden: [48, 24], inputSize: 100, numClasses: 10 });
    const pruned = await magnitude(base, { sparsity: 0.9, scope: 'global' });
    for (const [bits, indexBits] of [
      [5, 8],
      [3, 4],
      [8, 4],
    ] as const) {
      const dc = await deepCompress(pruned.model, { bits, indexBits });
      const bytes = encodeDeepCompression(dc.model, { bits, indexBits });
      const decoded = dec.decodeDeepCompression(bytes);
      for (const name of ['fc1', 'fc2', 'fc3']) {
        const [k, b] = dc.model.getLayer(name).getWeights() as [tf.Tensor, tf.Tensor];
        expect(Array.from(decoded.get(`${name}/kernel`) as Float32Array), `${name} ${bits}/${indexBits}`).to.deep.equal(
          Array.from(k.dataSync()),
        );
        expect(Array.from(decoded.get(`${name}/bias`) as Float32Array)).to.deep.equal(Array.from(b.dataSync()));
      }
      // The file is the report's encoded bytes (12-byte header a layer) plus names and the file's own headers.
      const layers = dc.report.layers;
      const names = layers.reduce((a, l) => a + `${l.name}/kernel`.length + `${l.name}/bias`.length, 0);
      const shapes = layers.reduce((a, l) => a + 4 * (dc.model.getLayer(l.name).getWeights()[0] as tf.Tensor).rank, 0);
      const headers = 8 + shapes + layers.reduce((a) => a + 2 + 2 + 1 + 1 + 4 + 2 + 2 * (2 + 4 + 4) + 4, 0);
      expect(bytes.length).to.equal(dc.report.compressedBytes - 12 * layers.length + names + headers);
      // The weight data the page builds loads into the decoded model's topology and predicts as it does.
      const artifacts = await modelToArtifacts(dc.model);
      const specs = artifacts.modelJson.weightsManifest.flatMap((g) => g.weights);
      expect(Array.from(new Uint8Array(dec.weightData(specs, decoded)))).to.deep.equal(
        Array.from(artifacts.weightData),
      );
      dc.model.dispose();
    }
    pruned.model.dispose();
    base.dispose();
  });

  it('the page decoder refuses a damaged file with an error', async () => {
    const dec = (await import(decoderPath)) as Decoder;
    const m = simpleNet({ seed: 1, hidden: [8], inputSize: 20, numClasses: 3 });
    const dc = await deepCompress(m, { bits: 3 });
    const bytes = encodeDeepCompression(dc.model, { bits: 3 });
    expect(() => dec.decodeDeepCompression(bytes.slice(0, bytes.length - 3))).to.throw();
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => dec.decodeDeepCompression(bad)).to.throw(/a TFDC version 1 file/);
    expect(() =>
      dec.huffmanSymbols({ lengths: Uint8Array.from([1, 1]), bitLength: 3, count: 4, bits: Uint8Array.from([0]) }),
    ).to.throw(/ending at symbol 3/);
    dc.model.dispose();
    m.dispose();
  });
});
