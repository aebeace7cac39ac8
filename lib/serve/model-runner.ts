// One loaded model version, runnable in the current thread: a TensorFlow.js layers model on the
// thread's tfjs backend, or an ONNX Runtime session. Loading checks the model against the serving
// contract and runs a warm-up batch whose outputs must be finite; whatever fails, everything
// loaded so far is disposed before the error leaves (a refused swap leaks nothing).
import * as tf from '@tensorflow/tfjs';
import type { InferenceSession } from 'onnxruntime-node';
import { CompressionError, DataError } from '../errors';
import { Rng } from '../core/rng';
import { loadModel } from '../data/model-io';
import { ortSession, runOrt, sessionInputShape } from '../export/onnx/runtime';
import {
  ServingContract,
  TensorContract,
  checkContract,
  exampleSize,
  imageLayout,
  layersModelContract,
} from './contract';
import { readOnnxFile } from './serving-manifest';
import type { VersionSource } from './registry';

/** How a runner loads its model. */
export interface RunnerOptions {
  /** ONNX Runtime intra-op threads per session. */
  readonly ortThreads: number;
  /** Largest model read from disk, in bytes (model.onnx, or model.json + weights). */
  readonly maxModelBytes: number;
  /** Examples in the warm-up batch. */
  readonly warmUpBatchSize: number;
  /** The contract being served: a model with another one is refused before its warm-up. */
  readonly expected?: ServingContract;
  /** Named in errors: 'startServer' for the first version, 'swap' (the default) for the next ones. */
  readonly caller?: string;
}

/** A loaded version. `run` answers probabilities (softmax applied to logits), row-major. */
export interface ModelRunner {
  readonly contract: ServingContract;
  run(values: Float32Array, count: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Softmax of each row of `x` (in place): the same arithmetic as tf.softmax, without tensors. */
function softmaxRows(x: Float32Array, classes: number): Float32Array {
  for (let r = 0; r < x.length; r += classes) {
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, x[r + j] as number);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += x[r + j] = Math.exp((x[r + j] as number) - max);
    for (let j = 0; j < classes; j++) x[r + j] = (x[r + j] as number) / sum;
  }
  return x;
}

function checkOutput(out: Float32Array, count: number, output: TensorContract, version: string): void {
  const want = count * exampleSize(output);
  if (out.length !== want) {
    throw new DataError(
      `modelRunner: ${want} output values for ${count} examples of version '${version}', got ${out.length}. The model does not match its own declared output shape.`,
    );
  }
}

/** Throws a DataError naming the first weight that holds NaN or Infinity (ReLU can hide them from the warm-up). */
function checkFiniteWeights(model: tf.LayersModel, source: VersionSource): void {
  for (const w of model.weights) {
    const values = w.read().dataSync();
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new DataError(
        `loadRunner: finite weights in version '${source.version}', got ${values[bad]} in ${w.name} at index ${bad}. ` +
          `Training diverged or the file is damaged: check the model before publishing it.`,
        source.dir,
      );
    }
  }
}

/**
 * The model's own contract with what the version's deploy.json adds: class names (one per
 * output), the image preprocessing (fitting the input's channels), and the output kind.
 */
function servingContract(base: ServingContract, source: VersionSource, fn: string): ServingContract {
  const d = source.deployment;
  if (!d) return base;
  const bad = (want: string, got: string): DataError =>
    new DataError(
      `${fn}: ${want} in the deploy.json of version '${source.version}', got ${got}. Fix deploy.json and publish the version again.`,
      source.dir,
    );
  const classes = exampleSize(base.output);
  if (d.classNames && (base.output.shape.length !== 1 || d.classNames.length !== classes))
    throw bad(`one class name per output of [${base.output.shape.join(', ')}]`, `${d.classNames.length} names`);
  const layout = imageLayout(base.input);
  const p = d.preprocessing;
  if (p && layout?.channels === 1 && (p.mean.length > 1 || p.std.length > 1 || p.channelOrder === 'bgr'))
    throw bad('a preprocessing for 1-channel images (one mean and std, RGB order)', `${p.preset} for a grey input`);
  return {
    ...base,
    outputKind: d.kind ?? base.outputKind,
    ...(d.classNames ? { classNames: d.classNames } : {}),
    ...(p ? { preprocessing: p } : {}),
  };
}

