// How a job's failure crosses a thread or a queue: as plain data ({name, message}), turned back
// into the library's typed error on the submitting side. A name read back from a queue is looked
// up in a fixed table (a Map, so `constructor` or `toString` name nothing), never used to build
// an object. Failures that no job raised have their own classes: the job was lost (its queue
// forgot it, e.g. Redis restarted empty) or its deadline passed.
import { CompressionError, ConfigError, DataError, ExportError, ShapeError, UnsupportedLayerError } from '../errors';

/** A job that failed in a worker: the original error's class name and message. */
export class JobError extends CompressionError {
  constructor(
    message: string,
    readonly job: string,
    readonly errorName: string,
  ) {
    super(message);
  }
}

/** A submitted job that its queue no longer holds (Redis restarted empty, or the job was removed). */
export class JobLostError extends JobError {
  constructor(message: string, job: string) {
    super(message, job, 'JobLost');
  }
}

/** A submitted job that had not finished when the submitter's deadline passed. */
export class JobTimeoutError extends JobError {
  constructor(message: string, job: string) {
    super(message, job, 'JobTimeout');
  }
}

/** An error from a worker as plain data. */
export interface JobFailure {
  readonly name: string;
  readonly message: string;
}

// The library's typed errors: about the input, so they come back typed and are not retried.
const TYPED = new Map<string, new (message: string) => CompressionError>([
  ['ConfigError', ConfigError],
  ['ShapeError', ShapeError],
  ['DataError', DataError],
  ['ExportError', ExportError],
  ['UnsupportedLayerError', UnsupportedLayerError],
  ['CompressionError', CompressionError],
]);

/** A caught error as plain data (to cross a thread or a queue). */
export function toFailure(e: unknown): JobFailure {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
}

/** The library's typed error again for a failure of one of its classes, else a JobError. */
export function fromFailure(f: JobFailure, job: string): CompressionError {
  const Known = TYPED.get(f.name);
  return Known
    ? new Known(f.message)
    : new JobError(`exec: job '${job}' completed, got ${f.name}: ${f.message}`, job, f.name);
}

/** Whether retrying could help: the library's typed errors are about the input, so a retry would fail again. */
export function isRetryable(f: JobFailure): boolean {
  return !TYPED.has(f.name);
}

const MAX_MESSAGE = 4000;

/** A failure read back from a queue (BullMQ's failedReason): ours as JSON, or BullMQ's own text. */
export function parseFailure(reason: unknown): JobFailure {
  const text = typeof reason === 'string' ? reason : String(reason);
  try {
    const f = JSON.parse(text) as unknown;
    if (f && typeof f === 'object' && !Array.isArray(f)) {
      const { name, message } = f as Record<string, unknown>;
      if (typeof name === 'string' && typeof message === 'string' && name.length <= 100)
        return { name, message: message.slice(0, MAX_MESSAGE) };
    }
  } catch {
    // not one of ours: BullMQ's own reason (e.g. "job stalled more than allowable limit")
  }
  return { name: 'QueueError', message: text.slice(0, MAX_MESSAGE) };
}
