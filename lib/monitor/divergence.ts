// Distances between a reference distribution and a recent one, over the same bins.
// PSI (population stability index) = sum_i (a_i - e_i) ln(a_i / e_i): a symmetric KL, with the
// usual reading < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 significant shift (Siddiqi 2006,
// "Credit Risk Scorecards"; also the default drift statistic in many monitoring tools).
import { ConfigError, describe } from '../errors';

/**
 * Bin proportions from counts with additive (Laplace) smoothing `alpha`, so an empty bin gives a
 * finite log ratio instead of infinity.
 * @example smoothedProportions([3, 1], 0.5) // [0.7, 0.3]
 */
export function smoothedProportions(counts: ArrayLike<number>, alpha = 0.5): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  const denom = total + alpha * counts.length;
  const out: number[] = [];
  for (let i = 0; i < counts.length; i++) out.push(((counts[i] as number) + alpha) / denom);
  return out;
}

function checkPair(fn: string, p: ArrayLike<number>, q: ArrayLike<number>): void {
  if (p.length !== q.length || p.length === 0) {
    throw new ConfigError(
      `${fn}: two non-empty distributions over the same bins, got lengths ${p.length} and ${q.length}. Bin both with the same edges.`,
    );
  }
  for (let i = 0; i < p.length; i++) {
    if (!((p[i] as number) > 0) || !((q[i] as number) > 0)) {
      throw new ConfigError(
        `${fn}: strictly positive proportions, got ${describe(p[i])} and ${describe(q[i])} at bin ${i}. Use smoothedProportions on counts.`,
      );
    }
  }
}

/**
 * Population stability index between expected proportions `e` and actual proportions `a`.
 * @example psi([0.5, 0.5], [0.5, 0.5]) // 0
 */
export function psi(e: ArrayLike<number>, a: ArrayLike<number>): number {
  checkPair('psi', e, a);
  let s = 0;
  for (let i = 0; i < e.length; i++)
    s += ((a[i] as number) - (e[i] as number)) * Math.log((a[i] as number) / (e[i] as number));
  return s;
}

/**
 * Kullback-Leibler divergence KL(p || q) in nats.
 * @example klDivergence([0.5, 0.5], [0.25, 0.75]) // 0.5 ln 2 + 0.5 ln(2/3) ≈ 0.1438
 */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkPair('klDivergence', p, q);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i] as number) * Math.log((p[i] as number) / (q[i] as number));
  return s;
}

/**
 * Interior bin edges at the reference's quantiles (duplicates removed, so a mass of ties, such as
 * blank pixels at 0, gets its own bin). Bin i holds values v with edges[i-1] < v <= edges[i].
 * @example quantileEdges([1, 2, 3, 4], 2) // [2]
 */
export function quantileEdges(values: ArrayLike<number>, bins: number): number[] {
  if (!(Number.isInteger(bins) && bins >= 2))
    throw new ConfigError(`quantileEdges: an integer bins >= 2, got ${describe(bins)}. Use e.g. 10.`);
  if (values.length === 0)
    throw new ConfigError(`quantileEdges: at least one reference value, got none. Pass reference data.`);
  const s = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const v = s[Math.min(s.length - 1, Math.max(0, Math.ceil((k / bins) * s.length) - 1))] as number;
    if (edges.length === 0 || v > (edges[edges.length - 1] as number)) edges.push(v);
  }
  return edges;
}

/** The bin of `v` under `edges` (edges.length + 1 bins). */
export function binIndex(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= (edges[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Counts per bin. */
export function binCounts(edges: readonly number[], values: ArrayLike<number>): number[] {
  const c = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = binIndex(edges, values[i] as number);
    c[b] = (c[b] as number) + 1;
  }
  return c;
}