async function tfjsRunner(source: VersionSource, options: RunnerOptions): Promise<ModelRunner> {
  const fn = options.caller ?? 'swap';
  const model = await loadModel(source.dir, {
    maxModelJsonBytes: Math.min(options.maxModelBytes, 64 * 1024 * 1024),
    maxWeightBytes: options.maxModelBytes,
    caller: fn,
  });
  try {
    const contract = servingContract(layersModelContract(model), source, fn);
    if (options.expected) checkContract(fn, options.expected, contract, source.version);
    checkFiniteWeights(model, source);
    const shape = contract.input.shape;
    return {
      contract,
      run: async (values, count) => {
        const y = tf.tidy(
          () => model.predict(tf.tensor(values, [count, ...shape], 'float32'), { batchSize: count }) as tf.Tensor,
        );
        let out: Float32Array;
        try {
          out = (await y.data()) as Float32Array;
        } finally {
          y.dispose();
        }
        checkOutput(out, count, contract.output, source.version);
        return contract.outputKind === 'logits' ? softmaxRows(out, exampleSize(contract.output)) : out;
      },
      dispose: async () => {
        model.dispose();
      },
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

async function onnxRunner(source: VersionSource, options: RunnerOptions): Promise<ModelRunner> {
  const manifest = source.manifest;
  if (!manifest)
    throw new DataError(
      `modelRunner: a serving manifest for ONNX version '${source.version}', got none. Publish it with publishOnnx.`,
      source.dir,
    );
  const fn = options.caller ?? 'swap';
  const contract = servingContract(manifest.contract, source, fn);
  if (options.expected) checkContract(fn, options.expected, contract, source.version);
  const bytes = await readOnnxFile(source.dir, manifest, options.maxModelBytes);
  const session: InferenceSession = await ortSession(bytes, { threads: options.ortThreads });
  try {
    const declared = sessionInputShape(session);
    if (
      session.inputNames[0] !== manifest.inputName ||
      session.outputNames[0] !== manifest.outputName ||
      (declared && declared.join(',') !== contract.input.shape.join(','))
    ) {
      throw new DataError(
        `${fn}: an ONNX model as serving.json describes it (input ${manifest.inputName} [${contract.input.shape.join(', ')}]), ` +
          `got input ${session.inputNames[0]} [${declared?.join(', ') ?? '?'}]. Publish the version again.`,
        source.dir,
      );
    }
  } catch (e) {
    await session.release();
    throw e;
  }
  const shape = contract.input.shape;
  return {
    contract,
    run: async (values, count) => {
      const { data } = await runOrt(session, values, [count, ...shape]);
      const out = new Float32Array(data); // own the values: ORT's buffer belongs to the session
      checkOutput(out, count, contract.output, source.version);
      return contract.outputKind === 'logits' ? softmaxRows(out, exampleSize(contract.output)) : out;
    },
    dispose: () => session.release(),
  };
}

/** Deterministic warm-up inputs in [0, 1). */
export function warmUpBatch(contract: ServingContract, count: number): Float32Array {
  const rng = new Rng(12345);
  return Float32Array.from({ length: count * exampleSize(contract.input) }, () => rng.next());
}

/**
 * Loads `source`, checks it against `options.expected`, and runs a warm-up batch whose outputs
 * must all be finite. On any failure the model is disposed and a typed error thrown: a
 * ContractError (other shapes or dtypes), or a DataError (corrupt, too large, NaN outputs, or a
 * model the runtime cannot run).
 */
export async function loadRunner(source: VersionSource, options: RunnerOptions): Promise<ModelRunner> {
  let runner: ModelRunner | undefined;
  try {
    runner = await (source.format === 'onnx' ? onnxRunner(source, options) : tfjsRunner(source, options));
    const out = await runner.run(warmUpBatch(runner.contract, options.warmUpBatchSize), options.warmUpBatchSize);
    const bad = out.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new DataError(
        `loadRunner: finite outputs of version '${source.version}' on its warm-up batch, got ${out[bad]} at output ${bad}. ` +
          `The weights hold NaN or Infinity, or overflow: check the model before publishing it.`,
        source.dir,
      );
    }
    return runner;
  } catch (e) {
    await runner?.dispose();
    if (e instanceof CompressionError) throw e;
    throw new DataError(
      `loadRunner: version '${source.version}' loaded and run by the runtime, got "${(e as Error)?.message ?? String(e)}". ` +
        `The model files are damaged or use an operation the runtime lacks: publish the version again.`,
      source.dir,
    );
  }
}
