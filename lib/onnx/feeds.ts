// The data an ONNX model runs on: feeds, one run's value for each graph input by name, as plain
// typed arrays with dims (what ONNX Runtime takes, in the model's own layout: NCHW images, audio
// chunks, a recurrent state). A data set is a sequence of feeds: an array, an iterable, an async
// iterable, or a function returning a fresh one, so that it can stream twice (calibration, then
// the comparison with fp32) while only one feed is held in memory.
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { DataError, describe } from '../errors';
import { onnxRuntime } from '../export/onnx/runtime';

/** One input value: its elements (row-major) and dims. */
export interface OnnxValue {
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;
  readonly dims: readonly number[];
  /** 'bool' for a Uint8Array of 0/1 fed to a boolean input (default: the array's own type). */
  readonly type?: 'bool';
}

/** One run's inputs, by graph input name. */
export type OnnxFeeds = Readonly<Record<string, OnnxValue>>;

/** A sequence of feeds (or a function giving a fresh sequence each time it is called). */
export type OnnxData =
  Iterable<OnnxFeeds> | AsyncIterable<OnnxFeeds> | (() => Iterable<OnnxFeeds> | AsyncIterable<OnnxFeeds>);

function typeOf(v: OnnxValue): Tensor.Type {
  if (v.type === 'bool' && v.data instanceof Uint8Array) return 'bool';
  if (v.data instanceof Float32Array) return 'float32';
  if (v.data instanceof BigInt64Array) return 'int64';
  if (v.data instanceof Int32Array) return 'int32';
  if (v.data instanceof Uint8Array) return 'uint8';
  return 'int8';
}

/** Checks `feeds` against the session's inputs and converts them to ONNX Runtime tensors. */
export function ortFeeds(session: InferenceSession, feeds: OnnxFeeds, fn: string): InferenceSession.FeedsType {
  if (!feeds || typeof feeds !== 'object')
    throw new DataError(`${fn}: feeds as {inputName: {data, dims}}, got ${describe(feeds)}. Pass one object per run.`);
  const { Tensor } = onnxRuntime();
  const out: Record<string, Tensor> = {};
  for (const name of session.inputNames) {
    const v = feeds[name];
    if (!v || !ArrayBuffer.isView(v.data) || !Array.isArray(v.dims)) {
      throw new DataError(
        `${fn}: a value for every model input (${session.inputNames.join(', ')}), got ${v ? 'a malformed one' : 'none'} for "${name}". Pass {data: Float32Array, dims: [...]}.`,
      );
    }
    const count = v.dims.reduce((a, d) => a * d, 1);
    if (!v.dims.every((d) => Number.isInteger(d) && d >= 0) || count !== v.data.length) {
      throw new DataError(
        `${fn}: ${count} values for input "${name}" of dims [${v.dims.join(', ')}], got ${v.data.length}. Make data.length the product of dims.`,
      );
    }
    out[name] = new Tensor(typeOf(v), v.data, [...v.dims]);
  }
  const extra = Object.keys(feeds).filter((k) => !session.inputNames.includes(k));
  if (extra.length)
    throw new DataError(
      `${fn}: feeds named after the model's inputs (${session.inputNames.join(', ')}), got also ${extra.slice(0, 5).join(', ')}. Drop or rename them.`,
    );
  return out;
}

/** Iterates `data` (calling it first when it is a function), with a cap on the count. */
export async function* eachFeeds(data: OnnxData, fn: string, limit = Infinity): AsyncGenerator<OnnxFeeds> {
  const source = typeof data === 'function' ? data() : data;
  if (!source || (typeof source !== 'object' && typeof source !== 'function'))
    throw new DataError(
      `${fn}: data as feeds (an array, iterable or async iterable), got ${describe(source)}. Pass e.g. [{x: {data, dims}}].`,
    );
  const iterable = source as Iterable<OnnxFeeds> | AsyncIterable<OnnxFeeds>;
  if (!(Symbol.asyncIterator in iterable) && !(Symbol.iterator in iterable))
    throw new DataError(
      `${fn}: data as feeds (an array, iterable or async iterable), got ${describe(source)}. Pass e.g. [{x: {data, dims}}].`,
    );
  if (limit <= 0) return;
  let n = 0;
  for await (const feeds of iterable) {
    yield feeds;
    if (++n >= limit) return;
  }
}

/** True when `data` can be iterated more than once (an array, or a function returning fresh iterables). */
export function reiterable(data: OnnxData): boolean {
  return typeof data === 'function' || Array.isArray(data);
}

/** `session.run`, its failures (a shape the model refuses, a kernel error) as a DataError naming the caller. */
export async function runSession(
  session: InferenceSession,
  feeds: InferenceSession.FeedsType,
  fn: string,
  fetches?: readonly string[],
): Promise<InferenceSession.ReturnType> {
  try {
    return fetches ? await session.run(feeds, [...fetches]) : await session.run(feeds);
  } catch (e) {
    throw new DataError(
      `${fn}: inputs the model runs on, got ONNX Runtime's refusal "${(e as Error).message.slice(0, 300)}". Check the feeds' shapes, types and values (e.g. a sample rate or a state).`,
    );
  }
}
