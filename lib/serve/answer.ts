// The predict answer as bytes, built where the probabilities are: in the inference worker (or on
// the main thread with workers: 0). A 256-example answer is ~60 KB of JSON; building it (arrays,
// number-to-text, UTF-8) was most of the event loop's time per batch request, so the worker does it
// and the event loop only writes the bytes it gets back (transferred, not copied). One computed
// batch can hold several requests ("parts"): each gets its own body, its own labels and ids, in
// the form it asked for: this server's own JSON (class names and the top-k classes when the
// version names its classes), or the Open Inference Protocol's (KServe v2) inference response.
import { argmaxRows } from '../monitor/features';

/** The Open Inference Protocol's output tensor of this server: probabilities, one row per example. */
export const V2_OUTPUT = 'probabilities';

/** One request of a computed batch: its rows, whether it was sent as a batch, its first prediction number. */
export interface AnswerPart {
  readonly count: number;
  /** True: `{model, version, predictions: [...]}`; false (one `input`): `{model, version, id, label, probabilities}`. */
  readonly batch: boolean;
  /** Prediction ids of the part are `${version}-${firstId + n}`, n = 0 .. count - 1. */
  readonly firstId: number;
  /** How many of the most likely classes each prediction lists in `top` (0: none). Default: 5 when the classes have names, else 0. */
  readonly top?: number;
  /** Answer as an Open Inference Protocol inference response (its `id` echoed; `classification` > 0: Triton's classification extension). */
  readonly v2?: { readonly id?: string; readonly classification?: number };
}

/** What to answer for one computed batch. */
export interface AnswerRequest {
  readonly model: string;
  readonly version: string;
  readonly parts: readonly AnswerPart[];
}

/** What the answers say about the model's output beyond its probabilities. */
export interface AnswerLabels {
  /** Name of class i. */
  readonly classNames?: readonly string[];
  /** Per-example output shape (the v2 answer's shape is [count, ...outputShape]). Default [classes]. */
  readonly outputShape?: readonly number[];
}

/** The encoded answers of a batch, one per part. */
export interface EncodedAnswers {
  /** UTF-8 JSON body of each part (each on its own ArrayBuffer, so it can be transferred). */
  readonly bodies: Uint8Array[];
  /** Predicted class of every row, parts one after another. */
  readonly labels: Int32Array;
}

/** One of the most likely classes. */
export interface RankedClass {
  readonly label: number;
  readonly className?: string;
  readonly probability: number;
}

/** One prediction of the answer. */
export interface Prediction {
  readonly id: string;
  readonly label: number;
  /** Name of `label`, when the version names its classes. */
  readonly className?: string;
  readonly probabilities: number[];
  /** The most likely classes, most likely first. */
  readonly top?: RankedClass[];
}

const utf8 = new TextEncoder();

/** The id of prediction number `n` of `version` (parsed back by PredictionLog). */
export function predictionId(version: string, n: number): string {
  return `${version}-${n}`;
}

/** Indices of the `k` largest values of `row`, largest first (ties: the lower index first). */
export function topIndices(row: ArrayLike<number>, k: number): number[] {
  const out: number[] = [];
  if (k <= 0) return out;
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (out.length === k && !(v > (row[out[k - 1] as number] as number))) continue;
    let at = out.length;
    while (at > 0 && v > (row[out[at - 1] as number] as number)) at--;
    out.splice(at, 0, i);
    if (out.length > k) out.pop();
  }
  return out;
}

function v1Prediction(
  probs: Float32Array,
  row: number,
  classes: number,
  label: number,
  id: string,
  top: number,
  names?: readonly string[],
): Prediction {
  const values = probs.subarray(row * classes, (row + 1) * classes);
  return {
    id,
    label,
    ...(names ? { className: names[label] as string } : {}),
    probabilities: Array.from(values),
    ...(top > 0
      ? {
          top: topIndices(values, top).map((i) => ({
            label: i,
            ...(names ? { className: names[i] as string } : {}),
            probability: values[i] as number,
          })),
        }
      : {}),
  };
}

/** Triton's classification entry: "value:index" or "value:index:label". */
const classEntry = (p: number, i: number, names?: readonly string[]): string =>
  names ? `${p}:${i}:${names[i] as string}` : `${p}:${i}`;

function v2Body(
  probs: Float32Array,
  firstRow: number,
  count: number,
  classes: number,
  head: { model_name: string; model_version: string },
  v2: NonNullable<AnswerPart['v2']>,
  labels: AnswerLabels,
): unknown {
  const rows = probs.subarray(firstRow * classes, (firstRow + count) * classes);
  const k = Math.min(v2.classification ?? 0, classes);
  const output =
    k > 0
      ? {
          name: V2_OUTPUT,
          shape: [count, k],
          datatype: 'BYTES',
          data: Array.from({ length: count }, (_, n) => {
            const row = rows.subarray(n * classes, (n + 1) * classes);
            return topIndices(row, k).map((i) => classEntry(row[i] as number, i, labels.classNames));
          }).flat(),
        }
      : {
          name: V2_OUTPUT,
          shape: [count, ...(labels.outputShape ?? [classes])],
          datatype: 'FP32',
          data: Array.from(rows),
        };
  return { ...head, ...(v2.id !== undefined ? { id: v2.id } : {}), outputs: [output] };
}

/**
 * JSON bodies of the parts of a batch from its probabilities (row-major, `classes` a row).
 * @example encodeAnswers(Float32Array.of(0.25, 0.75), 2, {model: 'm', version: '1', parts: [{count: 1, batch: false, firstId: 7}]}).bodies[0]
 *   // UTF-8 of {"model":"m","version":"1","id":"1-7","label":1,"probabilities":[0.25,0.75]}
 */
export function encodeAnswers(
  probs: Float32Array,
  classes: number,
  request: AnswerRequest,
  labels: AnswerLabels = {},
): EncodedAnswers {
  const rows = request.parts.reduce((a, p) => a + p.count, 0);
  const { labels: argmax } = argmaxRows(probs, rows, classes);
  const names = labels.classNames;
  const bodies: Uint8Array[] = [];
  let row = 0;
  for (const part of request.parts) {
    if (part.v2) {
      const head = { model_name: request.model, model_version: request.version };
      bodies.push(utf8.encode(JSON.stringify(v2Body(probs, row, part.count, classes, head, part.v2, labels))));
      row += part.count;
      continue;
    }
    const top = Math.min(part.top ?? (names ? 5 : 0), classes);
    const predictions: Prediction[] = [];
    for (let n = 0; n < part.count; n++, row++) {
      const id = predictionId(request.version, part.firstId + n);
      predictions.push(v1Prediction(probs, row, classes, argmax[row] as number, id, top, names));
    }
    const head = { model: request.model, version: request.version };
    bodies.push(utf8.encode(JSON.stringify(part.batch ? { ...head, predictions } : { ...head, ...predictions[0] })));
  }
  return { bodies, labels: argmax };
}
