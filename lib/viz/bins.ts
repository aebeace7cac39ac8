// Histogram bins computed before a figure is stored: a chart of 200,000 weights keeps 80 counts,
// not 200,000 numbers. Several series share one set of edges so overlaid bars line up, and the
// bin width is a "nice" number (1, 2, 2.5 or 5 times a power of ten), as Plotly picks its own.

/** Shared bin edges and each series' counts. */
export interface Bins {
  /** First edge. */
  readonly start: number;
  /** Bin width. */
  readonly size: number;
  /** Bin centres (length = number of bins). */
  readonly centres: number[];
  /** Counts per series, one array per input series. */
  readonly counts: number[][];
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}

/**
 * Counts of every series in at most about `nbins` shared bins of a nice width; non-finite values
 * are skipped. Bins are [a, b) except the last, which includes its upper edge.
 * @example histogramBins([[0, 1, 1, 2]], 2) // {start: 0, size: 1, centres: [0.5, 1.5, 2.5], counts: [[1, 2, 1]]}
 */
export function histogramBins(series: readonly ArrayLike<number>[], nbins = 80): Bins {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of series) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) return { start: 0, size: 1, centres: [], counts: series.map(() => []) };
  const size = hi > lo ? niceStep((hi - lo) / Math.max(1, nbins)) : Math.abs(lo) > 0 ? niceStep(Math.abs(lo) / 10) : 1;
  const start = Math.floor(lo / size) * size;
  const n = Math.max(1, Math.floor((hi - start) / size + 1e-9) + 1);
  const centres = Array.from({ length: n }, (_, k) => +(start + (k + 0.5) * size).toPrecision(12));
  const counts = series.map((values) => {
    const c = new Array<number>(n).fill(0);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!Number.isFinite(v)) continue;
      c[Math.min(n - 1, Math.max(0, Math.floor((v - start) / size + 1e-9)))]! += 1;
    }
    return c;
  });
  return { start, size, centres, counts };
}
