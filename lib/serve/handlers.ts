// The predict and feedback handlers: validated input in, softmax probabilities and labels out,
// every prediction logged under an id so labelled feedback can be matched to it later.
import * as tf from '@tensorflow/tfjs';
import { Monitor } from '../monitor/monitor';
import { argmaxRows } from '../monitor/features';
import { ModelSlot } from './model-slot';
import { parsePredictBody, RequestError } from './validate';

/** Recent predictions by id (bounded, oldest dropped first). */
export class PredictionLog {
  private readonly entries = new Map<string, { label: number; version: string }>();
  private counter = 0;

  constructor(readonly capacity: number) {}

  add(label: number, version: string): string {
    const id = `${version}-${++this.counter}`;
    this.entries.set(id, { label, version });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return id;
  }

  get(id: string): { label: number; version: string } | undefined {
    return this.entries.get(id);
  }
}

/** One answered prediction. */
export interface Prediction {
  readonly id: string;
  readonly label: number;
  readonly probabilities: number[];
}

/** Runs a validated request on the leased slot. */
export async function handlePredict(slot: ModelSlot, body: unknown, maxBatch: number, log: PredictionLog,
  monitor?: Monitor): Promise<{ count: number; body: unknown }> {
  const shape = slot.inputShape;
  const input = parsePredictBody(body, shape, { maxBatch });
  const probsT = tf.tidy(() => tf.softmax(slot.model.predict(tf.tensor(input.values, [input.count, ...shape], 'float32'), { batchSize: input.count }) as tf.Tensor));
  let probs: Float32Array;
  try {
    probs = (await probsT.data()) as Float32Array;
  } finally {
    probsT.dispose();
  }
  const classes = probs.length / input.count;
  const { labels } = argmaxRows(probs, input.count, classes);
  if (monitor && monitor.drift.reference.exampleSize === input.values.length / input.count) {
    monitor.drift.observe(input.values, input.count, probs);
  }
  const predictions: Prediction[] = [];
  for (let n = 0; n < input.count; n++) {
    const label = labels[n] as number;
    predictions.push({ id: log.add(label, slot.version), label, probabilities: Array.from(probs.subarray(n * classes, (n + 1) * classes)) });
  }
  const head = { model: slot.name, version: slot.version };
  return { count: input.count, body: input.batch ? { ...head, predictions } : { ...head, ...predictions[0] } };
}

/** Records `{id, label}` or `{feedback: [{id, label}, ...]}` against logged predictions. */
export function handleFeedback(body: unknown, log: PredictionLog, monitor?: Monitor): { recorded: number; unknownIds: string[] } {
  const b = body as { id?: unknown; label?: unknown; feedback?: unknown } | null;
  const items = b && typeof b === 'object' && Array.isArray(b.feedback) ? (b.feedback as unknown[]) : [b];
  let recorded = 0;
  const unknownIds: string[] = [];
  for (const item of items) {
    const it = item as { id?: unknown; label?: unknown } | null;
    if (!it || typeof it !== 'object' || typeof it.id !== 'string' || !Number.isInteger(it.label) || (it.label as number) < 0) {
      throw new RequestError(`/v1/feedback: {"id": "<prediction id>", "label": <class index>} or {"feedback": [...]}, got ${JSON.stringify(item)?.slice(0, 80)}.`);
    }
    const p = log.get(it.id);
    if (!p) { unknownIds.push(it.id); continue; }
    monitor?.feedback.record(p.label, it.label as number, p.version);
    recorded++;
  }
  return { recorded, unknownIds };
}
