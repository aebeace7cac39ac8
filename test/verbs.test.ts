// The closed verb shape, across every namespace: every public model verb of prune, quantize,
// distill and auto runs on a small real conv net with real data and returns exactly
// {model, report}, a plain-JSON report, the input's weights unchanged byte for byte, no tensor
// leaked once the result is disposed, and a typed error naming the verb for bad options. The
// exporters follow the same rule with their own result shapes (lib/export/index.ts): {bytes, report}
// for one file, {artifacts, report} for TensorFlow.js artifacts, {model, report} for the
// inference-form transform. ONNX models in (lib/onnx) give {model, bytes, report}: the decoded
// file, its bytes, and the report; the input bytes are never modified. Every function of every
// one of the package's namespaces must be a verb row here or be named under what else it is
// (an analysis, a runtime, a builder...), so a new verb cannot be added without a row.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as prune from '../lib/prune';
import * as quantize from '../lib/quantize';
import * as distill from '../lib/distill';
import * as auto from '../lib/auto';
import * as onnxIn from '../lib/onnx';
import * as tfc from '../lib';
import * as exporters from '../lib/export';
import { modelToArtifacts } from '../lib/data/model-io';
import type { ModelArtifacts } from '../lib/data/model-files';
import { CompressionError } from '../lib/errors';
import { inspectOnnx } from '../lib/export';

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
      run: (m, d) => quantize.deepCompress(m, d, { sparsity: 0.5, bits: 3, fineTune: { epochs: 1, batchSize: 8 } }),
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
  auto: {
    search: {
      run: async (m, d) => {
        const split = auto.splitData(d, { heldOutFraction: 0.5, seed: 1 });
        try {
          return await auto.search(m, split, {
            target: 'ort',
            goal: 'size',
            maxDrop: 0.99,
            sparsities: [0.5],
            rankLayers: 1,
            calibrationCount: 8,
            batchSize: 8,
          });
        } finally {
          split.dispose();
        }
      },
      bad: (m, d) => auto.search(m, { search: d, heldOut: d }, { target: 'gpu' as never, maxDrop: 0.01 }),
    },
  },
};

/**
 * Exported functions that are not model verbs, by what they are: primitives on tensors or plain
 * data, analyses (a model in, a report out), runtimes, builders, searches, servers, charts.
 */
