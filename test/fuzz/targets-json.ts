// Fuzz targets whose input is a parsed JSON document: recipes, deploy.json, preprocessing
// options, HTTP predict bodies (from their bytes) and job payloads (as a queue holds them).
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { validateRecipe } from '../../lib/pipeline/recipe';
import { validateDeployment } from '../../lib/data/deployment';
import { preprocessPixels, resolvePreprocessing } from '../../lib/data/preprocess';
import { decodePredict } from '../../lib/serve/validate';
import { RequestError } from '../../lib/serve/request-error';
import { parseJobPayload } from '../../lib/exec/payload';
import { blobRefs, checkBlobBytes, decodeBlobs, encodeBlobs } from '../../lib/exec/blobs';
import { deepArray, jsonInputs, mutatedJson, rawBytes } from './mutate';
import { FuzzTarget, showValue } from './target';

const VALID_RECIPE = {
  version: 1,
  name: 'fuzz',
  model: 'model',
  seed: 0,
  data: {
    calibration: { path: 'calibration', limit: 32, imageShape: [28, 28, 1] },
    evaluation: { path: 'x.npy', labels: 'y.npy', scale: 1 / 255 },
    training: { path: 'train' },
  },
  stages: [
    {
      kind: 'prune',
      method: 'magnitude',
      sparsity: 0.5,
      layers: { dense_1: 0.3 },
      skip: ['dense_2*'],
      fineTune: { epochs: 1, batchSize: 32, learningRate: 0.001 },
    },
    {
      kind: 'quantize',
      mode: 'static',
      weightBits: 8,
      granularity: 'per-channel',
      calibration: { count: 64, observer: 'percentile' },
      from: 'previous',
      name: 'int8',
    },
    { kind: 'export', to: 'onnx' },
    { kind: 'bench', runtimes: ['ort', 'tfjs-wasm'], batchSizes: [1, 8], threads: [1], rounds: 5 },
  ],
  checks: { maxAccuracyDrop: 0.01 },
};

const recipe: FuzzTarget = {
  name: 'recipe',
  parser: 'lib/pipeline/recipe.ts validateRecipe',
  setup() {
    validateRecipe(JSON.parse(JSON.stringify(VALID_RECIPE))); // the mutated base must be valid
    return { arbitrary: jsonInputs(VALID_RECIPE), run: (v) => validateRecipe(v), save: showValue };
  },
};

const deployment: FuzzTarget = {
  name: 'deploy-json',
  parser: 'lib/data/deployment.ts validateDeployment',
  setup() {
    const valid = {
      format: 'tfjs-compress-deployment',
      version: 1,
      recommended: '03-export-onnx/model.onnx',
      reason: 'the smallest deployable artifact within the accuracy check',
      artifacts: [
        {
          stage: '02-quantize',
          file: '02-quantize/model.json',
          format: 'plan',
          runtime: 'none',
          deployable: false,
          precision: 'int8',
          sizeBytes: 10,
        },
        {
          stage: '03-export-onnx',
          file: '03-export-onnx/model.onnx',
          format: 'onnx',
          runtime: 'ort',
          deployable: true,
          precision: 'int8',
          sizeBytes: 5,
          accuracy: 0.9,
          floatLayers: ['dense_3'],
          note: 'n',
        },
      ],
      input: { shape: [224, 224, 3], dtype: 'float32', preprocessing: resolvePreprocessing({ preset: 'caffe' }) },
      output: { classNames: ['cat', 'dog'], kind: 'probabilities' },
    };
    validateDeployment(JSON.parse(JSON.stringify(valid)));
    return { arbitrary: jsonInputs(valid), run: (v) => validateDeployment(v), save: showValue };
  },
};

const preprocess: FuzzTarget = {
  name: 'preprocess',
  parser: 'lib/data/preprocess.ts resolvePreprocessing (+ preprocessPixels on the result)',
  setup() {
    const valids = [
      { preset: 'caffe' },
      { preset: 'mobilenet', channelOrder: 'rgb' },
      { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channelOrder: 'bgr' },
    ];
    const pixels = tf.tensor4d([0, 255, 128, 1, 254, 0, 255, 255, 255, 0, 0, 0], [1, 2, 2, 3]);
    return {
      arbitrary: fc.oneof(
        fc.constantFrom(...valids).chain((v) => mutatedJson(v)),
        jsonInputs(valids[2]),
      ),
      run(v) {
        const resolved = resolvePreprocessing(v as never);
        const out = preprocessPixels(pixels, resolved);
        try {
          return { resolved, values: Array.from(out.dataSync()) };
        } finally {
          out.dispose();
        }
      },
      check: (r) =>
        (r as { values: number[] }).values.every(Number.isFinite)
          ? undefined
          : 'accepted options that turn pixels 0..255 into non-finite inputs',
      save: showValue,
    };
  },
};

const predictBody: FuzzTarget = {
  name: 'predict-body',
  parser: 'lib/serve/validate.ts decodePredict (parseJson + parsePredictBody)',
  typed: (e) => e instanceof RequestError && e.status >= 400 && e.status < 500,
  setup() {
    const valids = [
      { input: [0.1, 0.2, 0.3, 0.4] },
      {
        input: [
          [0.1, 0.2],
          [0.3, 0.4],
        ],
      },
      {
        inputs: [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
        dtype: 'float32',
      },
    ];
    const text = (v: unknown): string => {
      try {
        return JSON.stringify(v) ?? String(v);
      } catch {
        return `{"input":${JSON.stringify(deepArray(50)).slice(0, 200)}`;
      }
    };
    const bodies = fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .constantFrom(...valids)
          .chain((v) => mutatedJson(v))
          .map(text),
      },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 1000, max: 300_000 }).map((n) => `{"input":${'['.repeat(n)}${']'.repeat(n)}}`),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(text) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    );
    return {
      arbitrary: fc.oneof(
        { weight: 9, arbitrary: bodies.map((t) => new Uint8Array(Buffer.from(t, 'utf8'))) },
        { weight: 1, arbitrary: rawBytes(undefined, 512) },
      ),
      run: (b) => decodePredict(b as Uint8Array, [2, 2], { maxBatch: 8 }),
      save: (b) => b as Uint8Array,
    };
  },
};

const jobPayload: FuzzTarget = {
  name: 'job-payload',
  parser: 'lib/exec/payload.ts parseJobPayload + lib/exec/blobs.ts (a job as a queue holds it)',
  setup() {
    const args = {
      seed: 1,
      pixels: Uint8Array.from({ length: 16 }, (_, i) => i),
      weights: new Float32Array([0.5, -1, 2, 3]),
      labels: new Int32Array([1, 2]),
      nested: { list: [1, 'a', null, { f: new Float64Array([1e-3]) }] },
    };
    const { value, blobs } = encodeBlobs(args);
    const valid = { name: 'nas.candidate', args: value };
    parseJobPayload(JSON.parse(JSON.stringify(valid)), 'queued', 'fuzz');
    return {
      arbitrary: jsonInputs(valid),
      run(data) {
        const p = parseJobPayload(data, 'queued', 'fuzz');
        for (const ref of blobRefs(p.args, 'fuzz')) {
          const bytes = blobs.get(ref.$blob);
          if (bytes) checkBlobBytes(ref, bytes, 'fuzz');
        }
        return decodeBlobs(p.args, blobs, 'fuzz');
      },
      save: showValue,
    };
  },
};

export const JSON_TARGETS: readonly FuzzTarget[] = [recipe, deployment, preprocess, predictBody, jobPayload];
