// Calibration: run the float model on sample inputs, record every quantization point's
// activations (the model input and each layer output) and let an observer choose each range.
import * as tf from '@tensorflow/tfjs';
import { DataError, describe } from '../errors';
import { Dataset } from '../data/dataset';
import { InputLayout, toTensors } from '../data/tensors';
import { GraphNode, modelGraph, runGraph } from './model-graph';
import { ObserverOptions, createObserver } from './observers';
import { PASS_THROUGH } from './plan';

/** Calibration inputs: a data set (its first `count` examples) or a tensor of inputs (borrowed). */
export type CalibrationData = Dataset | tf.Tensor;

/** Options of {@link calibrateRanges}. */
export interface CalibrationOptions {
  readonly observer?: ObserverOptions;
  /** Examples used from a Dataset (default 1000). */
  readonly count?: number;
  readonly batchSize?: number;
  readonly layout?: InputLayout;
}

/** Layers whose outputs get their own range (the rest inherit their input's). */
export function quantizationPoints(graph: readonly GraphNode[]): GraphNode[] {
  return graph.filter((n) => !PASS_THROUGH.has(n.className));
}

/** Calls `fn(x)` on each calibration batch (tensors disposed after). */
export function forEachCalibrationBatch(data: CalibrationData, options: CalibrationOptions, layout: InputLayout, fn: (x: tf.Tensor) => void): number {
  const batchSize = options.batchSize ?? 250;
  if (data instanceof tf.Tensor) {
    if (data.size === 0 || data.shape[0] === 0) throw new DataError(`calibrate: a non-empty calibration set, got shape [${data.shape.join(', ')}]. Pass some example inputs.`);
    const n = data.shape[0] as number;
    for (let s = 0; s < n; s += batchSize) {
      const x = tf.slice(data, s, Math.min(batchSize, n - s));
      fn(x);
      x.dispose();
    }
    return n;
  }
  const count = Math.min(options.count ?? 1000, data.count);
  if (!(count > 0)) throw new DataError(`calibrate: a non-empty calibration set, got ${describe(count)} examples. Pass a Dataset with examples (e.g. a slice of the training set).`);
  for (let s = 0; s < count; s += batchSize) {
    const b = toTensors(data, { layout, start: s, end: Math.min(count, s + batchSize) });
    fn(b.x);
    tf.dispose([b.x, b.y]);
  }
  return count;
}

/**
 * The range of every quantization point of `model` (keyed by layer name; pass-through layers
 * get their input's range), chosen by the observer (default minmax) from the calibration data.
 */
export function calibrateRanges(model: tf.LayersModel, data: CalibrationData, options: CalibrationOptions = {}): Record<string, { min: number; max: number }> {
  const graph = modelGraph(model, 'calibrate');
  const points = new Set(quantizationPoints(graph).map((n) => n.name));
  const observers = new Map([...points].map((n) => [n, createObserver(options.observer ?? { method: 'minmax' })]));
  const layout = options.layout ?? ((graph[0]?.outputShape.length ?? 1) === 3 ? 'image' : 'flat');
  forEachCalibrationBatch(data, options, layout, (x) => {
    const recorded: [string, tf.Tensor][] = [];
    const out = tf.tidy(() => runGraph(graph, x, { after: (node, y) => {
      if (points.has(node.name)) recorded.push([node.name, tf.keep(y)]);
      return y;
    } }));
    for (const [name, y] of recorded) {
      observers.get(name)?.observe(y.dataSync());
      if (y !== x) y.dispose();
    }
    if (!recorded.some(([, y]) => y === out)) out.dispose();
  });
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const node of graph) {
    const own = observers.get(node.name);
    ranges[node.name] = own ? own.range() : ranges[node.inputs[0] as string] as { min: number; max: number };
  }
  return ranges;
}
