// The serving contract: what a client of the predict API relies on. One float32 input and one
// float32 output, each with a fixed shape per example (the batch dimension excluded), and
// whether the output is logits (the server applies softmax) or probabilities. Every version
// served under one name keeps the contract of the first: a swap to a model with another
// contract is refused (409), so no client ever sees its valid requests start failing.
import * as tf from '@tensorflow/tfjs';
import { ShapeError, describe } from '../errors';
import type { ResolvedPreprocessing } from '../data/preprocess';
import { OutputKind, outputKind } from '../train/model-output';

/** A model whose contract differs from the one being served (the server answers 409 Conflict). */
export class ContractError extends ShapeError {}

/** The dtypes the JSON predict API can carry. */
export type ServingDtype = 'float32';

/** One tensor of the contract: its shape per example (no batch dimension) and dtype. */
export interface TensorContract {
  readonly shape: readonly number[];
  readonly dtype: ServingDtype;
}

/** What a served model takes and gives. */
export interface ServingContract {
  readonly input: TensorContract;
  readonly output: TensorContract;
  /** 'logits': the server applies softmax; 'probabilities': the model already ends in softmax or sigmoid (train's outputKind). */
  readonly outputKind: OutputKind;
  /** Name of class i (from the version's deploy.json), when known: answers name the classes. */
  readonly classNames?: readonly string[];
  /** How 8-bit pixels of an uploaded image become the input (from deploy.json); 'unit' ([0, 1]) when absent. */
  readonly preprocessing?: ResolvedPreprocessing;
}

/** Elements of one example of `t` (product of its shape). */
export function exampleSize(t: TensorContract): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

const show = (t: TensorContract): string => `${t.dtype}[${t.shape.join(', ')}]`;

/**
 * Per-example shape of a declared tensor shape (batch first). Free dimensions other than the
 * batch cannot be validated per request, so they are refused.
 */
export function fixedShape(fn: string, what: string, shape: readonly (number | null | string | undefined)[]): number[] {
  const rest = shape.slice(1);
  if (shape.length < 2 || !rest.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new ShapeError(
      `${fn}: a ${what} of fixed size per example (batch first, e.g. [null, 784]), got ${describe([...shape])}. ` +
        `Give the model a fixed input size before serving it.`,
    );
  }
  return rest as number[];
}

/**
 * The per-example output shape of a classifier: one score per class ([classes], or [1, classes]
 * and the like). The server answers a label and class probabilities, so a map, a set of boxes or a
 * sequence (two or more dimensions above 1) is refused rather than answered with a softmax over it.
 */
export function classifierOutputShape(fn: string, shape: readonly number[]): readonly number[] {
  if (shape.filter((d) => d > 1).length > 1)
    throw new ShapeError(
      `${fn}: a classifier's output, one score per class per example (e.g. [null, 1000]), got [null, ${shape.join(', ')}]. ` +
        'The server answers class labels; run models that output maps, boxes or sequences with your own ONNX Runtime or tfjs session.',
    );
  return shape;
}

/**
 * The contract of a classifier with one float32 input and output, from their shapes without the
 * batch dimension (each dimension fixed; the output one score per class).
 */
export function classifierContract(
  fn: string,
  inputShape: readonly (number | null | string | undefined)[],
  outputShape: readonly (number | null | string | undefined)[],
  outputKind: ServingContract['outputKind'],
): ServingContract {
  return {
    input: { shape: fixedShape(fn, 'input shape', inputShape), dtype: 'float32' },
    output: { shape: classifierOutputShape(fn, fixedShape(fn, 'output shape', outputShape)), dtype: 'float32' },
    outputKind,
  };
}

/** The contract of a single-input, single-output layers model. */
export function layersModelContract(model: tf.LayersModel): ServingContract {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ShapeError(
      `layersModelContract: a model with one input and one output, got ${model.inputs.length} and ${model.outputs.length}. ` +
        `Serve each head as its own model.`,
    );
  }
  const input = model.inputs[0] as tf.SymbolicTensor;
  const output = model.outputs[0] as tf.SymbolicTensor;
  for (const t of [input, output]) {
    if (t.dtype !== 'float32')
      throw new ShapeError(`layersModelContract: float32 inputs and outputs, got ${t.dtype}. Cast inside the model.`);
  }
  return classifierContract('layersModelContract', input.shape, output.shape, outputKind(model));
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
/** The numbers of a preprocessing in a fixed order (the preset's name is only a label). */
const numbers = (p: ResolvedPreprocessing | undefined): unknown =>
  p && [p.scale, [...p.mean], [...p.std], p.channelOrder];

/**
 * Why `next` cannot replace `current` (shapes, dtypes, class names or image preprocessing differ),
 * or undefined when it can. Class names and preprocessing are part of the contract: a client that
 * reads class names, or uploads images the server preprocesses, would get wrong answers silently.
 */
export function contractMismatch(current: ServingContract, next: ServingContract): string | undefined {
  const diffs: string[] = [];
  for (const k of ['input', 'output'] as const) {
    const a = current[k];
    const b = next[k];
    if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      diffs.push(`${k} ${show(b)} where clients send ${show(a)}`);
    }
  }
  if (!same(current.classNames, next.classNames)) diffs.push('other class names');
  if (!same(numbers(current.preprocessing), numbers(next.preprocessing))) diffs.push('another image preprocessing');
  return diffs.length ? diffs.join('; ') : undefined;
}

/** Throws a ContractError (the server answers 409) when `next` breaks `current`. */
export function checkContract(fn: string, current: ServingContract, next: ServingContract, version: string): void {
  const why = contractMismatch(current, next);
  if (why) {
    throw new ContractError(
      `${fn}: version '${version}' with the serving contract input ${show(current.input)} -> output ${show(current.output)}, ` +
        `got ${why}. Publish the model under a new name, or restart the server on it.`,
    );
  }
}

/** How an image fills a model input: height, width, 1 or 3 channels, channels last (NHWC) or first (NCHW). */
export interface ImageLayout {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  readonly channelsFirst: boolean;
}

/**
 * The image layout of a per-example input shape, or undefined when it does not take images:
 * [h, w, 1 | 3] (TensorFlow.js, Keras, and this library's ONNX exports) or [1 | 3, h, w] (ONNX
 * models exported from PyTorch).
 * @example imageLayout({shape: [224, 224, 3], dtype: 'float32'}) // {height: 224, width: 224, channels: 3, channelsFirst: false}
 */
export function imageLayout(input: TensorContract): ImageLayout | undefined {
  const s = input.shape;
  if (s.length !== 3) return undefined;
  const [a, b, c] = s as [number, number, number];
  if (c === 1 || c === 3) return { height: a, width: b, channels: c, channelsFirst: false };
  if (a === 1 || a === 3) return { height: b, width: c, channels: a, channelsFirst: true };
  return undefined;
}
