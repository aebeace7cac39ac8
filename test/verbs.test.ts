// The closed verb shape, across the technique namespaces: every public model verb of prune,
// quantize and distill runs on a small real conv net with real data and returns exactly
// {model, report}, a plain-JSON report, the input's weights unchanged byte for byte, no tensor
// leaked once the result is disposed, and a typed error naming the verb for bad options. The
// table must list every function a namespace exports, as a verb row or as a named non-verb
// helper, so a new verb cannot be added without a row. The exporters follow the same rule with
// their own result shapes (lib/export/index.ts): {bytes, report} for one file, {artifacts, report}
// for TensorFlow.js artifacts, {model, report} for the inference-form transform.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as prune from '../lib/prune';
import * as quantize from '../lib/quantize';
import * as distill from '../lib/distill';
import * as exporters from '../lib/export';
import { modelToArtifacts } from '../lib/data/model-io';
import type { ModelArtifacts } from '../lib/data/model-files';
import { CompressionError } from '../lib/errors';

type Result = { model: tf.LayersModel; report: unknown };
interface Row {
  /** The verb on (model, data); returns the result. */
  readonly run: (m: tf.LayersModel, data: { xs: tf.Tensor; ys: tf.Tensor }) => Promise<Result>;
  /** The same verb with bad options. */
  readonly bad: (m: tf.LayersModel, data: { xs: tf.Tensor; ys: tf.Tensor }) => Promise<unknown>;
}

