// Ticks of logarithmic axes that read well: Plotly's automatic log ticks label minor positions
// with a bare leading digit ("5, 2, 10k"). Here every tick is written in full: over more than
// three decades the powers of ten (1, 10, 100, 1k, 10k), over fewer 1-2-5 steps (100, 200, 500,
// 1k), and within a narrow range every digit (0.3, 0.4, 0.5).

/** Plotly axis fields for explicit ticks. */
export interface AxisTicks {
  readonly tickmode: 'array';
  readonly tickvals: number[];
  readonly ticktext: string[];
}

/** A tick label: 1k, 10k, 1M above a thousand, the plain number below. */
export function tickLabel(v: number): string {
  for (const [unit, p] of [
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (v >= p) return `${+(v / p).toPrecision(3)}${unit}`;
  }
  return String(+v.toPrecision(3));
}

function within(candidates: number[], lo: number, hi: number): number[] {
  return candidates.filter((v) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9));
}

/**
 * Ticks for a log axis showing `values` (non-positive and non-finite values ignored), or
 * undefined when fewer than two readable ticks fit (Plotly's own ticks are used then).
 * @example logAxisTicks([3, 4000]).ticktext // ['1', '10', '100', '1k', '10k']
 */
export function logAxisTicks(values: Iterable<number>): AxisTicks | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!(v > 0) || !Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(lo <= hi)) return undefined;
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const powers = Array.from({ length: b - a + 1 }, (_, k) => +(10 ** (a + k)).toPrecision(12));
  let vals: number[];
  if (hi / lo > 1000) {
    const step = Math.ceil(powers.length / 8);
    vals = powers.filter((_, k) => k % step === 0);
  } else {
    const steps = (ms: number[]) => powers.flatMap((p) => ms.map((m) => +(m * p).toPrecision(12)));
    vals = within(steps([1, 2, 5]), lo, hi).length >= 2 ? steps([1, 2, 5]) : steps([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Keep one candidate beyond each end: Plotly pads the range a little.
    const inside = within(vals, lo, hi);
    if (inside.length < 2) return undefined;
    const first = vals.indexOf(inside[0] as number);
    const last = vals.indexOf(inside[inside.length - 1] as number);
    vals = vals.slice(Math.max(0, first - 1), last + 2);
  }
  return { tickmode: 'array', tickvals: vals, ticktext: vals.map(tickLabel) };
}
