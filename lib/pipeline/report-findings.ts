// What the top of a run report must say, read from the report: the checks and their outcome, the
// run's warnings, the layers an exporter left in float, the artifacts that ran slower than the
// original, and the artifact to ship. Every number comes from the report. Fields that later
// versions of the report add (per-stage `floatLayers`, a `deploy` summary, a list of `checks`)
// are read when present and shaped as expected, and ignored otherwise, so an older or newer
// report.json still renders.
import type { DeploymentArtifact } from '../data/deployment';
import type { BannerData, BannerCheck } from '../viz/banner';
import type { PipelineReport, StageRecord } from './report';
import { speedupOf } from './report';

/** A ratio of p50 latencies above this counts as slower than the original (below it is bench noise). */
export const SLOWER_RATIO = 1.05;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const pct = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : '?');
const ms = (v: number) => `${+v.toPrecision(3)} ms`;

/** A report field that the type may not declare yet. */
function field(o: unknown, key: string): unknown {
  return isObject(o) && Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function checkText(name: string, c: Record<string, unknown>): string {
  if (typeof c.maxAccuracyDrop === 'number')
    return `Largest accuracy drop ${pct(c.worstDrop)} against at most ${pct(c.maxAccuracyDrop)}`;
  const text = [c.text, c.message, c.detail, c.description].find((t) => typeof t === 'string') as string | undefined;
  return text ?? name;
}

/**
 * The checks of a report, whatever their shape: the accuracy check object
 * (`{maxAccuracyDrop, worstDrop, passed}`), a list of `{name?, text|message?, passed}`, or an
 * object of named checks.
 */
export function reportChecks(r: PipelineReport): BannerCheck[] {
  const checks = field(r, 'checks');
  if (Array.isArray(checks))
    return checks.filter(isObject).map((c, i) => ({
      text: checkText(typeof c.name === 'string' ? c.name : `check ${i + 1}`, c),
      passed: c.passed === true,
    }));
  if (!isObject(checks)) return [];
  if (typeof checks.passed === 'boolean') return [{ text: checkText('accuracy', checks), passed: checks.passed }];
  return Object.entries(checks)
    .filter((e): e is [string, Record<string, unknown>] => isObject(e[1]) && typeof e[1].passed === 'boolean')
    .map(([name, c]) => ({ text: `${name}: ${checkText(name, c)}`, passed: c.passed === true }));
}

/** The deploy summary of a report (recommended artifact and the list), when it has one. */
export function reportDeploy(
  r: PipelineReport,
): { recommended?: string; reason?: string; artifacts: Partial<DeploymentArtifact>[] } | undefined {
  const d = field(r, 'deploy');
  if (!isObject(d)) return undefined;
  return {
    ...(typeof d.recommended === 'string' ? { recommended: d.recommended } : {}),
    ...(typeof d.reason === 'string' ? { reason: d.reason } : {}),
    artifacts: Array.isArray(d.artifacts) ? (d.artifacts.filter(isObject) as Partial<DeploymentArtifact>[]) : [],
  };
}

/** The stage that wrote the recommended artifact (its folder is the first segment of the path). */
export function recommendedStage(r: PipelineReport): StageRecord | undefined {
  const file = reportDeploy(r)?.recommended;
  if (!file) return undefined;
  const folder = file.split('/')[0];
  return r.stages.find((s) => s.artifact === folder || s.name === folder);
}

function names(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.filter((n): n is string => typeof n === 'string');
  return undefined;
}

/** "N layers left in float" per stage or artifact that says so. */
function floatWarnings(r: PipelineReport): string[] {
  const out = new Map<string, string>();
  const note = (who: string, layers: string[] | undefined) => {
    if (!layers?.length || out.has(who)) return;
    const shown = layers.slice(0, 6).join(', ') + (layers.length > 6 ? `, and ${layers.length - 6} more` : '');
    out.set(who, `${who} left ${layers.length} layer${layers.length === 1 ? '' : 's'} in float: ${shown}`);
  };
  for (const s of r.stages) note(s.name, names(field(s, 'floatLayers')) ?? names(field(s.report, 'floatLayers')));
  for (const a of reportDeploy(r)?.artifacts ?? []) note(String(a.stage ?? a.file), names(a.floatLayers));
  return [...out.values()];
}

/** Artifacts whose p50 is SLOWER_RATIO or more above the original's on the same runtime, threads and batch. */
function slowerWarnings(r: PipelineReport): string[] {
  return r.bench
    .filter((b) => b.stage !== 'original')
    .map((b) => ({ b, speedup: speedupOf(r.bench, b) }))
    .filter(({ speedup }) => speedup !== undefined && 1 / speedup >= SLOWER_RATIO)
    .map(({ b, speedup }) => {
      const base = b.p50Ms * (speedup as number);
      return `${b.stage} is slower than the original on ${b.runtime}, ${b.threads} thread${b.threads === 1 ? '' : 's'}, batch ${b.batchSize}: p50 ${ms(b.p50Ms)} against ${ms(base)}`;
    });
}

/**
 * The banner of a run report: its checks, then warnings (the run's own, layers left in float,
 * artifacts slower than the original).
 */
export function reportBanner(r: PipelineReport): BannerData {
  const own = Array.isArray(r.warnings) ? r.warnings.filter((w): w is string => typeof w === 'string') : [];
  const warnings = [...floatWarnings(r), ...slowerWarnings(r)].filter((w) => !own.includes(w));
  return { checks: reportChecks(r), warnings: [...own, ...warnings] };
}
