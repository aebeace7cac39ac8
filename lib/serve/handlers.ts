// The predict and feedback handlers: a validated input goes through the batcher (computed in a
// worker, softmax applied and the answer's JSON encoded there) and its bytes come back to be
// sent; every prediction is logged under an id so labelled feedback can be matched to it later.
import { describe } from '../errors';
import { Monitor } from '../monitor/monitor';
import { BatchAnswer, Batcher, SubmitOptions } from './batcher';
import { RequestError } from './request-error';
import { PredictInput } from './validate';

/**
 * The labels of the latest `capacity` predictions, by id (`${version}-${n}`, n the prediction
 * number the batcher gave): a ring indexed by n, so logging a 256-example answer is 256 array
 * writes, with no string built or map entry made on the event loop.
 */
export class PredictionLog {
  private readonly numbers: Float64Array;
  private readonly labels: Int32Array;
  private readonly versions: (string | undefined)[];

  constructor(readonly capacity: number) {
    this.numbers = new Float64Array(capacity).fill(-1);
    this.labels = new Int32Array(capacity);
    this.versions = new Array<string | undefined>(capacity);
  }

  /** Logs predictions `firstId`, `firstId + 1`, ... of `version` with their labels. */
  record(firstId: number, labels: ArrayLike<number>, version: string): void {
    for (let n = 0; n < labels.length; n++) {
      const slot = (firstId + n) % this.capacity;
      this.numbers[slot] = firstId + n;
      this.labels[slot] = labels[n] as number;
      this.versions[slot] = version;
    }
  }

  /** The logged prediction `id`, or undefined when unknown or already dropped. */
  get(id: string): { label: number; version: string } | undefined {
    const dash = id.lastIndexOf('-');
    const digits = id.slice(dash + 1);
    if (dash < 1 || !/^(0|[1-9][0-9]{0,14})$/.test(digits)) return undefined; // the form predictionId writes, nothing else
    const n = Number(digits);
    const slot = n % this.capacity;
    const version = id.slice(0, dash);
    if (this.numbers[slot] !== n || this.versions[slot] !== version) return undefined;
    return { label: this.labels[slot] as number, version };
  }
}

/** What the predict handler needs from the server. */
export interface PredictContext {
  readonly name: string;
  readonly batcher: Batcher;
  readonly log: PredictionLog;
  readonly monitor?: Monitor;
}

/** Computes a validated input through the batcher; resolves with the answer's bytes (encoded in the worker). */
export async function handlePredict(
  ctx: PredictContext,
  input: PredictInput,
  options: Pick<SubmitOptions, 'signal' | 'deadline' | 'answer'> = {},
): Promise<{ count: number; body: Uint8Array; answer: BatchAnswer }> {
  const observe =
    ctx.monitor && ctx.monitor.drift.reference.exampleSize === input.values.length / input.count
      ? ctx.monitor
      : undefined;
  // Without a monitor nothing reads the values again: a request alone in its batch hands them to the worker.
  const answer = await ctx.batcher.submit(input.values, input.count, {
    ...options,
    batch: input.batch,
    transfer: !observe,
  });
  ctx.log.record(answer.firstId, answer.labels, answer.version);
  observe?.drift.observe(input.values, input.count, answer.output);
  return { count: input.count, body: answer.body, answer };
}

/** Records `{id, label}` or `{feedback: [{id, label}, ...]}` against logged predictions. */
export function handleFeedback(
  body: unknown,
  log: PredictionLog,
  monitor?: Monitor,
): { recorded: number; unknownIds: string[] } {
  const b = body as { id?: unknown; label?: unknown; feedback?: unknown } | null;
  const items = b && typeof b === 'object' && Array.isArray(b.feedback) ? (b.feedback as unknown[]) : [b];
  if (items.length > 10000)
    throw new RequestError(`/v1/feedback: at most 10000 feedback items, got ${items.length}. Send them in parts.`);
  items.forEach((item, i) => {
    const it = item as { id?: unknown; label?: unknown } | null;
    if (
      !it ||
      typeof it !== 'object' ||
      typeof it.id !== 'string' ||
      it.id.length > 200 ||
      !Number.isInteger(it.label) ||
      (it.label as number) < 0
    ) {
      throw new RequestError(
        `/v1/feedback: {"id": "<prediction id>", "label": <class index>} or {"feedback": [...]}, got ${describe(item)} at item ${i}.`,
      );
    }
  });
  let recorded = 0; // every item checked first: a malformed one records none
  const unknownIds: string[] = [];
  for (const it of items as { id: string; label: number }[]) {
    const p = log.get(it.id);
    if (!p) {
      unknownIds.push(it.id);
      continue;
    }
    monitor?.feedback.record(p.label, it.label, p.version);
    recorded++;
  }
  return { recorded, unknownIds };
}
