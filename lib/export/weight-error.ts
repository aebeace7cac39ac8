// How much a stored weight lost, per channel: one quantization scale for a whole tensor serves
// its widest channel, and can round a narrow channel to a few levels (or to zero) while the
// tensor's overall SQNR still looks fine. The channel axis is the registry's per-channel axis for
// kernels, else the last axis.
import * as tf from '@tensorflow/tfjs';
import { layerEntry } from '../core/layers';

/** SQNR of a decoded weight, overall and for its worst channel (plain numbers; Infinity when exact). */
export interface WeightError {
  readonly sqnrDb: number;
  readonly minChannelSqnrDb: number;
  /** Index of the worst channel (0 for a weight without a channel axis). */
  readonly worstChannel: number;
}

const db = (signal: number, noise: number) =>
  noise === 0 ? Infinity : signal === 0 ? -Infinity : 10 * Math.log10(signal / noise);

/**
 * Overall and worst-channel SQNR of `decoded` against `values` (shape `shape`), channels along `axis`.
 * @example weightError(Float32Array.of(1, 0.01), Float32Array.of(1, 0), [1, 2], 1).minChannelSqnrDb // 0 (the second channel lost)
 */
export function weightError(
  values: Float32Array,
  decoded: Float32Array,
  shape: readonly number[],
  axis?: number,
): WeightError {
  const channels = axis === undefined ? 1 : (shape[axis] as number);
  const inner = axis === undefined ? values.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const signal = new Float64Array(channels);
  const noise = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    const v = values[i] as number;
    const d = v - (decoded[i] as number);
    signal[c]! += v * v;
    noise[c]! += d * d;
  }
  let worst = 0;
  let min = Infinity;
  for (let c = 0; c < channels; c++) {
    const s = db(signal[c] as number, noise[c] as number);
    if (s < min) {
      min = s;
      worst = c;
    }
  }
  const total = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
  return { sqnrDb: db(total(signal), total(noise)), minChannelSqnrDb: min, worstChannel: worst };
}

/** The per-channel axis of each layer's kernel, by saved weight name (`layer/kernel`). */
export function channelAxes(model: tf.LayersModel): Map<string, number | undefined> {
  const out = new Map<string, number | undefined>();
  for (const layer of model.layers) {
    const entry = layerEntry(layer.getClassName());
    const k = entry?.kernel ? layer.weights[entry.kernel.index] : undefined;
    if (k && entry?.quantizeAxis) out.set(k.originalName, entry.quantizeAxis(k.shape as number[]));
  }
  return out;
}
