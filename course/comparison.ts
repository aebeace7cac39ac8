// The course's capstone table: each row of the brief's table (size, speed, accuracy kept) as
// measured by the notebooks, beside the brief's claim, with a verdict per cell and a Markdown
// rendering. Plain data in, plain data out: the notebook reads the results files and measures.
import { ClaimRange, formatClaim } from './brief';
import { formatValue } from '../lib/viz/format';

/** How a measured value compares with the brief's claim. */
export type Verdict = 'holds' | 'better than claimed' | 'does not hold' | 'not measured';

/** One cell: measured value, claim, verdict and why. */
export interface ComparisonCell {
  readonly measured: number | null;
  readonly claim: ClaimRange;
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

/** A row's real-size column (course/real-size.ts builds it from results/bench-real-size.json). */
export interface RealSizeColumn {
  /** The network(s) and the comparison, e.g. 'ResNet50 224, static INT8 vs fp32, both in ONNX Runtime'. */
  readonly model: string;
  readonly size: ComparisonCell;
  readonly speed: ComparisonCell;
  readonly accuracyKept: ComparisonCell;
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
  /** The same row on a real-size network (results/bench-real-size.json), when it has one. */
  readonly realSize?: RealSizeColumn;
}

/**
 * Verdict of a measured value against a claimed range. `better` says which direction is better:
 * 'lower' for size, 'higher' for speed and accuracy kept. Inside the range: holds; on the good
 * side of it: better than claimed; on the bad side: does not hold. `relativeTolerance` widens the
 * range by that fraction of each bound (the brief's figures are round numbers).
 * @example verdict(0.24, {min: 0.25, max: 0.25}, 'lower') // 'better than claimed'
 */
export function verdict(
  measured: number | null | undefined,
  claim: ClaimRange,
  better: 'lower' | 'higher',
  relativeTolerance = 0,
): Verdict {
  if (measured === null || measured === undefined || !Number.isFinite(measured)) return 'not measured';
  const lo = claim.min * (1 - relativeTolerance) - 1e-9;
  const hi = claim.max * (1 + relativeTolerance) + 1e-9;
  if (measured >= lo && measured <= hi) return 'holds';
  const good = better === 'lower' ? measured < lo : measured > hi;
  return good ? 'better than claimed' : 'does not hold';
}

/** Builds a cell (see {@link verdict} for the tolerance). */
export function cell(
  measured: number | null | undefined,
  claim: ClaimRange,
  better: 'lower' | 'higher',
  note: string,
  relativeTolerance = 0,
): ComparisonCell {
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

// Measured values in the table's formatter (lib/viz/format.ts): shares as percentages, speed-ups as ratios.
const pct = (v: number | null) => (v === null ? 'n/a' : formatValue(v, 'fraction'));
const ratio = (v: number | null) => (v === null ? 'n/a' : formatValue(v, 'ratio'));
const mark = (v: Verdict) =>
  v === 'holds'
    ? '✓ holds'
    : v === 'better than claimed'
      ? '✓✓ better'
      : v === 'does not hold'
        ? '✗ does not hold'
        : '– not measured';

/** Where the real-size column comes from: the committed bench results, with their machine and date. */
export interface RealSizeSource {
  readonly file: string;
  readonly machine: string;
  readonly date: string;
}

const cellText = (c: ComparisonCell, claim: string, value: (v: number | null) => string) =>
  `${value(c.measured)} / ${claim} ${mark(c.verdict)}`;

/**
 * The table as Markdown: one line per row, the course model's size / speed / accuracy cells and,
 * when `realSize` is given, the real-size network's (measured / claim / verdict each), then the notes.
 */
export function comparisonMarkdown(
  rows: readonly ComparisonRow[],
  header: { readonly machine: string; readonly date: string; readonly realSize?: RealSizeSource },
): string {
  const real = header.realSize;
  const lines = [
    '# The comparison table, measured',
    '',
    `Generated by notebook 10-comparison-table on ${header.date}; machine: ${header.machine}.`,
    ...(real
      ? [
          `Real-size columns: from \`${real.file}\` (written by \`make bench\`, committed), measured on ${real.date}; machine: ${real.machine}.`,
        ]
      : []),
    "Each cell: measured value / the claim (the course outline's; for rows the outline does not have, the claim the notes name) / verdict.",
    'Size is the file as a share of the original, speed the headline speed-up (runtime and batch size in the notes), accuracy',
    "kept the accuracy as a share of the original's.",
    ...(real
      ? [
          'The course columns measure the course model (trained and scored on real data); the real-size columns measure the same',
          'technique on a full-size network (MobileNetV2, ResNet50 at 224x224), each speed-up naming the one change it measures.',
        ]
      : []),
    '',
    real
      ? '| technique | course model | size | speed | accuracy kept | real-size network | size | speed | accuracy kept | typical use |'
      : '| technique | model | size (measured / claim) | speed (measured / claim) | accuracy kept (measured / claim) | typical use |',
    real ? '|---|---|---|---|---|---|---|---|---|---|' : '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const course =
      `${cellText(r.size, formatClaim(r.size.claim, 'percent'), pct)} | ` +
      `${cellText(r.speed, formatClaim(r.speed.claim, 'ratio'), ratio)} | ` +
      `${cellText(r.accuracyKept, formatClaim(r.accuracyKept.claim, 'percent'), pct)}`;
    const rs = r.realSize;
    const realCells = !real
      ? ''
      : rs
        ? ` ${rs.model} | ${cellText(rs.size, formatClaim(rs.size.claim, 'percent'), pct)} | ` +
          `${cellText(rs.speed, formatClaim(rs.speed.claim, 'ratio'), ratio)} | ` +
          `${cellText(rs.accuracyKept, formatClaim(rs.accuracyKept.claim, 'percent'), pct)} |`
        : ' – | – | – | – |';
    lines.push(`| ${r.technique} | ${r.model} | ${course} |${realCells} ${r.typicalUse} |`);
  }
  lines.push('', '## Notes and literature', '');
  for (const r of rows) {
    lines.push(
      `**${r.technique}** (${r.notebook}).`,
      `- size: ${r.size.note}`,
      `- speed: ${r.speed.note}` +
        (r.speed.figures.length
          ? ` Figures: ${r.speed.figures.map((f) => `${f.runtime} batch ${f.batchSize}: ${ratio(f.speedup)}`).join('; ')}.`
          : ''),
      `- accuracy: ${r.accuracyKept.note}`,
      ...(r.realSize
        ? [
            `- real size (${r.realSize.model}): size: ${r.realSize.size.note} Speed: ${r.realSize.speed.note} Accuracy: ${r.realSize.accuracyKept.note}`,
          ]
        : []),
      ...r.literature.map((l) => `- literature: ${l}`),
      '',
    );
  }
  return lines.join('\n');
}
