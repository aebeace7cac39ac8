// The Pareto front of candidates under several objectives: the candidates no other candidate
// beats on every objective at once.

/** An objective: a value to read from a candidate, and whether larger is better. */
export interface Objective<T> {
  readonly name: string;
  readonly value: (c: T) => number;
  readonly maximize: boolean;
}

/** True when `a` is at least as good as `b` on every objective and strictly better on one. */
export function dominates<T>(a: T, b: T, objectives: readonly Objective<T>[]): boolean {
  let strictly = false;
  for (const o of objectives) {
    const [va, vb] = o.maximize ? [o.value(a), o.value(b)] : [-o.value(a), -o.value(b)];
    if (va < vb) return false;
    if (va > vb) strictly = true;
  }
  return strictly;
}

/**
 * The non-dominated candidates, in their input order (O(n^2), fine for search histories).
 * @example paretoFront([{a: 1, l: 1}, {a: 2, l: 2}, {a: 1, l: 3}], [{name: 'acc', value: (c) => c.a, maximize: true}, {name: 'lat', value: (c) => c.l, maximize: false}]) // first two
 */
export function paretoFront<T>(candidates: readonly T[], objectives: readonly Objective<T>[]): T[] {
  return candidates.filter((c) => !candidates.some((d) => d !== c && dominates(d, c, objectives)));
}
