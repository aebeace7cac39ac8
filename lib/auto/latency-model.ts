// A model of latency learned from the search's own measurements (HAQ and AMC measure latency on the
// hardware instead of counting MACs; a fitted model says how far MACs alone go): latency =
// c0 + c1 * float MACs + c2 * INT8 MACs, least squares over every timed candidate. Its error is
// measured honestly by leave-one-out: each candidate is predicted by the model fitted without it,
// and the median of |predicted - measured| / measured is reported.

/** One timed candidate. */
export interface LatencyPoint {
  readonly floatMacs: number;
  readonly int8Macs: number;
  readonly latencyMs: number;
}

/** The fitted model and its leave-one-out error. */
export interface LatencyModel {
  /** ms = intercept + msPerMegaMac.float * float MMACs + msPerMegaMac.int8 * INT8 MMACs. */
  readonly intercept: number;
  readonly msPerMegaMac: { readonly float: number; readonly int8: number };
  readonly points: number;
  /** Median over the points of |leave-one-out prediction - measurement| / measurement, in percent. */
  readonly medianAbsErrorPct: number;
}

const features = (p: LatencyPoint): number[] => [1, p.floatMacs / 1e6, p.int8Macs / 1e6];

/** Ridge-regularised least squares (lambda tiny: it only keeps a feature that never varies from breaking the solve). */
function fit(points: readonly LatencyPoint[]): number[] {
  const k = 3;
  const a = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const b = new Array<number>(k).fill(0);
  for (const p of points) {
    const x = features(p);
    for (let i = 0; i < k; i++) {
      b[i] = (b[i] as number) + (x[i] as number) * p.latencyMs;
      for (let j = 0; j < k; j++)
        (a[i] as number[])[j] = ((a[i] as number[])[j] as number) + (x[i] as number) * (x[j] as number);
    }
  }
  for (let i = 1; i < k; i++) (a[i] as number[])[i] = ((a[i] as number[])[i] as number) + 1e-9;
  // Gaussian elimination with partial pivoting.
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++)
      if (Math.abs((a[r] as number[])[c] as number) > Math.abs((a[piv] as number[])[c] as number)) piv = r;
    [a[c], a[piv]] = [a[piv] as number[], a[c] as number[]];
    [b[c], b[piv]] = [b[piv] as number, b[c] as number];
    const d = (a[c] as number[])[c] as number;
    if (Math.abs(d) < 1e-12) continue;
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = ((a[r] as number[])[c] as number) / d;
      for (let j = c; j < k; j++)
        (a[r] as number[])[j] = ((a[r] as number[])[j] as number) - f * ((a[c] as number[])[j] as number);
      b[r] = (b[r] as number) - f * (b[c] as number);
    }
  }
  return b.map((v, i) => {
    const d = (a[i] as number[])[i] as number;
    return Math.abs(d) < 1e-12 ? 0 : v / d;
  });
}

const predict = (w: readonly number[], p: LatencyPoint) => features(p).reduce((s, x, i) => s + x * (w[i] as number), 0);

/**
 * The latency model of `points`, or undefined with fewer than 4 (leave-one-out needs three to fit).
 * @example fitLatencyModel([{floatMacs: 1e6, int8Macs: 0, latencyMs: 1}, ...])?.medianAbsErrorPct
 */
export function fitLatencyModel(points: readonly LatencyPoint[]): LatencyModel | undefined {
  if (points.length < 4) return undefined;
  const w = fit(points);
  const errors = points.map((p, i) => {
    const rest = points.filter((_, j) => j !== i);
    return (Math.abs(predict(fit(rest), p) - p.latencyMs) / p.latencyMs) * 100;
  });
  const s = [...errors].sort((x, y) => x - y);
  const m = s.length >> 1;
  const med = s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  return {
    intercept: w[0] as number,
    msPerMegaMac: { float: w[1] as number, int8: w[2] as number },
    points: points.length,
    medianAbsErrorPct: med,
  };
}

/** The model's prediction for a point (ms). */
export function predictLatency(m: LatencyModel, p: Omit<LatencyPoint, 'latencyMs'>): number {
  return m.intercept + (m.msPerMegaMac.float * p.floatMacs) / 1e6 + (m.msPerMegaMac.int8 * p.int8Macs) / 1e6;
}
