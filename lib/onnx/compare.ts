// A compressed ONNX model against the float one, on the same feeds: for every graph output, the
// largest and the mean absolute difference, and the top-1 agreement (rows along the last axis
// whose argmax is the same) for outputs named in `top1`, or, by default, for outputs whose rows
// are probability distributions in the float model (softmax over classes or characters).
import { ConfigError, DataError, describe } from '../errors';
import { ortSession } from '../export/onnx/runtime';
import { OnnxData, eachFeeds, ortFeeds, runSession } from './feeds';

/** One output compared. */
export interface OutputComparison {
  readonly name: string;
  /** Elements compared (all runs). */
  readonly elements: number;
  readonly maxAbsDiff: number;
  readonly meanAbsDiff: number;
  /** Rows along the last axis whose argmax agrees, as a fraction (for class or character outputs). */
  readonly top1Agreement?: number;
  readonly rows?: number;
}

/** What {@link compareOutputs} measured. */
export interface OnnxComparison {
  readonly examples: number;
  readonly outputs: OutputComparison[];
}

/** Options of {@link compareOutputs}. */
export interface CompareOptions {
  /** Feeds compared at most (default 32). */
  readonly limit?: number;
  /** Outputs whose top-1 agreement is measured; default: those whose float rows are probability distributions. */
  readonly top1?: readonly string[];
}

function isDistribution(data: Float32Array, width: number): boolean {
  if (width < 2 || data.length % width !== 0) return false;
  for (let r = 0; r < data.length; r += width) {
    let sum = 0;
    for (let j = 0; j < width; j++) {
      const v = data[r + j] as number;
      if (!(v >= 0 && v <= 1)) return false;
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

function argmaxRow(data: Float32Array, at: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if ((data[at + j] as number) > (data[at + best] as number)) best = j;
  return best;
}

interface Tally {
  elements: number;
  maxAbs: number;
  sumAbs: number;
  top1?: boolean;
  rows: number;
  agree: number;
}

/**
 * Runs both models on each feeds (at most `limit`) and compares every output.
 * @example (await compareOutputs(fp32, int8, [{x: {data, dims: [1, 3, 48, 320]}}])).outputs[0].maxAbsDiff
 */
export async function compareOutputs(
  reference: Uint8Array,
  candidate: Uint8Array,
  data: OnnxData,
  options: CompareOptions = {},
): Promise<OnnxComparison> {
  const limit = options.limit ?? 32;
  if (!(Number.isInteger(limit) && limit >= 1))
    throw new ConfigError(`onnx.compareOutputs: limit a positive integer, got ${describe(limit)}. Use e.g. 32.`);
  const ref = await ortSession(reference);
  const cand = await ortSession(candidate);
  const tallies = new Map<string, Tally>();
  let examples = 0;
  try {
    const missing = ref.outputNames.filter((n) => !cand.outputNames.includes(n));
    if (missing.length)
      throw new DataError(
        `onnx.compareOutputs: the same outputs in both models, got ${missing.join(', ')} missing from the compressed one. Compare a model with the one it came from.`,
      );
    for await (const f of eachFeeds(data, 'onnx.compareOutputs', limit)) {
      const a = await runSession(ref, ortFeeds(ref, f, 'onnx.compareOutputs'), 'onnx.compareOutputs');
      const b = await runSession(cand, ortFeeds(cand, f, 'onnx.compareOutputs'), 'onnx.compareOutputs');
      for (const name of ref.outputNames) {
        const x = a[name];
        const y = b[name];
        if (!x || !y || x.type !== 'float32' || y.type !== 'float32') continue;
        const xd = x.data as Float32Array;
        const yd = y.data as Float32Array;
        if (xd.length !== yd.length)
          throw new DataError(
            `onnx.compareOutputs: output "${name}" of the same size in both models, got ${xd.length} and ${yd.length} values. Compare a model with the one it came from.`,
          );
        const width = (x.dims[x.dims.length - 1] as number) ?? 1;
        const t = tallies.get(name) ?? { elements: 0, maxAbs: 0, sumAbs: 0, rows: 0, agree: 0 };
        t.top1 ??= options.top1 ? options.top1.includes(name) : isDistribution(xd, width);
        for (let i = 0; i < xd.length; i++) {
          const d = Math.abs((xd[i] as number) - (yd[i] as number));
          if (d > t.maxAbs || Number.isNaN(d)) t.maxAbs = Number.isNaN(d) ? Infinity : d;
          t.sumAbs += d;
        }
        t.elements += xd.length;
        if (t.top1 && width >= 1)
          for (let r = 0; r < xd.length; r += width) {
            t.rows++;
            if (argmaxRow(xd, r, width) === argmaxRow(yd, r, width)) t.agree++;
          }
        tallies.set(name, t);
      }
      examples++;
    }
  } finally {
    await ref.release();
    await cand.release();
  }
  if (examples === 0)
    throw new DataError(`onnx.compareOutputs: at least one feeds to run, got none. Pass some example inputs.`);
  return {
    examples,
    outputs: [...tallies].map(([name, t]) => ({
      name,
      elements: t.elements,
      maxAbsDiff: t.maxAbs,
      meanAbsDiff: t.sumAbs / Math.max(1, t.elements),
      ...(t.top1 ? { top1Agreement: t.agree / Math.max(1, t.rows), rows: t.rows } : {}),
    })),
  };
}
