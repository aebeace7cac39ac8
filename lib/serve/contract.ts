// The serving contract: what a client of the predict API relies on. One float32 input and one
// float32 output, each with a fixed shape per example (the batch dimension excluded), and
// whether the output is logits (the server applies softmax) or probabilities. Every version
// served under one name keeps the contract of the first: a swap to a model with another
// contract is refused (409), so no client ever sees its valid requests start failing.
import * as tf from '@tensorflow/tfjs';
import { ShapeError, describe } from '../errors';

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
  /** 'logits': the server applies softmax; 'probabilities': the model already ends in softmax. */
  readonly outputKind: 'logits' | 'probabilities';
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

/** True when the model's last layer applies softmax (its outputs are probabilities). */
export function endsInSoftmax(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  if (!last) return false;
  const cfg = last.getConfig() as { activation?: unknown };
  return last.getClassName() === 'Softmax' || cfg.activation === 'softmax';
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
  return {
    input: { shape: fixedShape('layersModelContract', 'input shape', input.shape), dtype: 'float32' },
    output: { shape: fixedShape('layersModelContract', 'output shape', output.shape), dtype: 'float32' },
    outputKind: endsInSoftmax(model) ? 'probabilities' : 'logits',
  };
}

/** Why `next` cannot replace `current` (shapes or dtypes differ), or undefined when it can. */
export function contractMismatch(current: ServingContract, next: ServingContract): string | undefined {
  const diffs: string[] = [];
  for (const k of ['input', 'output'] as const) {
    const a = current[k];
    const b = next[k];
    if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      diffs.push(`${k} ${show(b)} where clients send ${show(a)}`);
    }
  }
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
