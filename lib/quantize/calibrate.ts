// Calibration: run the float model on sample inputs, batch by batch, and let an observer per
// quantization point (placement.ts decides which layer outputs those are) choose its range.
// Each point's batch is reduced on the device to its exact min and max (and, for the methods
// that need values, a uniform sample of at most `sampleSize` values) before anything is read;
// values are released after their last consumer. Memory: one batch's live activations on the
// backend (checked against wasm's heap before the first batch) and a fixed-size sample per
// point in JavaScript, whatever the number of examples.
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataError, describe } from '../errors';
import { CheckedSource, DataSource, SourceOptions, checkedSource, readBatches, sourceCount } from '../data/source';
import { GraphHooks, GraphNode, modelGraph, requireLayersModel, runGraph } from '../core/graph';
import { Rng } from '../core/rng';
import { inputShapeOf } from '../train/model-output';
import { Observer, ObserverOptions, createObserver } from './observers';
import { ActivationPlacement, PointDecision, activationPoints } from './placement';
import { MemoryBudget, fitBatchSize } from './memory-budget';

/** Calibration inputs: any DataSource (targets, if present, are not used). */
export type CalibrationData = DataSource;

/** Options of {@link calibrateRanges} (`preprocessing`: how ImageSet pixels become inputs, as for any DataSource). */
export interface CalibrationOptions extends Pick<SourceOptions, 'preprocessing'> {
  readonly observer?: ObserverOptions;
  /** Examples used (default 1000). */
  readonly count?: number;
  /** Examples per forward pass (default 32, lowered to what fits in wasm's heap); memory grows with it. */
  readonly batchSize?: number;
  /** Where the points are (default 'fused'). */
  readonly placement?: ActivationPlacement;
  /** Layers left float (see activationPoints). */
  readonly skip?: readonly string[];
  /** Seed of the observers' samples (default 0). */
  readonly seed?: number;
  /** Called after each batch with the examples seen so far (progress). */
  readonly onBatch?: (examples: number) => void;
}

/** Default examples per calibration batch. */
export const CALIBRATION_BATCH_SIZE = 32;

/**
 * Throws a ConfigError unless the calibration batch size and example count are positive integers
 * (or absent). `count` names the option as the verb spells it (calibrationCount, count).
 */
export function checkCalibrationSizes(
  options: { readonly batchSize?: unknown; readonly count?: unknown },
  count: string,
  fn: string,
): void {
  const { batchSize, count: n } = options;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && (batchSize as number) > 0)) {
    throw new ConfigError(
      `${fn}: batchSize a positive integer, got ${describe(batchSize)}. Use e.g. ${CALIBRATION_BATCH_SIZE}.`,
    );
  }
  if (n !== undefined && !(Number.isInteger(n) && (n as number) > 0))
    throw new ConfigError(`${fn}: ${count} a positive integer, got ${describe(n)}. Use e.g. 1000, or omit it.`);
}

/** Calibration options as the verb checked them (checkCalibrationSizes), with the verb's name for messages. */
export type CheckedCalibrationOptions = CalibrationOptions & { readonly caller: string };

/**
 * Calls `fn(x)` on each calibration batch (tensors disposed after); returns the examples seen.
 * `passes`: forward passes the caller runs side by side on each batch (for the memory check).
 * The data and options were checked by the verb: nothing is checked again here.
 */
export async function forEachCalibrationBatch(
  model: tf.LayersModel,
  data: CheckedSource,
  options: CheckedCalibrationOptions & { readonly passes?: number },
  fn: (x: tf.Tensor) => void,
): Promise<{ examples: number; memory: MemoryBudget }> {
  const { caller } = options;
  const { batchSize, budget } = fitBatchSize(
    model,
    options.batchSize ?? CALIBRATION_BATCH_SIZE,
    options.passes ?? 1,
    options.batchSize !== undefined,
    caller,
  );
  let seen = 0;
  for await (const b of readBatches(data, {
    batchSize,
    limit: options.count ?? 1000,
    inputShape: inputShapeOf(model, caller),
    ...(options.preprocessing ? { preprocessing: options.preprocessing } : {}),
    targets: 'none', // calibration reads inputs only: unlabelled data serves
    caller,
  })) {
    fn(b.xs);
    seen += b.size;
    options.onBatch?.(seen);
  }
  if (seen === 0)
    throw new DataError(
      `${caller}: a non-empty calibration set, got ${describe(seen)} examples. Pass some example inputs (e.g. a slice of the training set).`,
    );
  return { examples: seen, memory: budget };
}

