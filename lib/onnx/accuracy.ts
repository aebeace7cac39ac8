// Top-1 accuracy of an ONNX model on labelled feeds, in ONNX Runtime: the argmax of each row of the
// model's first output against the labels, in order (a feed of batch n takes the next n labels).
import { DataError } from '../errors';
import { ortSession } from '../export/onnx/runtime';
import { OnnxFeeds, ortFeeds, runSession } from './feeds';

/** Feeds with a class index per example. */
export interface LabelledFeeds {
  readonly feeds: readonly OnnxFeeds[];
  readonly labels: ArrayLike<number>;
}

/**
 * Scores `bytes` on `data`: the fraction of rows whose argmax is the label.
 * @example (await labelledAccuracy(bytes, {feeds, labels}, 'auto.search')).accuracy
 */
export async function labelledAccuracy(
  bytes: Uint8Array,
  data: LabelledFeeds,
  fn: string,
): Promise<{ accuracy: number; count: number }> {
  const s = await ortSession(bytes);
  let right = 0;
  let rows = 0;
  try {
    for (const f of data.feeds) {
      const out = (await runSession(s, ortFeeds(s, f, fn), fn))[s.outputNames[0] as string];
      const y = out?.data;
      const width = out ? ((out.dims[out.dims.length - 1] as number) ?? 1) : 0;
      if (!(y instanceof Float32Array) || width < 1)
        throw new DataError(
          `${fn}: a model whose first output is float32 class scores, got ${out ? out.type : 'no output'}. Score a classifier.`,
        );
      for (let r = 0; r < y.length; r += width) {
        let best = 0;
        for (let j = 1; j < width; j++) if ((y[r + j] as number) > (y[r + best] as number)) best = j;
        if (rows >= data.labels.length)
          throw new DataError(
            `${fn}: a label for every example, got ${data.labels.length} labels for more rows. Pass one label per example.`,
          );
        right += best === data.labels[rows] ? 1 : 0;
        rows++;
      }
    }
  } finally {
    await s.release();
  }
  if (rows === 0) throw new DataError(`${fn}: at least one labelled example, got none. Pass some feeds.`);
  return { accuracy: right / rows, count: rows };
}
