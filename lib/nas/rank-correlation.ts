// Rank correlations between two scorings of the same candidates, e.g. proxy accuracy and the
// accuracy after full training: does the cheap proxy rank architectures the way full training
// does? Spearman's rho (Pearson on ranks, ties averaged) and Kendall's tau-b (concordant minus
// discordant pairs, corrected for ties), as NAS benchmarks report them (e.g. NAS-Bench-201).
import { ConfigError } from '../errors';
import { pearson } from './latency-table';

function checkPairs(fn: string, a: readonly number[], b: readonly number[]): void {
  if (a.length !== b.length || a.length < 2 || ![...a, ...b].every(Number.isFinite)) {
    throw new ConfigError(
      `${fn}: two series of equal length >= 2 of finite numbers, got lengths ${a.length} and ${b.length}. Pass paired scores.`,
    );
  }
}

/** Ranks from 1, ties given their average rank. @example ranks([10, 30, 20, 20]) // [1, 4, 2.5, 2.5] */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (
      j + 1 < order.length &&
      (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]
    )
      j++;
    for (let k = i; k <= j; k++) out[(order[k] as readonly [number, number])[1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Spearman's rank correlation. @example spearman([1, 2, 3, 4], [10, 20, 40, 30]) // 0.8 */
export function spearman(a: readonly number[], b: readonly number[]): number {
  checkPairs('nas.spearman', a, b);
  return pearson(ranks(a), ranks(b));
}

/** Kendall's tau-b. @example kendall([1, 2, 3, 4], [10, 20, 40, 30]) // (5 - 1) / 6 = 0.667 */
export function kendall(a: readonly number[], b: readonly number[]): number {
  checkPairs('nas.kendall', a, b);
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign((a[i] as number) - (a[j] as number));
      const db = Math.sign((b[i] as number) - (b[j] as number));
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  const n = concordant + discordant;
  return (concordant - discordant) / Math.sqrt((n + tiesA) * (n + tiesB));
}
