import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { quantizeGraphArtifacts, quantizedArtifacts } from '../../lib/export';
import { converterQuantize } from '../../lib/export/tfjs-artifacts';
import { measureArtifactsError } from '../../lib/export/graph-artifacts';
import { loadGraphModel, modelToArtifacts } from '../../lib/data/model-io';
import { ModelArtifacts, writeArtifacts, weightByteLengths } from '../../lib/data/model-files';
import { readArtifacts } from '../../lib/data/model-read';
import { profileModel } from '../../lib/profile';
import { cnn } from '../../course/models/cnn';
import { ConfigError, ShapeError } from '../../lib/errors';
import { fromFloat16 } from '../../lib/quantize/float16';
import { expectNoLeak } from '../helpers/leak';
import { mnistGraph, mobilenetGraph, stockGraphModel } from '../fixtures/graph-models';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-graphq-'));

/** The stored bytes of one weight. */
function bytesOf(a: ModelArtifacts, name: string): Uint8Array {
  const specs = a.modelJson.weightsManifest.flatMap((g) => g.weights);
  const lengths = weightByteLengths(specs, a.weightData);
  const i = specs.findIndex((s) => s.name === name);
  const start = lengths.slice(0, i).reduce((x, y) => x + y, 0);
  return a.weightData.slice(start, start + (lengths[i] as number));
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('export/quantizeGraphArtifacts and measureArtifactsError', () => {
  it('uint8, uint16, float16 on a graph model: 1/4, 1/2, 1/2 of the float32 weight bytes; uint16 and float16 errors far below uint8', async () => {
    const f = mobilenetGraph(5);
    f.layers.dispose();
    const specs = f.artifacts.modelJson.weightsManifest[0]?.weights ?? [];
    const floats = specs
      .filter((s) => s.dtype === 'float32')
      .reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
    const intBytes = f.artifacts.weightData.length - 4 * floats;
    expect(intBytes, 'the Mean axes stay int32').to.equal(2 * 4);
    const x = tf.randomUniform([32, 32, 32, 3], 0, 1, 'float32', 11);
    const errors: Record<string, number> = {};
    for (const [dtype, bytes] of [
      ['uint8', 1],
      ['uint16', 2],
      ['float16', 2],
    ] as const) {
      const { artifacts, report } = quantizeGraphArtifacts(f.artifacts, { dtype });
      expect(artifacts.weightData.length, dtype).to.equal(bytes * floats + intBytes);
      expect(report.sizeBytes).to.equal(artifacts.weightData.length);
      expect(report.floatSizeBytes).to.equal(f.artifacts.weightData.length);
      expect(report.weights.filter((w) => w.dtype === dtype).length).to.equal(
        specs.filter((s) => s.dtype === 'float32').length,
      );
      expect(report.weights.filter((w) => w.dtype === 'int32').length).to.equal(1);
      expect(report.warnings).to.deep.equal([]);
      const e = await measureArtifactsError(f.artifacts, artifacts, x);
      expect(e.examples).to.equal(32);
      expect(e.meanAbsError).to.be.greaterThan(0);
      expect(e.maxAbsError).to.be.at.least(e.meanAbsError);
      expect(e.top1Agreement).to.be.within(0, 1);
      errors[dtype] = e.maxAbsError;
    }
    expect(errors.uint16).to.be.below((errors.uint8 as number) / 5);
    expect(errors.float16).to.be.below((errors.uint8 as number) / 5);
    x.dispose();
  });

  it('files written to disk load in stock tf.loadGraphModel, which decodes q * scale + min and float16 exactly', async () => {
    const f = mnistGraph(3);
    f.layers.dispose();
    for (const dtype of ['uint8', 'float16'] as const) {
      const dir = tmp();
      const { artifacts } = quantizeGraphArtifacts(f.artifacts, { dtype });
      const { files } = writeArtifacts(dir, artifacts);
      expect(files).to.deep.equal(['group1-shard1of1.bin']);
      // Stock tfjs on the files' bytes (no library reader).
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const g = await stockGraphModel({
        modelJson: json,
        weightData: new Uint8Array(fs.readFileSync(path.join(dir, files[0] as string))),
      });
      const name = 'StatefulPartitionedCall/sequential/fc1/MatMul/ReadVariableOp';
      const spec = json.weightsManifest[0].weights.find((w: tf.io.WeightsManifestEntry) => w.name === name);
      const original = new Float32Array(bytesOf(f.artifacts, name).buffer);
      const decoded = g.weights[name]?.[0]?.dataSync() as Float32Array;
      if (dtype === 'uint8') {
        const { q, scale, min } = converterQuantize(original, 'uint8');
        expect(spec.quantization).to.deep.equal({ dtype: 'uint8', scale, min });
        expect(Array.from(decoded)).to.deep.equal(Array.from(q, (v) => Math.fround(v * scale + min)));
        expect(Math.max(...decoded.map((v, i) => Math.abs(v - (original[i] as number))))).to.be.at.most(
          scale / 2 + 1e-7,
        );
      } else {
        expect(spec.quantization).to.deep.equal({ dtype: 'float16' });
        expect(decoded.length).to.equal(576 * 32);
        expect(Array.from(decoded)).to.deep.equal(
          Array.from(fromFloat16(new Uint16Array(bytesOf(artifacts, name).buffer))),
        );
        expect(
          Math.max(
            ...decoded.map(
              (v, i) => Math.abs(v - (original[i] as number)) / Math.max(Math.abs(original[i] as number), 2 ** -14),
            ),
          ),
        ).to.be.at.most(2 ** -11);
      }
      g.dispose();
    }
  });

  it('on layers-model artifacts it writes exactly what quantizedArtifacts writes', async () => {
    const m = cnn({ seed: 2 });
    for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
      const ours = quantizeGraphArtifacts(await modelToArtifacts(m), { dtype });
      const layers = await quantizedArtifacts(m, { dtype });
      expect(Buffer.from(ours.artifacts.weightData).equals(Buffer.from(layers.artifacts.weightData)), dtype).to.equal(
        true,
      );
      expect(ours.artifacts.modelJson.weightsManifest[0]?.weights).to.deep.equal(
        layers.artifacts.modelJson.weightsManifest[0]?.weights,
      );
      const e = await measureArtifactsError(await modelToArtifacts(m), ours.artifacts, tf.zeros([2, 28, 28, 1]));
      expect(e.top1Agreement).to.be.a('number');
    }
    m.dispose();
  });

  it('weight patterns select weights as the converter does; unmatched patterns and already-quantized weights are warnings', () => {
    const f = mobilenetGraph(5);
    f.layers.dispose();
    const { report } = quantizeGraphArtifacts(f.artifacts, { dtype: 'uint8', weights: ['*/stem/*', '*/nothing/*'] });
    expect(
      report.weights.filter((w) => w.dtype === 'uint8').map((w) => w.name.split('/').slice(-3).join('/')),
    ).to.deep.equal(['stem/Conv2D/ReadVariableOp', 'stem/BiasAdd/ReadVariableOp']);
    expect(report.warnings).to.deep.equal([
      `quantizeGraphArtifacts: the pattern '*/nothing/*' matches no weight; weight names look like '${report.weights[0]?.name}'.`,
    ]);
    const once = quantizeGraphArtifacts(f.artifacts, { dtype: 'uint8' }).artifacts;
    const twice = quantizeGraphArtifacts(once, { dtype: 'float16' });
    expect(Buffer.from(twice.artifacts.weightData).equals(Buffer.from(once.weightData))).to.equal(true);
    const floats = f.artifacts.modelJson.weightsManifest[0]?.weights.filter((w) => w.dtype === 'float32').length;
    expect(twice.report.warnings.length).to.equal(floats);
    expect(twice.report.warnings[0]).to.match(/already stored as uint8; kept as it is/);
  });

  it('a converter-style folder (sharded) goes through read -> quantize -> write -> loadGraphModel; profile sees the stored dtype', async () => {
    const f = mnistGraph(4);
    f.layers.dispose();
    const src = tmp();
    writeArtifacts(src, f.artifacts, { shardSizeBytes: 16384 });
    expect(fs.readdirSync(src).filter((n) => n.endsWith('.bin')).length).to.equal(5);
    const { artifacts } = quantizeGraphArtifacts(readArtifacts(src), { dtype: 'uint16' });
    const out = tmp();
    writeArtifacts(out, artifacts, { shardSizeBytes: 16384 });
    expect(
      fs
        .readdirSync(out)
        .filter((n) => n.endsWith('.bin'))
        .sort(),
    ).to.deep.equal(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    const g = await loadGraphModel(out);
    const r = await profileModel(g);
    expect(r.totals.storedWeightBytesByDtype).to.deep.equal({ uint16: 2 * r.totals.params, int32: 8 });
    expect(r.totals.weightBytesByDtype).to.deep.equal({ float32: 4 * r.totals.params, int32: 8 });
    g.dispose();
  });

  it('bad options and bad inputs are typed errors; nothing leaks and the backend still works', async () => {
    const f = mnistGraph(3);
    f.layers.dispose();
    expect(() => quantizeGraphArtifacts(f.artifacts, { dtype: 'int8' as never })).to.throw(
      ConfigError,
      /quantizeGraphArtifacts: dtype 'uint8', 'uint16', 'float16' or 'auto', got "int8"/,
    );
    // 'auto' decides per weight, with the reason in the report (as quantizedArtifacts on layers models).
    const encoded = quantizeGraphArtifacts(f.artifacts, { dtype: 'auto' }).report.weights.filter(
      (w) => w.sqnrDb !== undefined,
    );
    expect(encoded.length).to.be.above(0);
    expect(encoded.every((w) => typeof w.reason === 'string')).to.equal(true);
    expect(() => quantizeGraphArtifacts(f.artifacts, { dtype: 'uint8', weights: [] })).to.throw(
      ConfigError,
      /weights a non-empty list of name patterns/,
    );
    expect(() => quantizeGraphArtifacts({} as never, { dtype: 'uint8' })).to.throw(
      ConfigError,
      /artifacts \{modelJson, weightData\}/,
    );
    const q = quantizeGraphArtifacts(f.artifacts, { dtype: 'uint8' }).artifacts;
    await expectNoLeak(async () => {
      const bad = tf.zeros([2, 8, 8, 1]);
      const e = await rejection(measureArtifactsError(f.artifacts, q, bad));
      expect(e).to.be.instanceOf(ShapeError);
      expect(e.message).to.match(/^measureArtifactsError: inputs the models accept, got/);
      bad.dispose();
      const other = mobilenetGraph(1);
      other.layers.dispose();
      const x = tf.zeros([2, 28, 28, 1]);
      const e2 = await rejection(measureArtifactsError(f.artifacts, other.artifacts, x));
      expect(e2).to.be.instanceOf(ShapeError);
      x.dispose();
      const ones = tf.ones([3, 28, 28, 1]);
      const ok = await measureArtifactsError(f.artifacts, q, ones, { batchSize: 2 });
      expect(ok.examples).to.equal(3);
      ones.dispose();
    });
  });
});
