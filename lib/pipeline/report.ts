// The report of a pipeline run: what was run (the recipe, versions, seed, machine, the inputs'
// sha256), what each stage produced (artifact, size, accuracy) and how fast each artifact ran,
// as JSON and Markdown (the HTML page: report-html.ts). Derived figures (ratios, drops, speed-ups)
// are computed here from the measured ones, in one place.
import * as fs from 'fs';
import * as path from 'path';
import { MachineInfo } from '../core/machine';
import { rowObjects } from '../viz/html-page';
import { tableText } from '../viz/table';
import { BenchReportRow } from './bench-stage';
import { Recipe } from './recipe';

/** One stage's record (stage 0 is the original model). */
export interface StageRecord {
  readonly index: number;
  readonly name: string;
  readonly kind: 'original' | 'prune' | 'quantize' | 'export' | 'bench';
  /** The stage's folder in the output, relative to it. */
  readonly artifact?: string;
  /** Model files written (what sizeBytes counts), relative to the artifact folder. */
  readonly files?: string[];
  readonly format?: string;
  readonly sizeBytes?: number;
  /** sizeBytes / the original's. */
  readonly sizeRatio?: number;
  readonly params?: number;
  readonly macs?: number;
  readonly sparsity?: number;
  readonly accuracy?: number;
  /** The original's accuracy minus this one (a fraction). */
  readonly accuracyDrop?: number;
  readonly evaluatedOn?: string;
  readonly examples?: number;
  readonly seconds: number;
  /** The library verb's own report. */
  readonly report?: unknown;
}

/** A file the run read. */
export interface InputRecord {
  readonly role: 'recipe' | 'model' | 'calibration' | 'evaluation' | 'training' | 'labels';
  readonly path: string;
  readonly sha256: string;
}

/** What `run` writes as report.json. */
export interface PipelineReport {
  readonly tool: 'tfjs-compress';
  readonly versions: Readonly<Record<string, string>>;
  readonly recipe: Recipe;
  readonly seed: number;
  readonly machine: MachineInfo;
  readonly inputs: InputRecord[];
  readonly stages: StageRecord[];
  readonly bench: BenchReportRow[];
  /** Examples per batch when scoring accuracy. */
  readonly evaluationBatchSize: number;
  readonly checks?: { readonly maxAccuracyDrop: number; readonly worstDrop: number; readonly passed: boolean };
  readonly warnings: string[];
  readonly startedAt: string;
  readonly seconds: number;
}

/** The installed version of a package (searching node's lookup paths), or 'not installed'. */
export function packageVersion(name: string, from = __dirname): string {
  for (const dir of require.resolve.paths(name) ?? []) {
    const file = path.join(dir, name, 'package.json');
    if (fs.existsSync(file))
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  }
  let d = from;
  for (let i = 0; i < 5; i++, d = path.dirname(d)) {
    const file = path.join(d, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    }
  }
  return 'not installed';
}

/** Speed-up of a bench row over the original's row on the same runtime, threads and batch size. */
export function speedupOf(rows: readonly BenchReportRow[], row: BenchReportRow): number | undefined {
  const base = rows.find(
    (b) =>
      b.stage === 'original' && b.runtime === row.runtime && b.threads === row.threads && b.batchSize === row.batchSize,
  );
  return base ? base.p50Ms / row.p50Ms : undefined;
}

const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '' : `${(v * 100).toFixed(2)}%`);
const num = (v: number | undefined, d = 3) =>
  v === undefined || !Number.isFinite(v) ? '' : Number(v.toPrecision(d)).toString();

/** The per-stage table: size, accuracy. */
export function stageTable(r: PipelineReport): { columns: string[]; rows: (string | number)[][] } {
  return {
    columns: [
      'stage',
      'kind',
      'format',
      'size (bytes)',
      'size ratio',
      'params',
      'sparsity',
      'accuracy',
      'accuracy drop',
      'evaluated on',
    ],
    rows: r.stages
      .filter((s) => s.kind !== 'bench')
      .map((s) => [
        s.name,
        s.kind,
        s.format ?? '',
        s.sizeBytes ?? '',
        num(s.sizeRatio),
        s.params ?? '',
        pct(s.sparsity),
        pct(s.accuracy),
        pct(s.accuracyDrop),
        s.evaluatedOn ?? '',
      ]),
  };
}

/** The latency table: one row per artifact, runtime, threads and batch size. */
export function benchTable(r: PipelineReport): { columns: string[]; rows: (string | number)[][] } {
  return {
    columns: [
      'stage',
      'runtime',
      'threads',
      'batch',
      'p50 (ms)',
      'p90 (ms)',
      'throughput (ex/s)',
      'speed-up vs original',
    ],
    rows: r.bench.map((b) => [
      b.stage,
      b.runtime,
      b.threads,
      b.batchSize,
      num(b.p50Ms, 4),
      num(b.p90Ms, 4),
      Math.round(b.throughput),
      num(speedupOf(r.bench, b)),
    ]),
  };
}

function markdownTable(t: { columns: string[]; rows: (string | number)[][] }): string {
  return tableText(rowObjects(t.columns, t.rows)).markdown; // the one table formatter (lib/viz/format.ts)
}

/** report.md */
export function reportMarkdown(r: PipelineReport): string {
  const m = r.machine;
  return [
    `# ${r.recipe.name ?? 'tfjs-compress run'}`,
    '',
    `Seed ${r.seed}; ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}; ${m.cpuModel} (${m.cores} cores, ${m.cpuFlags.join(' ')}), ${m.platform}, node ${m.node}; started ${r.startedAt}, ${r.seconds.toFixed(1)} s.`,
    '',
    '## Stages',
    '',
    markdownTable(stageTable(r)),
    '',
    ...(r.bench.length ? ['## Speed', '', markdownTable(benchTable(r)), ''] : []),
    ...(r.checks
      ? [
          `## Checks`,
          '',
          `Largest accuracy drop ${pct(r.checks.worstDrop)} against at most ${pct(r.checks.maxAccuracyDrop)}: ${r.checks.passed ? 'passed' : 'FAILED'}.`,
          '',
        ]
      : []),
    '## Inputs',
    '',
    ...r.inputs.map((i) => `- ${i.role}: \`${i.path}\` sha256 \`${i.sha256}\``),
    '',
    ...(r.warnings.length ? ['## Warnings', '', ...r.warnings.map((w) => `- ${w}`), ''] : []),
    '## Recipe',
    '',
    '```json',
    JSON.stringify(r.recipe, null, 2),
    '```',
    '',
  ].join('\n');
}

// The charts and the HTML page live beside this file (report-figures.ts, report-html.ts).
export { reportFigures } from './report-figures';
export { reportHtml } from './report-html';
