// The report of a pipeline run: what was run (the recipe, versions, seed, machine, the inputs'
// sha256), what each stage produced (artifact, size, accuracy) and how fast each artifact ran,
// as JSON and Markdown (the HTML page: report-html.ts). Derived figures (ratios, drops, speed-ups)
// are computed here from the measured ones, in one place.
import * as fs from 'fs';
import * as path from 'path';
import { MachineInfo } from '../core/machine';
import { ArtifactFormat, ArtifactRuntime, Deployment } from '../data/deployment';
import { rowObjects } from '../viz/html-page';
import { tableText } from '../viz/table';
import { BenchReportRow } from './bench-stage';
import { Recipe } from './recipe';

/** One artifact a stage wrote: its files as written, what runs it, and how it scored. */
export interface ArtifactRecord {
  /** The file to load, relative to the run folder ('02-quantize-static/model.onnx'). */
  readonly file: string;
  /** Every file of the artifact (what sizeBytes counts), relative to the run folder. */
  readonly files: string[];
  readonly format: ArtifactFormat;
  readonly runtime: ArtifactRuntime;
  /** False for a quantization plan (never ship it). */
  readonly deployable: boolean;
  /** Weight precision as stored: 'fp32', 'int8', 'uint8-weights', ... */
  readonly precision: string;
  /** How its weights are stored (tfjs: the manifest's dtypes; other formats: the precision). */
  readonly storage: string;
  readonly sizeBytes: number;
  /** sizeBytes / the original's files as written. */
  readonly sizeRatio: number;
  readonly accuracy?: number;
  /** The original's accuracy minus this one (a fraction). */
  readonly accuracyDrop?: number;
  readonly examples?: number;
  /** Where it was scored ('ort', 'tflite', 'tfjs-wasm', 'tfjs-wasm (simulation)'). */
  readonly evaluatedOn?: string;
  /** Within the recipe's accuracy check (when there is one and the artifact was scored). */
  readonly withinCheck?: boolean;
  /** Layers the exporter left in float, and why. */
  readonly floatLayers?: readonly { readonly layer: string; readonly reason: string }[];
  readonly notes?: string[];
  /** The exporter's own report. */
  readonly report?: unknown;
}

/** One stage's record (stage 0 is the original model). The single-artifact fields describe its primary artifact. */
export interface StageRecord {
  readonly index: number;
  readonly name: string;
  readonly kind: 'original' | 'prune' | 'quantize' | 'distill' | 'export' | 'bench';
  /** The stage's folder in the output, relative to it. */
  readonly artifact?: string;
  /** Model files written (what sizeBytes counts), relative to the artifact folder. */
  readonly files?: string[];
  readonly format?: string;
  readonly sizeBytes?: number;
  /** sizeBytes / the original's files as written. */
  readonly sizeRatio?: number;
  /** How the primary artifact (or the original model) stores its weights, e.g. 'uint8-weights'. */
  readonly storage?: string;
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
  /** Every artifact the stage wrote (deployable ones first, then its plan). */
  readonly artifacts?: ArtifactRecord[];
  /** Artifacts the stage could not write, with the exporter's reason. */
  readonly skipped?: { readonly format: ArtifactFormat; readonly reason: string }[];
  readonly notes?: string[];
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
  /** Every scored deployable artifact against the recipe's checks; `failures` names those over the limit. */
  readonly checks?: {
    readonly maxAccuracyDrop: number;
    readonly worstDrop: number;
    readonly passed: boolean;
    readonly failures?: { readonly file: string; readonly accuracyDrop: number }[];
  };
  /** deploy.json (the same content): which artifact to ship, and what every artifact is. */
  readonly deploy?: Deployment;
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

/** The per-artifact table (stage 0 is the original model): files as written, precision, accuracy. */
export function stageTable(r: PipelineReport): { columns: string[]; rows: (string | number)[][] } {
  const rows: (string | number)[][] = [];
  for (const s of r.stages) {
    if (s.kind === 'bench') continue;
    const model = [s.params ?? '', pct(s.sparsity)];
    if (!s.artifacts?.length) {
      rows.push([
        s.name,
        s.kind,
        s.format ?? '',
        s.artifact ? `${s.artifact}/` : '(input)',
        'yes',
        s.storage ?? '',
        s.sizeBytes ?? '',
        num(s.sizeRatio),
        ...model,
        pct(s.accuracy),
        pct(s.accuracyDrop),
        s.evaluatedOn ?? '',
      ]);
      continue;
    }
    for (const a of s.artifacts)
      rows.push([
        s.name,
        s.kind,
        a.format,
        a.file.slice(s.name.length + 1),
        a.deployable ? 'yes' : 'no (plan)',
        a.precision,
        a.sizeBytes,
        num(a.sizeRatio),
        ...model,
        pct(a.accuracy),
        pct(a.accuracyDrop),
        a.evaluatedOn ?? '',
      ]);
  }
  return {
    columns: [
      'stage',
      'kind',
      'format',
      'file',
      'deployable',
      'precision',
      'size (bytes)',
      'size ratio',
      'params',
      'sparsity',
      'accuracy',
      'accuracy drop',
      'evaluated on',
    ],
    rows,
  };
}

/** Lines worth reading beside the tables: float layers, skipped artifacts, size notes. */
export function artifactNotes(r: PipelineReport): string[] {
  const out: string[] = [];
  for (const s of r.stages) {
    for (const a of s.artifacts ?? []) {
      if (a.floatLayers?.length)
        out.push(
          `${a.file}: ${a.floatLayers.length} layer(s) left in float: ${a.floatLayers.map((f) => `${f.layer} (${f.reason})`).join('; ')}`,
        );
      for (const n of a.notes ?? []) out.push(`${a.file}: ${n}`);
    }
    for (const k of s.skipped ?? []) out.push(`${s.name}: no ${k.format} file: ${k.reason}`);
  }
  return out;
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
          ...(r.checks.failures ?? []).map((f) => `- over the limit: \`${f.file}\` (drop ${pct(f.accuracyDrop)})`),
          '',
        ]
      : []),
    ...(r.deploy
      ? [
          '## Deployment',
          '',
          `Recommended: ${r.deploy.recommended ? `\`${r.deploy.recommended}\`` : 'none'}. ${r.deploy.reason}.`,
          '',
          `Input: [${r.deploy.input.shape.join(', ')}] ${r.deploy.input.dtype}${r.deploy.input.preprocessing ? `, preprocessing ${r.deploy.input.preprocessing.preset} (scale ${num(r.deploy.input.preprocessing.scale, 6)}, mean [${r.deploy.input.preprocessing.mean.join(', ')}], std [${r.deploy.input.preprocessing.std.join(', ')}], ${r.deploy.input.preprocessing.channelOrder})` : ''}.` +
            `${r.deploy.output.classNames ? ` Classes: ${r.deploy.output.classNames.slice(0, 20).join(', ')}${r.deploy.output.classNames.length > 20 ? ', ...' : ''}.` : ''}`,
          '',
        ]
      : []),
    ...(artifactNotes(r).length ? ['## Notes', '', ...artifactNotes(r).map((n) => `- ${n}`), ''] : []),
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
