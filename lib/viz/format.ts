// Numbers formatted by the quantity they measure: one formatter for every table the library shows
// (viz.showTable, viz.tableText, the course's Markdown tables).
//
// The rule: a column's name says its quantity. An explicit `formats` entry for the column wins;
// otherwise the name is read (as written and with camelCase split into words, case-insensitive),
// and the first rule that matches decides:
//   1. a unit written in the name says the values are already in that unit:
//      `%` -> percent (98.23), `points` -> points (0.04), `dB`/`Db` -> dB (35.5), `bytes` ->
//      bytes (1,234,567), `/s` or `throughput` -> a rate (2,054), `ms` -> milliseconds (3 significant digits:
//      0.0714, 31.2, 528), `seconds` -> seconds (46.6);
//   2. the glossary's quantities (lib/core/README.md), whose values are fractions or ratios:
//      `drop` (accuracyDrop, a fraction) -> points ("0.30 pt"); `accuracy`/`acc`, `sparsity`,
//      `kept`, `share` (fractions) -> percent ("98.23%"); `speedup`/`speed-up`, `ratio`, `vs`,
//      `x smaller`/`x faster` -> a ratio ("3.25x"); `params`, `macs`, `elements`, `zeros`,
//      `count` -> integers with thousands separators;
//   3. anything else: integers with thousands separators, other numbers with 4 significant digits
//      (trailing zeros dropped).
// Values that are not numbers are shown as text. A column whose values are all numbers (or
// strings that are formatted numbers, such as "98.23%") is right-aligned; any other column is
// left-aligned.

/** The quantities a table cell can show. */
export type Quantity =
  | 'fraction'
  | 'percent'
  | 'drop'
  | 'points'
  | 'ratio'
  | 'bytes'
  | 'integer'
  | 'ms'
  | 'seconds'
  | 'db'
  | 'number'
  | 'text';

/** Per-column quantities that override the naming rule, keyed by column name. */
export type ColumnFormats = Readonly<Record<string, Quantity>>;

const RULES: readonly (readonly [RegExp, Quantity])[] = [
  [/%/, 'percent'],
  [/\bpoints?\b/, 'points'],
  [/\bdb\b/, 'db'],
  [/\bbytes?\b/, 'bytes'],
  [/\/\s*s\b|\bper second\b|\bthroughput\b/, 'integer'],
  [/\bms\b/, 'ms'],
  [/\bseconds?\b/, 'seconds'],
  [/\bdrop\b/, 'drop'],
  [/\baccuracy\b|\bacc\b|\bsparsity\b|\bkept\b|\bshare\b/, 'fraction'],
  [/\bspeed-?up\b|\bratio\b|\bvs\b|\bx (smaller|faster)\b/, 'ratio'],
  [/\bparams\b|\bparameters\b|\bmacs\b|\bflops\b|\belements\b|\bzeros\b|\bnonzeros\b|\bcount\b/, 'integer'],
];

/** A column name read two ways: lower case as written (`SQNR dB`), and camelCase split (`weightSqnrDb` -> `weight sqnr db`). */
function readings(name: string): string[] {
  return [name.toLowerCase(), name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()];
}

/**
 * The quantity a column name implies (see the rule at the top of this file).
 * @example columnQuantity('accuracyDrop') // 'drop'
 * @example columnQuantity('p50 ms') // 'ms'
 */
export function columnQuantity(name: string): Quantity {
  const names = readings(name);
  for (const [re, q] of RULES) if (names.some((n) => re.test(n))) return q;
  return 'number';
}

const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Fixed decimals without a negative zero ("-0.00" reads as a sign that is not there). */
function fixed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** `digits` significant digits, trailing zeros dropped, thousands separated when >= 1000. */
function significant(v: number, digits: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 10 ** digits) return GROUPED.format(v);
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(v))));
  if (decimals > 10) return v.toPrecision(digits); // tiny: exponent form
  const s = fixed(v, decimals);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * A number shown as `quantity`; text for anything that is not a number.
 * @example formatValue(0.98234, 'fraction') // '98.23%'
 * @example formatValue(3.2549, 'ratio') // '3.25x'
 * @example formatValue(1234567, 'bytes') // '1,234,567'
 */
export function formatValue(v: unknown, quantity: Quantity = 'number'): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'number' || quantity === 'text') return typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  switch (quantity) {
    case 'fraction':
      return `${fixed(v * 100, 2)}%`;
    case 'percent':
    case 'points':
      return fixed(v, 2);
    case 'drop':
      return `${fixed(v * 100, 2)} pt`;
    case 'ratio':
      return `${fixed(v, 2)}x`;
    case 'db':
      return fixed(v, 1);
    case 'seconds':
      return fixed(v, 1);
    case 'ms':
      return significant(v, 3);
    case 'bytes':
    case 'integer':
      return Number.isInteger(v) || Math.abs(v) >= 100 ? GROUPED.format(v) : significant(v, 4);
    case 'number':
      return Number.isInteger(v) ? GROUPED.format(v) : significant(v, 4);
  }
}

/** A string that is a number already formatted by quantity: 1,234 / 98.23% / 3.25x / 0.04 pt / -0.5. */
const FORMATTED_NUMBER = /^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?(%|x| pt)?$/;

/** Whether a column is shown right-aligned: every non-empty value is a number (or a formatted one). */
export function isNumericColumn(values: readonly unknown[]): boolean {
  const present = values.filter((v) => v !== undefined && v !== null && v !== '');
  return (
    present.length > 0 &&
    present.every((v) => typeof v === 'number' || (typeof v === 'string' && FORMATTED_NUMBER.test(v)))
  );
}
