// Axes that read at a glance: each axis is told the quantity it shows, and its ticks are written
// in that quantity's unit. Bytes as B / KiB / MiB / GiB (powers of 1024, as the CLI prints sizes),
// fractions as percent, counts as 25M rather than 25000000, milliseconds as plain numbers (the
// unit is in the axis title). Log axes get explicit ticks (ticks.ts), never Plotly's bare digits.
import { logAxisTicks, tickLabel } from './ticks';

/** The quantity an axis shows. */
export type AxisFormat = 'bytes' | 'percent' | 'ms' | 'count';

const BYTE_UNITS: readonly (readonly [string, number])[] = [
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
  ['B', 1],
];

/**
 * Bytes in the largest unit that keeps the number at least 1 (3 significant digits).
 * @example formatBytesShort(4805041) // '4.58 MiB'
 */
export function formatBytesShort(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const [unit, p] = BYTE_UNITS.find(([, p]) => Math.abs(bytes) >= p) ?? (['B', 1] as const);
  return `${+(bytes / p).toPrecision(3)} ${unit}`;
}

/**
 * A count as 25M, 1.2k, 3.5G (3 significant digits).
 * @example formatCount(25_000_000) // '25M'
 */
export function formatCount(n: number): string {
  return n < 0 ? `-${tickLabel(-n)}` : tickLabel(n);
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * p >= raw * (1 - 1e-9)) ?? 10) * p;
}

function finite(values: Iterable<number>, positive: boolean): number[] {
  return [...values].filter((v) => Number.isFinite(v) && (!positive || v > 0));
}

/** Byte ticks: the unit chosen from the largest value, then 1-2-5 (log) or nice linear steps in it. */
function byteTicks(values: number[], log: boolean): Record<string, unknown> {
  const max = Math.max(...values.map(Math.abs));
  const [unit, p] = BYTE_UNITS.find(([, q]) => max >= q) ?? (['B', 1] as const);
  let vals: number[];
  if (log) {
    const ticks = logAxisTicks(values.map((v) => v / p));
    if (!ticks) return {};
    vals = ticks.tickvals;
  } else {
    const step = niceStep(max / p / 5);
    vals = Array.from({ length: Math.floor(max / p / step + 1e-9) + 2 }, (_, k) => +(k * step).toPrecision(12));
  }
  return {
    tickmode: 'array',
    tickvals: vals.map((v) => v * p),
    ticktext: vals.map((v) => `${+v.toPrecision(3)} ${unit}`),
  };
}

/**
 * Plotly axis fields that write ticks and hover values of `values` as `format`.
 * @example axisFormat('count', [25_000_000], false) // {exponentformat: 'SI', hoverformat: ',d', ...}
 */
export function axisFormat(
  format: AxisFormat | undefined,
  values: Iterable<number>,
  log: boolean,
): Record<string, unknown> {
  const list = finite(values, log);
  if (!list.length) return {};
  switch (format) {
    case 'bytes':
      return byteTicks(list, log);
    case 'percent': {
      const span = Math.max(...list) - Math.min(...list);
      return { tickformat: span < 0.05 ? '.1%' : '.0%', hoverformat: '.2%' };
    }
    case 'count':
      return log ? { ...logAxisTicks(list), hoverformat: ',d' } : { exponentformat: 'SI', hoverformat: ',d' };
    case 'ms':
    default:
      return log ? { ...logAxisTicks(list), hoverformat: '.3~g' } : { hoverformat: '.4~g' };
  }
}

/**
 * A value written for a hover label or a table, by the quantity it is.
 * @example formatAs('percent', 0.9823) // '98.23%'
 */
export function formatAs(format: AxisFormat | undefined, v: number): string {
  if (!Number.isFinite(v)) return '';
  switch (format) {
    case 'bytes':
      return formatBytesShort(v);
    case 'percent':
      return `${(v * 100).toFixed(2)}%`;
    case 'count':
      return formatCount(v);
    case 'ms':
      return `${+v.toPrecision(3)} ms`;
    default:
      return String(+v.toPrecision(4));
  }
}
