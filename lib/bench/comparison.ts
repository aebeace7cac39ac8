// The course's capstone table: each row of the brief's table (size, speed, accuracy kept) as
// measured by the notebooks, beside the brief's claim, with a verdict per cell and a Markdown
// rendering. Plain data in, plain data out: the notebook reads the results files and measures.

/** A claimed range (fractions for size and accuracy kept, ratios for speed). */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** How a measured value compares with the brief's claim. */
export type Verdict = 'holds' | 'better than claimed' | 'does not hold' | 'not measured';

/** One cell: measured value, claim, verdict and why. */
export interface ComparisonCell {
  readonly measured: number | null;
  readonly claim: Range;
  readonly verdict: Verdict;
  /** Where the figure comes from and what explains the verdict. */
  readonly note: string;
}

/** One speed figure: a runtime at a batch size, against the baseline on the same runtime. */
export interface SpeedFigure {
  readonly runtime: string;
  readonly batchSize: number;
  readonly speedup: number;
}

/** A row of the table. */
export interface ComparisonRow {
  readonly key: string;
  readonly technique: string;
  readonly notebook: string;
  readonly model: string;
  /** Size as a fraction of the original (0.25 = 25%). */
  readonly size: ComparisonCell;
  /** The headline speed-up (the best measured runtime/batch for the technique), with every figure. */
  readonly speed: ComparisonCell & { readonly figures: SpeedFigure[] };
  /** Accuracy as a fraction of the original's. */
  readonly accuracyKept: ComparisonCell;
  readonly literature: string[];
  readonly typicalUse: string;
}

/**
 * Verdict of a measured value against a claimed range. `better` says which direction is better:
 * 'lower' for size, 'higher' for speed and accuracy kept. Inside the range: holds; on the good
 * side of it: better than claimed; on the bad side: does not hold. `relativeTolerance` widens the
 * range by that fraction of each bound (the brief's figures are round numbers).
 * @example verdict(0.24, {min: 0.25, max: 0.25}, 'lower') // 'better than claimed'
 */
export function verdict(measured: number | null | undefined, claim: Range, better: 'lower' | 'higher', relativeTolerance = 0): Verdict {
  if (measured === null || measured === undefined || !Number.isFinite(measured)) return 'not measured';
  const lo = claim.min * (1 - relativeTolerance) - 1e-9;
  const hi = claim.max * (1 + relativeTolerance) + 1e-9;
  if (measured >= lo && measured <= hi) return 'holds';
  const good = better === 'lower' ? measured < lo : measured > hi;
  return good ? 'better than claimed' : 'does not hold';
}

/** Builds a cell (see {@link verdict} for the tolerance). */
export function cell(measured: number | null | undefined, claim: Range, better: 'lower' | 'higher', note: string, relativeTolerance = 0): ComparisonCell {
  const m = measured === undefined || measured === null || !Number.isFinite(measured) ? null : measured;
  return { measured: m, claim, verdict: verdict(m, claim, better, relativeTolerance), note };
}

/** Reads a dotted path (`'sparsity90.accuracyDrop'`) from nested plain data; undefined when absent or not a number. */
export function numberAt(data: unknown, dotted: string): number | undefined {
  let cur: unknown = data;
  for (const k of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return typeof cur === 'number' && Number.isFinite(cur) ? cur : undefined;
}

/** The first of several candidate paths that holds a number. */
export function firstNumber(data: unknown, paths: readonly string[]): { value: number; path: string } | undefined {
  for (const p of paths) {
    const v = numberAt(data, p);
    if (v !== undefined) return { value: v, path: p };
  }
  return undefined;
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const ratio = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(v < 10 ? 2 : 1)}x`);
/**
 * A claimed range as the brief writes it: '30-50%', '1.5-2x', '2.5%'.
 * @example formatRange({min: 0.3, max: 0.5}, 'percent') // '30-50%'
 */
export function formatRange(r: Range, kind: 'percent' | 'ratio'): string {
  const f = (v: number) => (kind === 'percent' ? `${+(v * 100).toFixed(1)}` : `${+v.toFixed(2)}`);
  const u = kind === 'percent' ? '%' : 'x';
  return r.min === r.max ? `${f(r.min)}${u}` : `${f(r.min)}-${f(r.max)}${u}`;
}
const claimText = formatRange;
const mark = (v: Verdict) => (v === 'holds' ? '✓ holds' : v === 'better than claimed' ? '✓✓ better' : v === 'does not hold' ? '✗ does not hold' : '– not measured');

/** The table as Markdown: one line per row, measured / claim / verdict per cell, then the notes. */
export function comparisonMarkdown(rows: readonly ComparisonRow[], header: { readonly machine: string; readonly date: string }): string {
  const lines = [
    '# The comparison table, measured',
    '',
    `Generated by notebook 10-comparison-table on ${header.date}; machine: ${header.machine}.`,
    'Each cell: measured value / the brief\'s claim / verdict. Size is the file as a share of the original, speed the',
    'headline speed-up (runtime and batch size in the notes), accuracy kept the accuracy as a share of the original\'s.',
    '',
    '| technique | model | size (measured / claim) | speed (measured / claim) | accuracy kept (measured / claim) | typical use |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.technique} | ${r.model} | ${pct(r.size.measured)} / ${claimText(r.size.claim, 'percent')} ${mark(r.size.verdict)} | ` +
      `${ratio(r.speed.measured)} / ${claimText(r.speed.claim, 'ratio')} ${mark(r.speed.verdict)} | ` +
      `${pct(r.accuracyKept.measured)} / ${claimText(r.accuracyKept.claim, 'percent')} ${mark(r.accuracyKept.verdict)} | ${r.typicalUse} |`);
  }
  lines.push('', '## Notes and literature', '');
  for (const r of rows) {
    lines.push(`**${r.technique}** (${r.notebook}).`, `- size: ${r.size.note}`, `- speed: ${r.speed.note}` +
      (r.speed.figures.length ? ` Figures: ${r.speed.figures.map((f) => `${f.runtime} batch ${f.batchSize}: ${f.speedup.toFixed(2)}x`).join('; ')}.` : ''),
    `- accuracy: ${r.accuracyKept.note}`, ...r.literature.map((l) => `- literature: ${l}`), '');
  }
  return lines.join('\n');
}
