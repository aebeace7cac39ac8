// The messages between the server's main thread and its inference workers, and how typed errors
// cross the thread boundary (structured clone keeps neither classes nor prototypes).
import * as os from 'os';
import { CompressionError, ConfigError, DataError, ExportError, ShapeError, UnsupportedLayerError } from '../errors';
import type { ResolvedPreprocessing } from '../data/preprocess';
import type { AnswerRequest, EncodedAnswers } from './answer';
import { ContractError, ImageLayout, ServingContract } from './contract';
import type { BodyKind } from './decode';
import type { RunnerOptions } from './model-runner';
import type { VersionSource } from './registry';
import { RequestError } from './request-error';
import type { PredictInput } from './validate';

/** A JSON body to parse and validate against the model's input `shape`, as the chunks it came in. */
export interface DecodeJob {
  readonly kind: BodyKind;
  readonly chunks: readonly Uint8Array[];
  readonly shape: readonly number[];
  readonly maxBatch: number;
}

/** Decoded images (`count` uint8 NHWC pixel arrays of `layout`) to preprocess into model inputs. */
export interface PixelsJob {
  readonly pixels: Uint8Array;
  readonly count: number;
  readonly layout: ImageLayout;
  readonly preprocessing: ResolvedPreprocessing;
}

/** What the main thread asks a worker to do. */
export type WorkerCommand =
  | { readonly op: 'load'; readonly key: string; readonly source: VersionSource; readonly options: RunnerOptions }
  | {
      readonly op: 'run';
      readonly key: string;
      readonly values: Float32Array;
      readonly count: number;
      readonly answer?: AnswerRequest;
    }
  | { readonly op: 'unload'; readonly key: string }
  | ({ readonly op: 'decode' } & DecodeJob)
  | ({ readonly op: 'pixels' } & PixelsJob)
  | { readonly op: 'stats' };

/** A command with the `id` that pairs it with its reply. */
export type WorkerRequest = WorkerCommand & { readonly id: number };

/** The value of a successful reply. */
export type WorkerValue = ServingContract | RunResult | ExecutorStats | PredictInput | Float32Array | null;

/** A batch's answer: probabilities (row-major), the encoded answers when asked for, and the time the worker spent computing them. */
export interface RunResult {
  readonly output: Float32Array;
  readonly answers?: EncodedAnswers;
  readonly computeMs: number;
  /** Time spent encoding the answers (ms), after the compute. */
  readonly encodeMs?: number;
}

/** The ArrayBuffers of a result, to transfer instead of copy. */
export function resultTransfer(r: RunResult): ArrayBuffer[] {
  return [
    r.output.buffer as ArrayBuffer,
    ...(r.answers
      ? [r.answers.labels.buffer as ArrayBuffer, ...r.answers.bodies.map((b) => b.buffer as ArrayBuffer)]
      : []),
  ];
}

/** What one executor slot holds (for leak checks and /metrics). */
export interface ExecutorStats {
  /** tf.memory() of the thread: live tensors and their bytes. */
  readonly numTensors: number;
  readonly numBytes: number;
  /** Loaded model keys. */
  readonly models: string[];
  readonly heapUsedBytes: number;
  /** Nice value of the thread that computes (Linux: per thread; elsewhere the process's). */
  readonly nice: number;
}

/** The calling thread's nice value on Linux (the process's elsewhere). */
export function threadNice(): number {
  return os.getPriority(0);
}

/** A typed error as plain data. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly file?: string;
  /** A RequestError's HTTP status. */
  readonly status?: number;
}

/** A worker's reply. */
export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: WorkerValue }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError }
  | { readonly id: -1; readonly ok: true; readonly value: 'ready' };

/** Plain data of an error (name, message, file). */
export function serializeError(e: unknown): SerializedError {
  if (e instanceof RequestError) return { name: e.name, message: e.message, status: e.status };
  if (e instanceof Error)
    return { name: e.name, message: e.message, ...(e instanceof DataError && e.file ? { file: e.file } : {}) };
  return { name: 'Error', message: String(e) };
}

const CLASSES: Record<string, new (message: string) => CompressionError> = {
  ConfigError,
  ShapeError,
  ContractError,
  ExportError,
  UnsupportedLayerError: UnsupportedLayerError as new (message: string) => CompressionError,
};

/** The error again, as its library class when it was one (other errors come back as Error). */
export function reviveError(s: SerializedError): Error {
  if (s.name === 'DataError') return new DataError(s.message, s.file);
  if (s.name === 'RequestError') return new RequestError(s.message, s.status);
  const Cls = CLASSES[s.name];
  if (Cls) return new Cls(s.message);
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}
