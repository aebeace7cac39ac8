// Runtimes the benchmark harness can time, behind one small interface: a tfjs backend running a
// layers model (wasm, cpu, and tensorflow when the user has tfjs-node), ONNX Runtime running an
// exported model (fp32 or INT8, with a thread count), TFLite running the model's .tflite export
// (tfjs-tflite-node), or any function (e.g. prune's SparseMlp).
// Each knows the shape of one example, so the harness feeds any model its own input shape.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, describe } from '../errors';
import { hasTfjsNode } from '../core/backend';
import type { InferenceSession } from 'onnxruntime-node';
import type { OnnxModel } from '../export/onnx/to-onnx';
import { inspectOnnx } from '../export/onnx/inspect';
import { onnxRuntime, ortSession } from '../export/onnx/runtime';
import { QuantPlan, planOf } from '../quantize/plan';
import { toTflite } from '../export/tflite/to-tflite';
import { TfliteInterpreter, tfliteInterpreter } from '../export/tflite/runtime';
import { valuesOf } from '../core/values';

/** Something that runs a batch of row-major float32 inputs to completion. */
export interface BenchRuntime {
  /** The runtime, e.g. 'tfjs-wasm', 'ort-int8', 'sparse-csr'. */
  readonly name: string;
  /** The model or variant it runs, labelling its rows (default: the harness's `model` option). */
  readonly model?: string;
  /** Threads used (1 unless the runtime says). */
  readonly threads: number;
  /** Shape of one example, batch dimension excluded (the model's own input shape). */
  readonly inputShape: readonly number[];
  /** Called before each round of this runtime's timings (e.g. switch the tfjs backend). */
  activate?(): Promise<void>;
  /** Runs `batch` examples of `x` and returns once the output is read back. */
  run(x: Float32Array, batch: number): unknown | Promise<unknown>;
  /** Frees what the runtime holds (never the borrowed model). */
  dispose?(): unknown | Promise<unknown>;
}

/** What every runtime factory takes: the label of its rows. */
export interface RuntimeOptions {
  /** The model or variant, e.g. 'simplenet-int8'. */
  readonly model?: string;
}

/** The tfjs backends available in this process: wasm and cpu, and tensorflow when tfjs-node is installed. */
export function availableTfjsBackends(): string[] {
  const out = ['wasm', 'cpu'];
  if (hasTfjsNode()) out.push('tensorflow');
  return out.filter((b) => b === 'tensorflow' || tf.engine().registryFactory[b] !== undefined);
}

function checkShape(fn: string, shape: readonly (number | null)[]): number[] {
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && (d as number) > 0)) {
    throw new ShapeError(
      `${fn}: an input shape of positive integers (batch excluded), got ${describe(shape)}. Pass inputShape for a model with free dimensions.`,
    );
  }
  return shape as number[];
}

/**
 * A tfjs layers model (borrowed) on one backend, fed inputs of the model's own input shape.
 * @example tfjsRuntime(model, 'wasm').run(new Float32Array(784), 1)
 */
export function tfjsRuntime(
  net: tf.LayersModel,
  backend: string,
  options: RuntimeOptions & { readonly inputShape?: readonly number[] } = {},
): BenchRuntime {
  const inputShape = checkShape('tfjsRuntime', options.inputShape ?? (net.inputs[0]?.shape ?? []).slice(1));
  const size = inputShape.reduce((a, b) => a * b, 1);
  let cached: { data: Float32Array; x: tf.Tensor } | undefined;
  return {
    name: `tfjs-${backend}`,
    ...(options.model !== undefined ? { model: options.model } : {}),
    threads: 1,
    inputShape,
    async activate() {
      if (backend === 'tensorflow') {
        if (!hasTfjsNode())
          throw new ConfigError(
            `tfjsRuntime: backend 'tensorflow' needs @tensorflow/tfjs-node, got it not installed. Drop it or install tfjs-node yourself.`,
          );

        require('@tensorflow/tfjs-node'); // registers the backend (the user installed it; never a dependency)
      }
      if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) {
        throw new ConfigError(
          `tfjsRuntime: backend '${backend}' to be available, got a failure from tf.setBackend. Call initBackend or drop it.`,
        );
      }
      cached?.x.dispose();
      cached = undefined;
    },
    run(x: Float32Array, batch: number) {
      if (x.length !== batch * size)
        throw new ConfigError(
          `tfjsRuntime: ${batch} x ${size} inputs, got ${x.length} values. Pass row-major inputs of the model's shape.`,
        );
      if (!cached || cached.data !== x) {
        cached?.x.dispose();
        cached = { data: x, x: tf.tensor(x, [batch, ...inputShape], 'float32') }; // uploaded once per input, outside the steady state
      }
      const input = cached.x;
      return valuesOf(() => net.predict(input, { batchSize: input.shape[0] }) as tf.Tensor);
    },
    dispose() {
      cached?.x.dispose();
      cached = undefined;
    },
  };
}

