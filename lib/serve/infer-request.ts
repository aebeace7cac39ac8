// The Open Inference Protocol's (KServe v2, Triton) inference request, validated as strictly as
// the predict API: one input tensor named `input`, datatype FP32, shape [batch, ...the model's
// input shape], its data flat (row-major) or nested to that shape, every number finite in float32;
// at most one requested output, `probabilities`, optionally with Triton's classification
// parameter (the top k classes as "probability:index:name" strings). The binary-data extension is
// refused with a message that says so. Nothing recurses deeper than the declared shape.
import { describe } from '../errors';
import { V2_OUTPUT } from './answer';
import { RequestError } from './request-error';
import { PredictInput, ValidationLimits, writeTensor } from './validate';

/** The Open Inference Protocol's name of this server's one input tensor. */
export const V2_INPUT = 'input';
/** Most classes one classification output may list per example. */
export const MAX_CLASSIFICATION = 100;

const FN = 'infer';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function refuse(what: string, got: unknown, fix: string): never {
  throw new RequestError(`${FN}: ${what}, got ${describe(got)}. ${fix}`);
}

/** Throws when `parameters` asks for the binary tensor extension, which this server does not speak. */
function noBinary(where: string, parameters: unknown): Record<string, unknown> {
  if (parameters === undefined) return {};
  if (!isObject(parameters)) refuse(`${where}.parameters an object`, parameters, 'Send {"key": value} pairs.');
  for (const k of ['binary_data', 'binary_data_output', 'binary_data_size']) {
    if (own(parameters, k) && parameters[k] !== false)
      refuse(
        `${where}.parameters without "${k}" (the binary tensor extension)`,
        parameters[k],
        'Send the data as JSON numbers.',
      );
  }
  return parameters;
}

function classification(outputs: unknown): number | undefined {
  if (outputs === undefined) return undefined;
  if (!Array.isArray(outputs) || outputs.length > 1)
    refuse(`outputs a list of at most one output ("${V2_OUTPUT}")`, outputs, 'Leave "outputs" out for all outputs.');
  const out = outputs[0];
  if (out === undefined) return undefined;
  if (!isObject(out) || out.name !== V2_OUTPUT)
    refuse(
      `outputs[0].name "${V2_OUTPUT}"`,
      isObject(out) ? out.name : out,
      'Read the output names from the model metadata.',
    );
  const k = noBinary('outputs[0]', out.parameters).classification;
  if (k === undefined) return undefined;
  if (!(Number.isInteger(k) && (k as number) >= 1 && (k as number) <= MAX_CLASSIFICATION))
    refuse(
      `outputs[0].parameters.classification an integer in [1, ${MAX_CLASSIFICATION}]`,
      k,
      'Ask for the top k classes, e.g. 3.',
    );
  return k as number;
}

/**
 * Validates an inference request object against the model's per-example input shape.
 * @example parseInferBody({inputs: [{name: 'input', shape: [1, 2], datatype: 'FP32', data: [0, 1]}]}, [2], {maxBatch: 4}) // {values: [0, 1], count: 1, batch: true, v2: {}}
 */
export function parseInferBody(body: unknown, shape: readonly number[], limits: ValidationLimits): PredictInput {
  if (!isObject(body))
    refuse(
      'an inference request object {"inputs": [{"name", "shape", "datatype", "data"}]}',
      body,
      'Send the Open Inference Protocol JSON.',
    );
  const id = body.id;
  if (id !== undefined && (typeof id !== 'string' || id.length > 256))
    refuse('"id" a string of at most 256 characters', id, 'Send a short request id, or none.');
  noBinary('request', body.parameters);
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1)
    refuse(`"inputs" a list of exactly one tensor ("${V2_INPUT}")`, inputs, 'This model has one input.');
  const t = inputs[0];
  if (!isObject(t)) refuse('inputs[0] an object {"name", "shape", "datatype", "data"}', t, 'Describe the tensor.');
  if (t.name !== V2_INPUT)
    refuse(`inputs[0].name "${V2_INPUT}"`, t.name, 'Read the input names from the model metadata.');
  if (t.datatype !== 'FP32')
    refuse('inputs[0].datatype "FP32"', t.datatype, 'Send float32 values, as the model metadata says.');
  noBinary('inputs[0]', t.parameters);
  const declared = t.shape;
  const want = `[batch, ${shape.join(', ')}] with batch in [1, ${limits.maxBatch}]`;
  if (
    !Array.isArray(declared) ||
    declared.length !== shape.length + 1 ||
    !Number.isInteger(declared[0]) ||
    (declared[0] as number) < 1 ||
    (declared[0] as number) > limits.maxBatch ||
    declared.slice(1).some((d, i) => d !== shape[i])
  ) {
    refuse(`inputs[0].shape ${want}`, declared, 'Split larger batches.');
  }
  const count = declared[0] as number;
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(count * size);
  writeTensor(t.data, declared as number[], values, 0, 'inputs[0].data', FN);
  const k = classification(body.outputs);
  return {
    values,
    count,
    batch: true,
    v2: { ...(id !== undefined ? { id: id as string } : {}), ...(k !== undefined ? { classification: k } : {}) },
  };
}
