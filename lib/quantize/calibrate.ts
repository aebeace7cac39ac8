// Calibration: run the float model on sample inputs, batch by batch, and let an observer per
// quantization point (the model input and each layer output) choose its range. Values are
// observed as soon as a layer produces them and released after their last consumer, so memory is
// bounded by one batch's live activations, whatever the number of examples.
import * as tf from '@tensorflow/tfjs';
import { DataError, describe } from '../errors';
import { DataSource, batchesOf, checkSource } from '../data/source';
import { GraphNode, modelGraph, runGraph } from '../core/graph';
import { inputShapeOf } from '../train/model-output';
import { ObserverOptions, createObserver } from './observers';
import { PASS_THROUGH } from './plan';

/** Calibration inputs: any DataSource (targets, if present, are not used). */
export type CalibrationData = DataSource;

/** Options of {@link calibrateRanges}. */
export interface CalibrationOptions {
  readonly observer?: ObserverOptions;
  /** Examples used (default 1000). */
  readonly count?: number;
  /** Examples per forward pass (default 32); memory grows with it. */
  readonly batchSize?: number;
  /** ImageSet pixel scaling. */
  readonly mean?: number;
  readonly std?: number;
}

/** Layers whose outputs get their own range (the rest inherit their input's). */
export function quantizationPoints(graph: readonly GraphNode[]): GraphNode[] {
  return graph.filter((n) => !PASS_THROUGH.has(n.className));
}

/** Calls `fn(x)` on each calibration batch (tensors disposed after); returns the examples seen. */
export async function forEachCalibrationBatch(model: tf.LayersModel, data: CalibrationData, options: CalibrationOptions, fn: (x: tf.Tensor) => void): Promise<number> {
  checkSource(data, 'calibrate');
  let seen = 0;
  for await (const b of batchesOf(data, { batchSize: options.batchSize ?? 32, limit: options.count ?? 1000, inputShape: inputShapeOf(model, 'calibrate'), mean: options.mean, std: options.std, caller: 'calibrate' })) {
    fn(b.xs);
    seen += b.size;
  }
  if (seen === 0) throw new DataError(`calibrate: a non-empty calibration set, got ${describe(seen)} examples. Pass some example inputs (e.g. a slice of the training set).`);
  return seen;
}

/**
 * The range of every quantization point of `model` (keyed by layer name; pass-through layers
 * get their input's range), chosen by the observer (default minmax) from the calibration data.
 */
export async function calibrateRanges(model: tf.LayersModel, data: CalibrationData, options: CalibrationOptions = {}): Promise<Record<string, { min: number; max: number }>> {
  const graph = modelGraph(model, 'calibrate');
  const points = new Set(quantizationPoints(graph).map((n) => n.name));
  const observers = new Map([...points].map((n) => [n, createObserver(options.observer ?? { method: 'minmax' })]));
  await forEachCalibrationBatch(model, data, options, (x) => {
    tf.tidy(() => {
      runGraph(graph, x, { after: (node, y) => {
        if (points.has(node.name)) observers.get(node.name)?.observe(y.dataSync());
        return y;
      } }, { release: true });
    });
  });
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const node of graph) {
    const own = observers.get(node.name);
    ranges[node.name] = own ? own.range() : ranges[node.inputs[0] as string] as { min: number; max: number };
  }
  return ranges;
}