function convNet(seed: number, batchNorm = true): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed * 10 + s });
  const input = tf.input({ shape: [6, 6, 1] });
  let x = tf.layers
    .conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'conv1', kernelInitializer: init(1) })
    .apply(input);
  if (batchNorm) x = tf.layers.batchNormalization({ name: 'bn' }).apply(x);
  x = tf.layers.flatten({ name: 'flat' }).apply(x);
  const y = tf.layers.dense({ units: 3, name: 'fc', kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

const ROWS: Record<string, Record<string, Row>> = {
  prune: {
    magnitude: { run: (m) => prune.magnitude(m, { sparsity: 0.5 }), bad: (m) => prune.magnitude(m, { sparsity: 2 }) },
    channels: {
      run: (m) => prune.channels(m, { sparsity: 0.5, roundTo: 1 }),
      bad: (m) => prune.channels(m, { sparsity: 0.5, roundTo: 1, skip: ['nope*'] }),
    },
    fineTune: {
      run: (m, d) => prune.fineTune(m, d, { epochs: 1, seed: 1, batchSize: 8 }),
      bad: (m, d) => prune.fineTune(m, d, { epochs: -1, seed: 1 }),
    },
    iterativePrune: {
      run: (m, d) => prune.iterativePrune(m, d, { sparsities: [0.5], epochsPerRound: 1, seed: 1, batchSize: 8 }),
      bad: (m, d) => prune.iterativePrune(m, d, { sparsities: [1.5], epochsPerRound: 1, seed: 1 }),
    },
    stripPruning: { run: (m) => prune.stripPruning(m), bad: (m) => prune.stripPruning(m, { nope: tf.zeros([1]) }) },
  },
  quantize: {
    postTraining: {
      run: (m, d) => quantize.postTraining(m, d, { mode: 'static', batchSize: 8 }),
      bad: (m) => quantize.postTraining(m, { mode: 'int3' as never }),
    },
    quantizationAwareTraining: {
      run: (m, d) => quantize.quantizationAwareTraining(m, d, { epochs: 1, seed: 1, batchSize: 8 }),
      bad: (m, d) => quantize.quantizationAwareTraining(m, d, { epochs: 1, seed: 1, weightBits: 40 }),
    },
    convertQat: {
      run: async (m, d) => {
        const qat = await quantize.quantizationAwareTraining(m, d, { epochs: 1, seed: 1, batchSize: 8 });
        qat.model.dispose();
        return quantize.convertQat(m, { ranges: qat.report.ranges });
      },
      bad: (m) => quantize.convertQat(m, { ranges: {}, skip: ['nope*'] }),
    },
    foldBatchNorm: { run: (m) => quantize.foldBatchNorm(m), bad: () => quantize.foldBatchNorm({} as never) },
    weightSharing: {
      run: (m, d) => quantize.weightSharing(m, d, { bits: 3, seed: 1, fineTune: { epochs: 1, batchSize: 8 } }),
      bad: (m) => quantize.weightSharing(m, { bits: 40, seed: 1 }),
    },
    deepCompress: {
      run: (m) => quantize.deepCompress(m, { sparsity: 0.5, bits: 3 }),
      bad: (m) => quantize.deepCompress(m, { bits: 40 }),
    },
  },
  distill: {
    train: {
      run: async (m, d) => {
        const teacher = convNet(9);
        try {
          return await distill.train(m, d, { teacher, epochs: 1, seed: 1, batchSize: 8 });
        } finally {
          teacher.dispose();
        }
      },
      bad: (m, d) => distill.train(m, d, { teacher: m, epochs: 1, seed: 1 }),
    },
  },
};

/** Exported functions that are not model verbs: primitives on tensors or plain data, analyses, helpers. */
const NOT_VERBS: Record<string, string[]> = {
  prune: [
    ...['magnitudeMask', 'sparsityReport', 'pruningHooks', 'sizeReport', 'sensitivityScan', 'slimmingRegularizer'],
  ],
  quantize: ['chooseQParams', 'quantize', 'dequantize', 'fakeQuantize', 'sqnr', 'planOf', 'quantizedSizeBytes'],
  distill: ['distillationLoss', 'hintLoss', 'teacherLogits'],
  exporters: [
    ...['ortSession', 'runOrt', 'ortPredictLabels', 'inspectOnnx', 'checkOnnxTarget', 'readDeepCompressed'],
    ...['inspectTflite', 'tfliteInterpreter', 'runTflite', 'tflitePredictor'],
  ],
};

type Exported = { bytes: Uint8Array; report: unknown } | { artifacts: ModelArtifacts; report: unknown } | Result;
interface ExporterRow {
  readonly keys: 'bytes' | 'artifacts' | 'model';
  /** The format takes no BatchNormalization layer (fold it first). */
  readonly noBatchNorm?: true;
  /** The exporter on the model's artifacts (quantizeGraphArtifacts) or on the model itself. */
  readonly run: (m: tf.LayersModel, a: ModelArtifacts) => Exported | Promise<Exported>;
  readonly bad: (m: tf.LayersModel, a: ModelArtifacts) => unknown;
}
const EXPORTERS: Record<string, ExporterRow> = {
  toOnnx: {
    keys: 'bytes',
    run: (m) => exporters.toOnnx(m),
    bad: (m) => exporters.toOnnx(m, { target: 'nope' as never }),
  },
  toTflite: { keys: 'bytes', run: (m) => exporters.toTflite(m), bad: (m) => exporters.toTflite(m, { batchSize: -1 }) },
  toCoreML: {
    keys: 'bytes',
    run: (m) => exporters.toCoreML(m, { weights: 'linear8' }),
    bad: (m) => exporters.toCoreML(m, { weights: 'int3' as never }),
  },
  toDeepCompressed: {
    keys: 'bytes',
    noBatchNorm: true,
    run: (m) => exporters.toDeepCompressed(m, { bits: 4 }),
    bad: (m) => exporters.toDeepCompressed(m, { bits: 40 }),
  },
  quantizedArtifacts: {
    keys: 'artifacts',
    run: (m) => exporters.quantizedArtifacts(m, { dtype: 'uint8' }),
    bad: (m) => exporters.quantizedArtifacts(m, { dtype: 'int3' as never }),
  },
  quantizeGraphArtifacts: {
    keys: 'artifacts',
    run: (_, a) => exporters.quantizeGraphArtifacts(a, { dtype: 'uint8' }),
    bad: (_, a) => exporters.quantizeGraphArtifacts(a, { dtype: 'int3' as never }),
  },
  inferenceForm: {
    keys: 'model',
    run: (m) => exporters.inferenceForm(m),
    bad: () => exporters.inferenceForm({} as never),
  },
};

const NAMESPACES: Record<string, Record<string, unknown>> = { prune, quantize, distill, exporters };
const ALL_ROWS: Record<string, Record<string, unknown>> = { ...ROWS, exporters: EXPORTERS };
const isClass = (f: unknown) => typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));

