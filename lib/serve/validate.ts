// Validation of predict requests. Every request is checked before it reaches the model: JSON
// object, `input` (one example) or `inputs` (a batch), each example of the model's shape (flat or
// nested), numbers only, each finite in float32 (1e39 would become Infinity), batch size bounded.
// Failures become a 400 with a message that says what was expected, what came, and how to fix it,
// and never repeats the input: only kinds and lengths are described, and nothing recurses deeper
// than the model's input rank, so a body nested a million levels deep is a plain 400.
import { describe } from '../errors';
import { RequestError } from './request-error';

/** A validated batch: row-major float32 values, the example count, and whether it was a batch. */
export interface PredictInput {
  readonly values: Float32Array;
  readonly count: number;
  readonly batch: boolean;
  /** Sent as an Open Inference Protocol request: answer in its form (the request's id, a classification). */
  readonly v2?: { readonly id?: string; readonly classification?: number };
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return `a string`;
  return typeof v;
}

/**
 * Writes one tensor (flat, or nested to `shape`) into `out` at `offset`; throws a RequestError
 * (400) whose message starts with `fn`.
 */
export function writeTensor(
  ex: unknown,
  shape: readonly number[],
  out: Float32Array,
  offset: number,
  where: string,
  fn = 'predict',
): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(ex))
    throw new RequestError(`${fn}: ${where} must be an array of ${size} numbers, got ${kind(ex)}.`);
  if (ex.length === size && (shape.length === 1 || ex.length === 0 || !Array.isArray(ex[0]))) {
    for (let i = 0; i < size; i++) {
      const v = ex[i];
      if (typeof v !== 'number')
        throw new RequestError(`${fn}: ${where}[${i}] must be a number (dtype float32), got ${kind(v)}.`);
      if (!Number.isFinite(Math.fround(v))) {
        throw new RequestError(
          `${fn}: ${where}[${i}] must be finite in float32 (|x| <= 3.4028235e38), got ${Number.isFinite(v) ? 'a number outside that range' : 'a non-finite number'}.`,
        );
      }
      out[offset + i] = v;
    }
    return;
  }
  // Nested form: must match the shape exactly, level by level.
  const [head, ...rest] = shape;
  if (rest.length === 0 || ex.length !== head) {
    throw new RequestError(
      `${fn}: ${where} must hold ${size} numbers (flat) or be nested as [${shape.join(', ')}], ` +
        `got ${kind(ex)}. Send ${fn === 'predict' ? "one example of the model's input shape" : 'data of the shape you declare'}.`,
    );
  }
  const inner = rest.reduce((a, b) => a * b, 1);
  for (let i = 0; i < head; i++) writeTensor(ex[i], rest, out, offset + i * inner, `${where}[${i}]`, fn);
}

/** Limits for {@link parsePredictBody}. */
export interface ValidationLimits {
  /** Largest accepted batch. */
  readonly maxBatch: number;
}

/**
 * Validates a parsed JSON body against a model input shape (without the batch dimension).
 * Accepts `{"input": example}` or `{"inputs": [example, ...]}`, optional `"dtype": "float32"`.
 * @example parsePredictBody({input: [0, 1]}, [2], {maxBatch: 4}) // {values: Float32Array[0, 1], count: 1, batch: false}
 */
export function parsePredictBody(body: unknown, shape: readonly number[], limits: ValidationLimits): PredictInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestError(`predict: a JSON object {"input": [...]} or {"inputs": [[...], ...]}, got ${kind(body)}.`);
  }
  const b = body as Record<string, unknown>;
  if (b.dtype !== undefined && b.dtype !== 'float32') {
    throw new RequestError(
      `predict: dtype "float32" (or no dtype), got ${describe(b.dtype)}. Send float32 values as JSON numbers.`,
    );
  }
  const hasOne = b.input !== undefined;
  const hasMany = b.inputs !== undefined;
  if (hasOne === hasMany) {
    throw new RequestError(
      `predict: exactly one of "input" (one example) or "inputs" (a batch), got ${hasOne ? 'both' : 'neither'}.`,
    );
  }
  const examples: unknown[] = hasOne ? [b.input] : (b.inputs as unknown[]);
  if (!Array.isArray(examples))
    throw new RequestError(`predict: "inputs" must be an array of examples, got ${kind(b.inputs)}.`);
  if (examples.length === 0)
    throw new RequestError(`predict: "inputs" must hold at least one example, got an empty array.`);
  if (examples.length > limits.maxBatch) {
    throw new RequestError(
      `predict: at most ${limits.maxBatch} examples per request, got ${examples.length}. Split the batch.`,
    );
  }
  const size = shape.reduce((a, c) => a * c, 1);
  const values = new Float32Array(examples.length * size);
  examples.forEach((ex, i) => writeTensor(ex, shape, values, i * size, hasOne ? 'input' : `inputs[${i}]`));
  return { values, count: examples.length, batch: hasMany };
}

/** Parses a JSON body; malformed JSON is a 400 RequestError (V8's message shows at most a short excerpt). */
export function parseJson(buf: Uint8Array, route: string): unknown {
  if (buf.length === 0) throw new RequestError(`${route}: a JSON body, got an empty body.`);
  try {
    return JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.length).toString('utf8'));
  } catch (e) {
    throw new RequestError(
      `${route}: valid JSON, got a parse error (${String((e as Error).message).slice(0, 120)}). Send Content-Type application/json with a JSON object.`,
    );
  }
}

/** A body as one buffer (the chunks it came in joined). */
export function joined(body: Uint8Array | readonly Uint8Array[]): Uint8Array {
  return body instanceof Uint8Array ? body : body.length === 1 ? (body[0] as Uint8Array) : Buffer.concat(body);
}

/** A predict body from its bytes (one buffer, or the chunks it came in): {@link parseJson} then {@link parsePredictBody}. */
export function decodePredict(
  body: Uint8Array | readonly Uint8Array[],
  shape: readonly number[],
  limits: ValidationLimits,
): PredictInput {
  return parsePredictBody(parseJson(joined(body), '/v1/predict'), shape, limits);
}
