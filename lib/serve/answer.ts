// The predict answer as bytes, built where the probabilities are: in the inference worker (or on
// the main thread with workers: 0). A 256-example answer is ~60 KB of JSON; building it (arrays,
// number-to-text, UTF-8) was most of the event loop's time per batch request, so the worker does it
// and the event loop only writes the bytes it gets back (transferred, not copied). One computed
// batch can hold several requests ("parts"): each gets its own body, its own labels and ids.
import { argmaxRows } from '../monitor/features';

/** One request of a computed batch: its rows, whether it was sent as a batch, its first prediction number. */
export interface AnswerPart {
  readonly count: number;
  /** True: `{model, version, predictions: [...]}`; false (one `input`): `{model, version, id, label, probabilities}`. */
  readonly batch: boolean;
  /** Prediction ids of the part are `${version}-${firstId + n}`, n = 0 .. count - 1. */
  readonly firstId: number;
}

/** What to answer for one computed batch. */
export interface AnswerRequest {
  readonly model: string;
  readonly version: string;
  readonly parts: readonly AnswerPart[];
}

/** The encoded answers of a batch, one per part. */
export interface EncodedAnswers {
  /** UTF-8 JSON body of each part (each on its own ArrayBuffer, so it can be transferred). */
  readonly bodies: Uint8Array[];
  /** Predicted class of every row, parts one after another. */
  readonly labels: Int32Array;
}

/** One prediction of the answer. */
export interface Prediction {
  readonly id: string;
  readonly label: number;
  readonly probabilities: number[];
}

const utf8 = new TextEncoder();

/** The id of prediction number `n` of `version` (parsed back by PredictionLog). */
export function predictionId(version: string, n: number): string {
  return `${version}-${n}`;
}

/**
 * JSON bodies of the parts of a batch from its probabilities (row-major, `classes` a row).
 * @example encodeAnswers(Float32Array.of(0.25, 0.75), 2, {model: 'm', version: '1', parts: [{count: 1, batch: false, firstId: 7}]}).bodies[0]
 *   // UTF-8 of {"model":"m","version":"1","id":"1-7","label":1,"probabilities":[0.25,0.75]}
 */
export function encodeAnswers(probs: Float32Array, classes: number, request: AnswerRequest): EncodedAnswers {
  const rows = request.parts.reduce((a, p) => a + p.count, 0);
  const { labels } = argmaxRows(probs, rows, classes);
  const bodies: Uint8Array[] = [];
  let row = 0;
  for (const part of request.parts) {
    const predictions: Prediction[] = [];
    for (let n = 0; n < part.count; n++, row++) {
      predictions.push({
        id: predictionId(request.version, part.firstId + n),
        label: labels[row] as number,
        probabilities: Array.from(probs.subarray(row * classes, (row + 1) * classes)),
      });
    }
    const head = { model: request.model, version: request.version };
    bodies.push(utf8.encode(JSON.stringify(part.batch ? { ...head, predictions } : { ...head, ...predictions[0] })));
  }
  return { bodies, labels };
}