/** Options for {@link ortRuntime}. */
export interface OrtRuntimeOptions extends RuntimeOptions {
  /** Runtime name, e.g. 'ort-fp32' or 'ort-int8'. Default 'ort'. */
  readonly name?: string;
  /** Intra-op threads. Default 1. */
  readonly threads?: number;
  /** Input shape without the batch dimension; default the model's (as exported, NHWC for images). */
  readonly inputShape?: readonly number[];
}

/**
 * ONNX Runtime (onnxruntime-node, CPU) over an exported model (or its bytes); the session (from
 * exporters' `ortSession`) is created on the first activate and released on dispose.
 * @example ortRuntime(toOnnx(model), {name: 'ort-fp32'})
 */
export function ortRuntime(source: OnnxModel | Uint8Array, options: OrtRuntimeOptions = {}): BenchRuntime {
  const threads = options.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1))
    throw new ConfigError(`ortRuntime: threads a positive integer, got ${describe(threads)}. Use 1 or the core count.`);
  const bytes = source instanceof Uint8Array ? source : source.bytes;
  const inputShape = checkShape(
    'ortRuntime',
    options.inputShape ?? (source instanceof Uint8Array ? inspectOnnx(bytes).inputShape : source.report.inputShape),
  );
  let session: InferenceSession | undefined;
  return {
    name: options.name ?? 'ort',
    ...(options.model !== undefined ? { model: options.model } : {}),
    threads,
    inputShape,
    async activate() {
      session ??= await ortSession(bytes, { threads });
    },
    async run(x: Float32Array, batch: number) {
      if (!session)
        throw new ConfigError(`ortRuntime: an activated runtime, got none. Call activate() first (the harness does).`);
      const feeds = {
        [session.inputNames[0] as string]: new (onnxRuntime().Tensor)('float32', x, [batch, ...inputShape]),
      };
      const out = await session.run(feeds);
      return out[session.outputNames[0] as string]?.data;
    },
    async dispose() {
      await session?.release();
      session = undefined;
    },
  };
}

/** Options for {@link functionRuntime}. */
export interface FunctionRuntimeOptions extends RuntimeOptions {
  /** Shape of one example the function takes (batch excluded), e.g. [mlp.inputSize]. */
  readonly inputShape: readonly number[];
  /** Threads the function uses. Default 1. */
  readonly threads?: number;
}

/**
 * Any synchronous or async function of (inputs, batch) as a runtime, e.g. prune's SparseMlp:
 * `functionRuntime('sparse-csr', (x, n) => mlp.predict(x, n), {inputShape: [mlp.inputSize]})`.
 */
export function functionRuntime(
  name: string,
  fn: (x: Float32Array, batch: number) => unknown,
  options: FunctionRuntimeOptions,
): BenchRuntime {
  const inputShape = checkShape('functionRuntime', options?.inputShape ?? []);
  return {
    name,
    ...(options.model !== undefined ? { model: options.model } : {}),
    threads: options.threads ?? 1,
    inputShape,
    run: fn,
  };
}

/** Options for {@link tfliteRuntime}. */
export interface TfliteRuntimeOptions extends RuntimeOptions {
  /** Runtime name. Default 'tflite-fp32', or 'tflite-int8' for a statically quantized model. */
  readonly name?: string;
  /** A static quantization plan for a float model (default the model's own, planOf): the full-integer INT8 export. */
  readonly plan?: QuantPlan;
  /** Interpreter threads. Default 1. */
  readonly threads?: number;
}

/**
 * TFLite (tfjs-tflite-node's interpreter) running `net`'s .tflite export. TFLite shapes are fixed
 * here, so the model is exported once per batch size, on the first (untimed warm-up) run at it.
 * @example tfliteRuntime((await quantize.postTraining(m, calibration, {mode: 'static'})).model, {threads: 2}) // 'tflite-int8'
 */
export function tfliteRuntime(net: tf.LayersModel, options: TfliteRuntimeOptions = {}): BenchRuntime {
  const threads = options.threads ?? 1;
  const plan = options.plan ?? planOf(net);
  if (!(Number.isInteger(threads) && threads >= 1))
    throw new ConfigError(
      `tfliteRuntime: threads a positive integer, got ${describe(threads)}. Use 1 or the core count.`,
    );
  const inputShape = checkShape('tfliteRuntime', (net.inputs[0]?.shape ?? []).slice(1));
  let interpreters = new Map<number, TfliteInterpreter>();
  const interpreterAt = (batch: number): TfliteInterpreter => {
    let it = interpreters.get(batch);
    if (!it) {
      it = tfliteInterpreter(toTflite(net, { batchSize: batch, ...(plan ? { plan } : {}) }), { threads });
      interpreters.set(batch, it);
    }
    return it;
  };
  return {
    ...functionRuntime(
      options.name ?? (plan ? 'tflite-int8' : 'tflite-fp32'),
      (x, batch) => interpreterAt(batch).run(x),
      {
        inputShape,
        threads,
        ...(options.model !== undefined ? { model: options.model } : {}),
      },
    ),
    dispose() {
      interpreters = new Map(); // the binding frees each interpreter when it is garbage-collected
    },
  };
}
