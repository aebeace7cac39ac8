// The predict and feedback handlers: a validated input goes through the batcher (computed in a
// worker, softmax applied there) and comes back as probabilities and labels; every prediction is
// logged under an id so labelled feedback can be matched to it later.
import { describe } from '../errors';
import { Monitor } from '../monitor/monitor';
import { argmaxRows } from '../monitor/features';
import { BatchAnswer, Batcher } from './batcher';
import { RequestError } from './request-error';
import { PredictInput } from './validate';

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

/** What the predict handler needs from the server. */
export interface PredictContext {
  readonly name: string;
  /** Parses and validates a body (on the main thread, or in a worker when it is large). */
  decode(body: Uint8Array): Promise<PredictInput>;
  readonly batcher: Batcher;
  readonly log: PredictionLog;
  readonly monitor?: Monitor;
}

/** Computes a validated input through the batcher and builds the answer. */
export async function handlePredict(ctx: PredictContext, input: PredictInput): Promise<{ count: number; body: unknown; answer: BatchAnswer }> {
  const answer = await ctx.batcher.submit(input.values, input.count);
  const probs = answer.output;
  const classes = probs.length / input.count;
  const { labels } = argmaxRows(probs, input.count, classes);
  if (ctx.monitor && ctx.monitor.drift.reference.exampleSize === input.values.length / input.count) {
    ctx.monitor.drift.observe(input.values, input.count, probs);
  }
  const predictions: Prediction[] = [];
  for (let n = 0; n < input.count; n++) {
    const label = labels[n] as number;
    predictions.push({ id: ctx.log.add(label, answer.version), label, probabilities: Array.from(probs.subarray(n * classes, (n + 1) * classes)) });
  }
  const head = { model: ctx.name, version: answer.version };
  return { count: input.count, body: input.batch ? { ...head, predictions } : { ...head, ...predictions[0] }, answer };
}

/** Records `{id, label}` or `{feedback: [{id, label}, ...]}` against logged predictions. */
export function handleFeedback(body: unknown, log: PredictionLog, monitor?: Monitor): { recorded: number; unknownIds: string[] } {
  const b = body as { id?: unknown; label?: unknown; feedback?: unknown } | null;
  const items = b && typeof b === 'object' && Array.isArray(b.feedback) ? (b.feedback as unknown[]) : [b];
  if (items.length > 10000) throw new RequestError(`/v1/feedback: at most 10000 feedback items, got ${items.length}. Send them in parts.`);
  items.forEach((item, i) => {
    const it = item as { id?: unknown; label?: unknown } | null;
    if (!it || typeof it !== 'object' || typeof it.id !== 'string' || it.id.length > 200 || !Number.isInteger(it.label) || (it.label as number) < 0) {
      throw new RequestError(`/v1/feedback: {"id": "<prediction id>", "label": <class index>} or {"feedback": [...]}, got ${describe(item)} at item ${i}.`);
    }
  });
  let recorded = 0; // every item checked first: a malformed one records none
  const unknownIds: string[] = [];
  for (const it of items as { id: string; label: number }[]) {
    const p = log.get(it.id);
    if (!p) { unknownIds.push(it.id); continue; }
    monitor?.feedback.record(p.label, it.label, p.version);
    recorded++;
  }
  return { recorded, unknownIds };
}