describe('verbs: one closed shape across the technique namespaces', () => {
  it('every exported function of every namespace is a verb row or a named non-verb helper', () => {
    for (const [ns, exports] of Object.entries(NAMESPACES)) {
      const fns = Object.keys(exports).filter((k) => typeof exports[k] === 'function' && !isClass(exports[k]));
      const listed = [...Object.keys(ALL_ROWS[ns] ?? {}), ...(NOT_VERBS[ns] ?? [])];
      expect(
        fns.filter((f) => !listed.includes(f)),
        `${ns}: exported functions without a row`,
      ).to.deep.equal([]);
      expect(
        listed.filter((f) => !fns.includes(f)),
        `${ns}: rows for functions it does not export`,
      ).to.deep.equal([]);
    }
  });

  for (const [ns, rows] of Object.entries(ROWS)) {
    for (const [name, row] of Object.entries(rows)) {
      it(`${ns}.${name}: {model, report}, plain-JSON report, input unchanged, no leak, typed error`, async () => {
        const model = convNet(1);
        const xs = tf.randomUniform([16, 6, 6, 1], 0, 1, 'float32', 3);
        const ys = tf.tensor1d(
          Array.from({ length: 16 }, (_, i) => i % 3),
          'int32',
        );
        const data = { xs, ys };
        const before = model
          .getWeights()
          .map((w) => Buffer.from((w.dataSync() as Float32Array).buffer).toString('hex'));
        await row.run(model, data).then((r) => r.model.dispose()); // warm kernels and optimizers
        const start = tf.memory().numTensors;
        const result = await row.run(model, data);
        expect(Object.keys(result).sort()).to.deep.equal(['model', 'report']);
        expect(result.model).to.be.instanceOf(tf.LayersModel);
        expect(result.model).to.not.equal(model);
        expect(JSON.parse(JSON.stringify(result.report))).to.deep.equal(result.report);
        result.model.dispose();
        expect(tf.memory().numTensors, 'tensors after disposing the result').to.equal(start);
        expect(
          model.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer).toString('hex')),
        ).to.deep.equal(before);
        let err: unknown;
        try {
          await row.bad(model, data);
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(CompressionError);
        expect((err as Error).message).to.match(new RegExp(`^(${ns}\\.)?${name}: `));
        tf.dispose([xs, ys]);
        model.dispose();
      });
    }
  }

  const weightsHex = (m: tf.LayersModel) =>
    m.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer).toString('hex'));
  for (const [name, row] of Object.entries(EXPORTERS)) {
    it(`exporters.${name}: {${row.keys}, report}, plain-JSON report, input unchanged, no leak, typed error`, async () => {
      const model = convNet(1, !row.noBatchNorm);
      const artifacts = await modelToArtifacts(model);
      const before = weightsHex(model);
      const artifactsBefore = JSON.stringify({ ...artifacts, weightData: Buffer.from(artifacts.weightData) });
      const warm = await row.run(model, artifacts); // warm kernels
      if ('model' in warm) warm.model.dispose();
      const start = tf.memory().numTensors;
      const result = await row.run(model, artifacts);
      expect(Object.keys(result).sort()).to.deep.equal([row.keys, 'report'].sort());
      if ('bytes' in result) expect(result.bytes).to.be.instanceOf(Uint8Array).and.have.property('length').above(0);
      if ('artifacts' in result) expect(result.artifacts.weightData.byteLength).to.be.above(0);
      if ('model' in result) {
        expect(result.model).to.be.instanceOf(tf.LayersModel).and.not.equal(model);
        result.model.dispose();
      }
      expect(JSON.parse(JSON.stringify(result.report))).to.deep.equal(result.report);
      expect(tf.memory().numTensors, 'tensors after disposing the result').to.equal(start);
      expect(weightsHex(model)).to.deep.equal(before);
      expect(JSON.stringify({ ...artifacts, weightData: Buffer.from(artifacts.weightData) })).to.equal(artifactsBefore);
      let err: unknown;
      try {
        await row.bad(model, artifacts);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(CompressionError);
      expect((err as Error).message).to.match(new RegExp(`^(exporters\\.)?${name}: `));
      model.dispose();
    });
  }
});