/** What {@link calibrate} found: each grid's range, the decisions, and the run's figures. */
export interface Calibration {
  /** Range of every layer output on a grid (points, and the value-moving layers after them), by layer name. */
  readonly ranges: Record<string, { min: number; max: number }>;
  readonly decisions: PointDecision[];
  readonly examples: number;
  readonly memory: MemoryBudget;
}

/** Feeds one point's batch to its observer: exact range and count, and a device-side uniform sample when the method needs values. */
function observeOnDevice(observer: Observer, y: tf.Tensor, rng: Rng, batches: number): void {
  // Each batch offers the reservoir about twice its share of the sample.
  const sampleSize = Math.max(4096, Math.ceil((2 * (observer.options.sampleSize ?? 1 << 17)) / batches));
  const [lo, hi, sample] = tf.tidy(() => {
    const flat = tf.reshape(y, [-1]);
    let s: tf.Tensor | undefined;
    if (observer.wantsSample) {
      // Random indices (not a stride, which could alias with the channel count and read one channel).
      s =
        y.size <= sampleSize
          ? flat
          : tf.gather(
              flat,
              tf.tensor1d(
                Int32Array.from({ length: sampleSize }, () => rng.int(y.size)),
                'int32',
              ),
            );
    }
    return [tf.min(flat), tf.max(flat), s];
  });
  const sampleValues = sample?.dataSync();
  observer.observeBatch({
    min: lo.dataSync()[0] as number,
    max: hi.dataSync()[0] as number,
    count: y.size,
    ...(sampleValues ? { sample: sampleValues } : {}),
  });
  tf.dispose([lo, hi, sample ?? []]);
}

/**
 * Calibrates the points of `model`: ranges of every grid, with the decisions and figures of the
 * run. `also`: hooks that read the same float forward passes (bias correction's input means), so
 * the data is read once for both. The verb checked the model, data and options.
 */
export async function calibrate(
  model: tf.LayersModel,
  data: CheckedSource,
  options: CheckedCalibrationOptions,
  also: Pick<GraphHooks, 'before'> = {},
): Promise<Calibration> {
  const graph: GraphNode[] = modelGraph(model, options.caller);
  const decisions = activationPoints(graph, { placement: options.placement, skip: options.skip });
  const method = options.observer ?? { method: 'minmax' };
  const observers = new Map(
    decisions
      .filter((d) => d.point)
      .map((d, i) => [d.layer, createObserver({ ...method, seed: (options.seed ?? 0) + i })]),
  );
  const rng = new Rng(options.seed ?? 0);
  const count = Math.min(options.count ?? 1000, sourceCount(data) ?? Infinity);
  const { examples, memory } = await forEachCalibrationBatch(model, data, options, (x) => {
    const batches = Number.isFinite(count) ? Math.ceil(count / (x.shape[0] as number)) : 16;
    tf.tidy(() => {
      runGraph(
        graph,
        x,
        {
          ...also,
          after: (node, y) => {
            const o = observers.get(node.name);
            if (o) observeOnDevice(o, y, rng, batches);
            return y;
          },
        },
        { release: true },
      );
    });
  });
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const d of decisions) if (d.grid) ranges[d.layer] = (observers.get(d.grid) as Observer).range();
  return { ranges, decisions, examples, memory };
}

/**
 * The range of every layer output that lies on a quantization grid, keyed by layer name: each
 * point's own (chosen by the observer, default minmax, from the calibration data), and its
 * grid's for the layers that only move values after it. Outputs fused into a following
 * activation have none (see activationPoints).
 * @example const ranges = await quantize.calibrateRanges(model, {xs}, {batchSize: 16}); ranges.relu1 // {min: 0, max: 5.9}
 */
export async function calibrateRanges(
  model: tf.LayersModel,
  data: CalibrationData,
  options: CalibrationOptions = {},
): Promise<Record<string, { min: number; max: number }>> {
  const caller = 'quantize.calibrateRanges';
  requireLayersModel(model, caller);
  const checked = checkedSource(data, caller);
  if (!options || typeof options !== 'object')
    throw new ConfigError(
      `${caller}: an options object such as {batchSize: 16}, got ${describe(options)}. Pass {} for the defaults.`,
    );
  checkCalibrationSizes(options, 'count', caller);
  return (await calibrate(model, checked, { ...options, caller })).ranges;
}
