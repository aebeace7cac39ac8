// Running exported .tflite files in Node with tfjs-tflite-node's interpreter (the TFLite 2.9 C
// library it ships, through the N-API binding its install script builds; an optional package of
// tfjs-compress). Its native binding is loaded directly, and lazily: the package's JavaScript
// entry would load a second copy of tfjs-core (it pins another version), and importing the
// library must not load native code.
// The interpreter's shapes are the file's (no resizing): export with the batch size you run.
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../../errors';
import { resolveOptional } from '../../core/optional-package';
import { TfliteModel } from './to-tflite';

/** What the binding's tensors expose. */
interface NativeTensor {
  readonly dataType: string;
  /** Comma-separated dimensions. */
  readonly shape: string;
  data(): Float32Array | Int8Array | Uint8Array | Int32Array;
}
interface NativeInterpreter {
  getInputs(): NativeTensor[];
  getOutputs(): NativeTensor[];
  infer(): void;
}
type NativeInterpreterClass = new (model: ArrayBuffer, options: { threads?: number }) => NativeInterpreter;

let native: NativeInterpreterClass | undefined;

/** The binding's Interpreter class; MissingPackageError / ConfigError with the fix when it cannot load. */
function interpreterClass(): NativeInterpreterClass {
  if (native) return native;
  const root = path.dirname(resolveOptional('tfjs-tflite-node', 'tfliteInterpreter', '/package.json'));
  try {
    native = (
      require(path.join(root, 'build', 'Release', 'node_tflite_binding.node')) as {
        Interpreter: NativeInterpreterClass;
      }
    ).Interpreter;
  } catch (e) {
    throw new ConfigError(
      `tfliteInterpreter: tfjs-tflite-node's native binding, got "${(e as Error).message.split('\n')[0]}". ` +
        `Its install script builds it with node-gyp (g++, make, python3): install those, allow the script (npm install-scripts approve tfjs-tflite-node) ` +
        `and run npm rebuild tfjs-tflite-node.`,
    );
  }
  return native;
}

/** Options of {@link tfliteInterpreter}. */
export interface TfliteInterpreterOptions {
  /** Interpreter threads (default 1: the figure of one core). */
  readonly threads?: number;
}

/** A loaded model: float32 in, float32 out, with the file's fixed shapes. */
export interface TfliteInterpreter {
  /** Input and output shapes, batch first. */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly threads: number;
  /** Runs one batch of row-major float32 inputs; returns a copy of the output. */
  run(x: Float32Array): Float32Array;
}

const dims = (t: NativeTensor): number[] =>
  t.shape
    .split(',')
    .filter((s) => s.length > 0)
    .map(Number);

/**
 * Loads `model` (a TfliteModel or .tflite bytes) into a TFLite interpreter. The interpreter's
 * native memory is freed when it is garbage-collected (the binding has no explicit release).
 * @example tfliteInterpreter(toTflite(simpleNet({seed: 1}))).run(new Float32Array(784))
 */
export function tfliteInterpreter(
  model: TfliteModel | Uint8Array,
  options: TfliteInterpreterOptions = {},
): TfliteInterpreter {
  const threads = options.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1))
    throw new ConfigError(`tfliteInterpreter: threads a positive integer, got ${describe(threads)}. Use 1.`);
  const bytes = model instanceof Uint8Array ? model : model.bytes;
  const Interpreter = interpreterClass();
  let interp: NativeInterpreter;
  try {
    interp = new Interpreter(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, {
      threads,
    });
  } catch (e) {
    throw new DataError(
      `tfliteInterpreter: a .tflite model TFLite accepts, got "${(e as Error).message.trim()}". Re-export the model; report the layer if it persists.`,
    );
  }
  const [input] = interp.getInputs();
  const [output] = interp.getOutputs();
  if (!input || !output || input.dataType !== 'float32' || output.dataType !== 'float32') {
    throw new DataError(
      `tfliteInterpreter: one float32 input and output, got ${input?.dataType ?? 'none'} and ${output?.dataType ?? 'none'}. Export with toTflite.`,
    );
  }
  const inputShape = dims(input);
  const outputShape = dims(output);
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  return {
    inputShape,
    outputShape,
    threads,
    run(x: Float32Array): Float32Array {
      if (x.length !== inputSize) {
        throw new ConfigError(
          `tfliteInterpreter: ${inputSize} input values (shape [${inputShape.join(', ')}]), got ${x.length}. ` +
            `Pass one batch of the exported size (export with batchSize to change it).`,
        );
      }
      (input.data() as Float32Array).set(x);
      interp.infer();
      return Float32Array.from(output.data() as Float32Array);
    },
  };
}

/** Runs `x` ([n, ...inputShape] row-major) through the interpreter batch by batch; pads the last batch. */
export function runTflite(interp: TfliteInterpreter, x: Float32Array): Float32Array {
  const batch = interp.inputShape[0] as number;
  const inSize = interp.inputShape.slice(1).reduce((a, b) => a * b, 1);
  const outSize = interp.outputShape.slice(1).reduce((a, b) => a * b, 1);
  if (x.length % inSize !== 0)
    throw new ConfigError(`runTflite: a multiple of ${inSize} values, got ${x.length}. Pass whole examples.`);
  const n = x.length / inSize;
  const out = new Float32Array(n * outSize);
  const buf = new Float32Array(batch * inSize);
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    buf.fill(0);
    buf.set(x.subarray(i * inSize, (i + m) * inSize));
    const y = interp.run(buf);
    out.set(y.subarray(0, m * outSize), i * outSize);
  }
  return out;
}

/**
 * The interpreter as a tfjs predictor function (x -> output tensor), for evaluate / predictLabels.
 * The caller owns the returned tensor; `x` is borrowed.
 * @example await predictLabels(tflitePredictor(tfliteInterpreter(toTflite(m, {batchSize: 100}))), mnist.test, {inputShape: [784]})
 */
export function tflitePredictor(interp: TfliteInterpreter): (x: tf.Tensor) => tf.Tensor {
  return (x: tf.Tensor) => {
    const out = runTflite(interp, x.dataSync() as Float32Array);
    return tf.tensor(out, [x.shape[0] as number, ...interp.outputShape.slice(1)]);
  };
}
