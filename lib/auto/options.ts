// The options of `auto.search`, validated at the boundary: the runtime the model will run on, what
// to minimise (its latency there, or its file size), the largest accuracy drop allowed, a time
// budget, and the search's knobs (channel-pruning levels, how many layers the INT8 fallback ranks).
import { ConfigError, describe } from '../errors';
import type { PruneTarget } from '../prune/tiles';
import type { Executor } from '../exec/executor';

/** Where the compressed model will run (its latency is measured there). */
export type AutoTarget = 'ort' | 'ort-web' | 'tfjs-wasm' | 'tflite';
export const AUTO_TARGETS: readonly AutoTarget[] = ['ort', 'ort-web', 'tfjs-wasm', 'tflite'];

/** What the search minimises under the accuracy constraint. */
export type AutoGoal = 'latency' | 'size';
export const AUTO_GOALS: readonly AutoGoal[] = ['latency', 'size'];

/** Options of {@link search}. */
export interface AutoOptions {
  /**
   * The runtime the model is meant for: its measured tile aligns pruned channels, its timings are the latency.
   * 'ort-web' times onnxruntime-web (wasm, one thread) in headless Chromium and scores accuracy in ONNX Runtime
   * for Node (the same .onnx file, the same outputs).
   */
  readonly target: AutoTarget;
  /** 'latency' (default): the fastest model on `target`; 'size': the smallest deployable file. */
  readonly goal?: AutoGoal;
  /** Largest accuracy drop allowed (a fraction: 0.01 = 1 point), checked on the held-out data. */
  readonly maxDrop: number;
  /** Seconds after which no new evaluation starts (default: none). */
  readonly budgetSeconds?: number;
  /** Channel-pruning levels tried (fractions of each group's channels), default [0.25, 0.5]. */
  readonly sparsities?: readonly number[];
  /** Sparsity each layer is probed at alone to measure its sensitivity (default the largest level). */
  readonly probeSparsity?: number;
  /** INT8 fallback: how many quantized layers (those with the lowest output SQNR) are ranked by their effect on accuracy (default 8). */
  readonly rankLayers?: number;
  /** With training data: epochs of distillation from the original model after pruning (default 1). */
  readonly fineTuneEpochs?: number;
  /** Calibration examples for static INT8 (default 256). */
  readonly calibrationCount?: number;
  /** Batch size of the latency measurements (default 1). */
  readonly batchSize?: number;
  /** Interleaved benchmark rounds per candidate, each against the original (default 5). */
  readonly rounds?: number;
  /** Folder of the journal: finished evaluations are kept there and not redone when a search resumes. */
  readonly journalDir?: string;
  readonly seed?: number;
  /** Each finished (or reused) evaluation, for progress. */
  readonly onEvaluation?: (text: string) => void;
  /**
   * Runs the accuracy-only probes (channel sensitivity, the INT8 layers' ranking) in parallel as
   * `auto.probe` jobs (exec.createExecutor: worker threads, or BullMQ workers). Timings stay serial
   * in this process. The caller owns it (and closes it). Default: every probe here, one by one.
   */
  readonly executor?: Executor;
}

/** The options with every default filled in. */
export type ResolvedAutoOptions = Required<
  Omit<AutoOptions, 'budgetSeconds' | 'journalDir' | 'onEvaluation' | 'executor'>
> &
  Pick<AutoOptions, 'budgetSeconds' | 'journalDir' | 'onEvaluation' | 'executor'>;

const FN = 'auto.search';

const fractionList = (v: unknown): v is readonly number[] =>
  Array.isArray(v) && v.length >= 1 && v.length <= 8 && v.every((s) => typeof s === 'number' && s > 0 && s < 0.95);

const intIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** The prune target that aligns kept channels for `target` (onnxruntime-web runs ONNX Runtime's kernels, compiled to wasm). */
export function pruneTargetOf(target: AutoTarget): PruneTarget {
  return target === 'ort-web' ? 'ort' : target;
}

/** True when `target` runs the .onnx file. */
export const isOnnxTarget = (target: AutoTarget): boolean => target === 'ort' || target === 'ort-web';

/**
 * Validates `options` (own properties only) and fills in the defaults.
 * @example resolveAutoOptions({target: 'ort', maxDrop: 0.01}).sparsities // [0.25, 0.5]
 */
export function resolveAutoOptions(options: AutoOptions): ResolvedAutoOptions {
  if (options === null || typeof options !== 'object')
    throw new ConfigError(
      `${FN}: an options object, got ${describe(options)}. Pass e.g. {target: 'ort', maxDrop: 0.01}.`,
    );
  const own = (k: keyof AutoOptions): unknown => (Object.hasOwn(options, k) ? options[k] : undefined);
  const target = own('target');
  if (!AUTO_TARGETS.includes(target as AutoTarget))
    throw new ConfigError(`${FN}: target one of ${AUTO_TARGETS.join(', ')}, got ${describe(target)}. Use e.g. 'ort'.`);
  const goal = own('goal') ?? 'latency';
  if (!AUTO_GOALS.includes(goal as AutoGoal))
    throw new ConfigError(`${FN}: goal 'latency' or 'size', got ${describe(goal)}. Use 'latency'.`);
  const maxDrop = own('maxDrop');
  if (!(typeof maxDrop === 'number' && maxDrop >= 0 && maxDrop < 1))
    throw new ConfigError(`${FN}: maxDrop a fraction in [0, 1), got ${describe(maxDrop)}. Use e.g. 0.01 (one point).`);
  const budget = own('budgetSeconds');
  if (budget !== undefined && !(typeof budget === 'number' && budget > 0 && budget <= 7 * 24 * 3600))
    throw new ConfigError(`${FN}: budgetSeconds in (0, 604800], got ${describe(budget)}. Use e.g. 1800 (30 minutes).`);
  const sparsities = own('sparsities') ?? [0.25, 0.5];
  if (!fractionList(sparsities))
    throw new ConfigError(
      `${FN}: sparsities 1 to 8 fractions in (0, 0.95), got ${describe(sparsities)}. Use e.g. [0.25, 0.5].`,
    );
  const probe = own('probeSparsity') ?? Math.max(...sparsities);
  if (!(typeof probe === 'number' && probe > 0 && probe < 0.95))
    throw new ConfigError(`${FN}: probeSparsity in (0, 0.95), got ${describe(probe)}. Use e.g. 0.5.`);
  const checkInt = (k: keyof AutoOptions, d: number, min: number, max: number): number => {
    const v = own(k) ?? d;
    if (!intIn(v, min, max))
      throw new ConfigError(`${FN}: ${k} an integer in [${min}, ${max}], got ${describe(v)}. Use ${d}.`);
    return v;
  };
  const journalDir = own('journalDir');
  if (
    journalDir !== undefined &&
    !(typeof journalDir === 'string' && journalDir.length > 0 && journalDir.length < 4096)
  )
    throw new ConfigError(`${FN}: journalDir a folder path, got ${describe(journalDir)}. Use e.g. './auto-out'.`);
  const onEvaluation = own('onEvaluation');
  if (onEvaluation !== undefined && typeof onEvaluation !== 'function')
    throw new ConfigError(
      `${FN}: onEvaluation a function, got ${describe(onEvaluation)}. Pass (text) => ... or leave it out.`,
    );
  const executor = own('executor');
  if (
    executor !== undefined &&
    !(executor !== null && typeof executor === 'object' && typeof (executor as Executor).run === 'function')
  )
    throw new ConfigError(
      `${FN}: executor an executor (exec.createExecutor()), got ${describe(executor)}. Create one or leave it out.`,
    );
  return {
    target: target as AutoTarget,
    goal: goal as AutoGoal,
    maxDrop,
    sparsities: [...sparsities].sort((a, b) => a - b),
    probeSparsity: probe,
    rankLayers: checkInt('rankLayers', 8, 1, 1000),
    calibrationCount: checkInt('calibrationCount', 256, 1, 100_000),
    fineTuneEpochs: checkInt('fineTuneEpochs', 1, 1, 100),
    batchSize: checkInt('batchSize', 1, 1, 1024),
    rounds: checkInt('rounds', 5, 1, 50),
    seed: checkInt('seed', 0, 0, 2 ** 31 - 1),
    ...(budget !== undefined ? { budgetSeconds: budget } : {}),
    ...(journalDir !== undefined ? { journalDir } : {}),
    ...(onEvaluation !== undefined ? { onEvaluation: onEvaluation as (text: string) => void } : {}),
    ...(executor !== undefined ? { executor: executor as Executor } : {}),
  };
}
