// Calibration through ONNX Runtime: the float model runs on the calibration feeds with the values to
// quantize exposed as outputs, one feeds at a time, and each value goes to its own observer (the
// tfjs path's observers: minmax, moving-average, percentile, mse, entropy). Memory is bounded: one
// run's values are alive at a time, and each observer keeps a fixed-size sample (a reservoir).
import { DataError, describe } from '../errors';
import { Observer, ObserverOptions, createObserver } from '../quantize/observers';
import { OnnxData } from './feeds';
import { observeValues } from './ort';

/** What {@link calibrateValues} found. */
export interface OnnxCalibration {
  /** Range of each value, by name. */
  readonly ranges: Map<string, { min: number; max: number }>;
  /** Values never produced on this data (inside an If branch not taken). */
  readonly unobserved: string[];
  readonly examples: number;
}

/**
 * Calibrates the ranges of `values` of the model `bytes` on `data` (at most `count` feeds).
 * @example (await calibrateValues(bytes, ['relu_1'], feeds, {observer: {method: 'percentile'}})).ranges.get('relu_1')
 */
export async function calibrateValues(
  bytes: Uint8Array,
  values: readonly string[],
  data: OnnxData,
  options: { readonly observer?: ObserverOptions; readonly count?: number; readonly seed?: number } = {},
): Promise<OnnxCalibration> {
  const method = options.observer ?? { method: 'minmax' as const };
  const observers = new Map<string, Observer>(
    values.map((v, i) => [v, createObserver({ ...method, seed: (options.seed ?? 0) + i })]),
  );
  const examples = await observeValues(
    bytes,
    values,
    data,
    (run) => {
      for (const [name, v] of run) {
        const o = observers.get(name) as Observer;
        let lo = Infinity;
        let hi = -Infinity;
        const d = v.data;
        for (let i = 0; i < d.length; i++) {
          const x = d[i] as number;
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
        if (d.length && !(Number.isFinite(lo) && Number.isFinite(hi)))
          throw new DataError(
            `onnx.quantize: finite activations, got ${describe(lo)}..${describe(hi)} in "${name}". Check the calibration inputs for NaN/Infinity.`,
          );
        o.observeBatch({ min: lo, max: hi, count: d.length, ...(o.wantsSample ? { sample: d } : {}) });
      }
    },
    { limit: options.count ?? 100, fn: 'onnx.quantize' },
  );
  if (examples === 0)
    throw new DataError(
      `onnx.quantize: calibration feeds, got none. Pass a few representative inputs (e.g. 32 of your images).`,
    );
  const ranges = new Map<string, { min: number; max: number }>();
  const unobserved: string[] = [];
  for (const [name, o] of observers) {
    if (o.count === 0) unobserved.push(name);
    else ranges.set(name, o.range());
  }
  return { ranges, unobserved, examples };
}