const NOT_VERBS: Record<string, Record<string, string[]>> = {
  prune: {
    primitives: ['magnitudeMask', 'pruningHooks', 'slimmingRegularizer'],
    analyses: ['sparsityReport', 'sizeReport', 'sensitivityScan'],
  },
  quantize: {
    primitives: ['chooseQParams', 'quantize', 'dequantize', 'fakeQuantize', 'sqnr'],
    analyses: ['planOf', 'quantizedSizeBytes'],
  },
  distill: { primitives: ['distillationLoss', 'hintLoss', 'teacherLogits'] },
  exporters: {
    runtimes: ['ortSession', 'runOrt', 'ortPredictLabels', 'tfliteInterpreter', 'runTflite', 'tflitePredictor'],
    analyses: ['inspectOnnx', 'checkOnnxTarget', 'inspectTflite'],
    readers: ['readDeepCompressed'],
  },
  auto: { 'data and recipes': ['splitData', 'autoRecipe', 'shipRecipe'] },
  onnx: {
    readers: ['read', 'feedsFromFiles'],
    analyses: ['profile', 'compareOutputs'],
    runtimes: ['ortFeedsRuntime'],
  },
  nas: {
    'spaces and genotypes': ['validateSpace', 'taskOf', 'sample', 'mutate', 'buildModel', 'paretoFront'],
    'searches (a space in, the steps out)': ['randomSearch', 'agingEvolution'],
    'latency predictors': ['latencyPredictor'],
  },
  profile: {
    analyses: ['profileModel', 'profileGraphModel', 'modelSizes', 'measureLatency'],
    views: ['graphSvg', 'profileHtml'],
  },
  bench: {
    runtimes: ['tfjsRuntime', 'ortRuntime', 'tfliteRuntime', 'functionRuntime', 'availableTfjsBackends'],
    harness: ['benchmark', 'speedups', 'loadTest'],
  },
  serve: {
    server: ['startServer'],
    'model store': ['publishForServing', 'publishModel', 'publishOnnx', 'publishArtifacts'],
    'model store reads': ['listVersions', 'latestVersion', 'loadVersion', 'compareVersions'],
  },
  monitor: {
    statistics: ['psi', 'klDivergence', 'buildReference', 'referenceFromModel', 'recommend'],
  },
  viz: {
    charts: ['lineChart', 'scatterChart', 'barChart', 'histogram', 'heatmap', 'imageGrid'],
    display: ['show', 'showTable', 'showMarkdown', 'showSvg', 'showPng', 'saveFigure'],
  },
  pipeline: { recipes: ['validateRecipe', 'readRecipeFile', 'runRecipe', 'planRecipe'] },
  exec: { jobs: ['defineJob', 'startBullMqWorker', 'createExecutor', 'withExecutor'] },
  jobs: { evaluators: ['executorEvaluator'] },
  cli: { 'command line': ['runCli'] },
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

type OnnxResult = { model: onnxIn.OnnxFile; bytes: Uint8Array; report: unknown };
interface OnnxRow {
  /** The verb on the model's bytes and feeds of its input. */
  readonly run: (bytes: Uint8Array, data: onnxIn.OnnxFeeds[]) => Promise<OnnxResult>;
  readonly bad: (bytes: Uint8Array, data: onnxIn.OnnxFeeds[]) => Promise<unknown>;
}
const ONNX: Record<string, OnnxRow> = {
  quantize: {
    run: (b, d) => onnxIn.quantize(b, d, { mode: 'static' }),
    bad: (b, d) => onnxIn.quantize(b, d, { mode: 'int3' as never }),
  },
  optimize: { run: (b) => onnxIn.optimize(b), bad: () => onnxIn.optimize(42 as never) },
  fixShapes: {
    run: (b) => onnxIn.fixShapes(b, { inputs: { [inspectOnnx(b).inputName]: ['N', 6, 6, 1] } }),
    bad: (b) => onnxIn.fixShapes(b, { inputs: { nope: [1] } }),
  },
  upgradeOpset: { run: (b) => onnxIn.upgradeOpset(b), bad: (b) => onnxIn.upgradeOpset(b, { opset: 99 }) },
};

/** The package's namespaces, read from the package itself (a new namespace needs rows or a NOT_VERBS entry). */
const NAMESPACES = Object.fromEntries(
  Object.entries(tfc as Record<string, unknown>).filter(
    ([, v]) => v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).some((f) => typeof f === 'function'),
  ),
) as Record<string, Record<string, unknown>>;
const ALL_ROWS: Record<string, Record<string, unknown>> = { ...ROWS, exporters: EXPORTERS, onnx: ONNX };
const isClass = (f: unknown) => typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));

describe('verbs: one closed shape across the technique namespaces', () => {
  it('every exported function of every namespace is a verb row or a named non-verb helper', () => {
    expect(Object.keys(NAMESPACES)).to.include.members(['prune', 'quantize', 'distill', 'exporters', 'nas', 'onnx']);
    expect(Object.keys(NAMESPACES).sort()).to.deep.equal(Object.keys({ ...ROWS, ...NOT_VERBS }).sort());
    for (const [ns, exports] of Object.entries(NAMESPACES)) {
      const fns = Object.keys(exports).filter((k) => typeof exports[k] === 'function' && !isClass(exports[k]));
      const listed = [...Object.keys(ALL_ROWS[ns] ?? {}), ...Object.values(NOT_VERBS[ns] ?? {}).flat()];
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

  for (const [name, row] of Object.entries(ONNX)) {
    it(`onnx.${name}: {model, bytes, report}, plain-JSON report, input bytes unchanged, typed error`, async () => {
      const model = convNet(1, false);
      const bytes = exporters.toOnnx(model).bytes;
      model.dispose();
      const input = inspectOnnx(bytes).inputName;
      const data = [0, 1].map((i) => ({
        [input]: { data: Float32Array.from({ length: 8 * 36 }, (_, j) => ((j * 7 + i) % 11) / 11), dims: [8, 6, 6, 1] },
      }));
      const copy = bytes.slice();
      const result = await row.run(bytes, data);
      expect(Object.keys(result).sort()).to.deep.equal(['bytes', 'model', 'report']);
      expect(result.bytes).to.be.instanceOf(Uint8Array).and.not.equal(bytes);
      expect(result.model.proto.graph?.node?.length).to.be.above(0);
      expect(JSON.parse(JSON.stringify(result.report))).to.deep.equal(result.report);
      expect(Buffer.from(bytes).equals(Buffer.from(copy)), 'input bytes modified').to.equal(true);
      const session = await exporters.ortSession(result.bytes);
      await session.release();
      let err: unknown;
      try {
        await row.bad(bytes, data);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(CompressionError);
      expect((err as Error).message).to.match(new RegExp(`^onnx\\.${name}: `));
    });
  }
});
