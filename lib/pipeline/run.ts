// Runs a recipe: opens the model and the data, runs each stage in order (each optimizing stage
// starts from the previous one's model, or from the original with "from": "original"), writes
// every stage's artifact into its own folder of the output (`01-prune/`, `02-quantize/`, ...),
// scores each artifact on the evaluation data in the runtime it is meant for, benchmarks, and
// writes report.json, report.md and report.html. The whole output folder is written atomically:
// a failure anywhere leaves no output folder at all.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { machineInfo } from '../core/machine';
import { writeFolderAtomic } from '../core/atomic';
import { loadDataFiles, LoadedData } from '../data/data-files';
import { pathSha256 } from '../data/digest';
import { profileModel } from '../profile/profile-model';
import { ProgressReporter } from '../train/progress';
import { DataSpec, Recipe, Stage } from './recipe';
import { BenchReportRow, BenchTarget, onnxBaseline, runBench } from './bench-stage';
import { StageContext, StageOutcome, runPrune, runQuantize } from './stages';
import { runExport } from './export-stage';
import {
  StageModel,
  disposeStageModel,
  modelBytes,
  openModel,
  planOfStage,
  stageClasses,
  stageInputShape,
  stageScores,
  scoreAccuracy,
} from './stage-model';
import { InputRecord, PipelineReport, StageRecord, packageVersion, reportHtml, reportMarkdown } from './report';

/** What the runner tells its caller while it works. */
export interface PipelineProgress {
  step(text: string): void;
  update(label: string, done: number, total: number): void;
  line(text: string): void;
}

/** Options of {@link runRecipe}. */
export interface RunOptions {
  /** Paths in the recipe are relative to this folder (the recipe file's). */
  readonly baseDir: string;
  /** The output folder (must not exist unless `force`). */
  readonly outDir: string;
  readonly force?: boolean;
  /** The recipe file, hashed into the report. */
  readonly recipeFile?: string;
  readonly progress?: PipelineProgress;
}

const EVAL_BATCH = 256;
const silent: PipelineProgress = { step: () => undefined, update: () => undefined, line: () => undefined };

function trainReporter(p: PipelineProgress): ProgressReporter {
  return (e) => {
    if (e.kind === 'batch') p.update(`epoch ${e.epoch}/${e.epochs}`, e.batch, e.batches);
    else p.line(`  epoch ${e.log.epoch}/${e.epochs}: loss ${e.log.loss.toFixed(4)}`);
  };
}

function loadData(
  spec: DataSpec | undefined,
  role: string,
  o: RunOptions,
  inputShape: number[],
  seed: number,
  p: PipelineProgress,
): LoadedData | undefined {
  if (!spec) return undefined;
  const r = (f: string) => path.resolve(o.baseDir, f);
  p.step(`loading ${role} data from ${spec.path}`);
  return loadDataFiles(r(spec.path), {
    inputShape,
    seed,
    ...(spec.labels ? { labels: r(spec.labels) } : {}),
    ...(spec.scale !== undefined ? { scale: spec.scale } : {}),
    ...(spec.limit ? { limit: spec.limit } : {}),
    ...(spec.imageShape ? { imageShape: spec.imageShape } : {}),
    onImage: (d, t) => p.update('images', d, t),
  });
}

async function describeModel(m: StageModel): Promise<Pick<StageRecord, 'params' | 'macs' | 'sparsity'>> {
  const profiled = await profileModel(m.model);
  return { params: profiled.totals.params, macs: profiled.totals.macs, sparsity: profiled.totals.sparsity };
}

function stageName(stage: Stage, i: number): string {
  if (stage.name) return stage.name;
  const detail =
    stage.kind === 'prune'
      ? `${stage.method}-${stage.sparsity}`
      : stage.kind === 'quantize'
        ? (stage.dtype ?? stage.mode ?? 'static')
        : stage.kind === 'export'
          ? `${stage.to}${stage.dtype ? `-${stage.dtype}` : ''}`
          : '';
  return `${String(i).padStart(2, '0')}-${stage.kind}${detail ? `-${detail}` : ''}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Runs `recipe` and writes its artifacts and report into `options.outDir`; returns the report.
 * @example const report = await runRecipe(validateRecipe(JSON.parse(text)), {baseDir: '.', outDir: 'out'});
 */
export async function runRecipe(recipe: Recipe, options: RunOptions): Promise<PipelineReport> {
  const p = options.progress ?? silent;
  const started = Date.now();
  const seed = recipe.seed ?? 0;
  const names = recipe.stages.map((s, i) => stageName(s, i + 1));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup)
    throw new ConfigError(`recipe: stage names that differ, got "${dup}" twice. Give the stages distinct "name"s.`);
  if (fs.existsSync(options.outDir) && !options.force) {
    throw new ConfigError(
      `runRecipe: an output folder that does not exist yet, got ${options.outDir}, which exists. Choose another folder, or pass --force to replace it.`,
    );
  }
  const modelDir = path.resolve(options.baseDir, recipe.model);
  p.step(`opening ${modelDir}`);
  const original = await openModel(modelDir);
  const owned: StageModel[] = [];
  const data: { calibration?: LoadedData; evaluation?: LoadedData; training?: LoadedData } = {};
  const outcomes: StageOutcome[] = [];
  try {
    const inputShape = stageInputShape(original);
    for (const role of ['calibration', 'evaluation', 'training'] as const) {
      const d = loadData(recipe.data?.[role], role, options, inputShape, seed, p);
      if (d) data[role] = d;
    }
    const inputs: InputRecord[] = [
      ...(options.recipeFile
        ? [{ role: 'recipe' as const, path: options.recipeFile, sha256: pathSha256(options.recipeFile) }]
        : []),
      { role: 'model', path: recipe.model, sha256: pathSha256(modelDir) },
      ...(['calibration', 'evaluation', 'training'] as const).flatMap((role) => {
        const spec = recipe.data?.[role];
        if (!spec) return [];
        return [
          { role, path: spec.path, sha256: pathSha256(path.resolve(options.baseDir, spec.path)) },
          ...(spec.labels
            ? [
                {
                  role: 'labels' as const,
                  path: spec.labels,
                  sha256: pathSha256(path.resolve(options.baseDir, spec.labels)),
                },
              ]
            : []),
        ];
      }),
    ];
    const warnings: string[] = [];
    const evaluation = data.evaluation;
    const classes = stageClasses(original);
    const accuracyOf = async (score: StageOutcome['score']) =>
      evaluation?.labelled && score
        ? scoreAccuracy(score, evaluation.source, {
            inputShape,
            batchSize: EVAL_BATCH,
            ...(classes ? { classes } : {}),
          })
        : undefined;
    p.step('stage 0: the original model');
    const t0 = Date.now();
    const base = await accuracyOf(stageScores(original));
    const originalBytes = modelBytes(modelDir);
    const records: StageRecord[] = [
      {
        index: 0,
        name: 'original',
        kind: 'original',
        format: original.kind === 'graph' ? 'tfjs-graph' : 'tfjs-layers',
        sizeBytes: originalBytes,
        sizeRatio: 1,
        ...(await describeModel(original)),
        ...(base
          ? { accuracy: base.accuracy, accuracyDrop: 0, examples: base.count, evaluatedOn: `tfjs-${tf.getBackend()}` }
          : {}),
        seconds: (Date.now() - t0) / 1000,
      },
    ];
    const ctx: StageContext = { seed, data, trainProgress: trainReporter(p) };
    let bench: BenchReportRow[] = [];
    const report = await writeFolderAtomic(
      options.outDir,
      async (tmp) => {
        let current = original;
        const targets: BenchTarget[] =
          original.kind === 'layers' ? [{ label: 'original', kind: 'tfjs', model: original.model }] : [];
        for (const [i, stage] of recipe.stages.entries()) {
          const name = names[i] as string;
          p.step(`stage ${i + 1}/${recipe.stages.length}: ${name}`);
          const t = Date.now();
          if (stage.kind === 'bench') {
            const baseline = targets.some((x) => x.kind === 'onnx') ? onnxBaseline(original, warnings) : undefined;
            bench = await runBench(stage, [...targets, ...(baseline ? [baseline] : [])], inputShape, seed, (r) =>
              p.line(`  ${r.stage} on ${r.runtime} x${r.threads}, batch ${r.batchSize}: p50 ${r.p50Ms.toFixed(3)} ms`),
            );
            records.push({ index: i + 1, name, kind: 'bench', seconds: (Date.now() - t) / 1000 });
            continue;
          }
          const from = 'from' in stage && stage.from === 'original' ? original : current;
          const out =
            stage.kind === 'prune'
              ? await runPrune(stage, from, ctx)
              : stage.kind === 'quantize'
                ? await runQuantize(stage, from, ctx)
                : await runExport(stage, from);
          outcomes.push(out);
          if (out.model) owned.push(out.model);
          const dir = path.join(tmp, name);
          fs.mkdirSync(dir);
          const files = await out.write(dir);
          fs.writeFileSync(path.join(dir, 'stage-report.json'), `${JSON.stringify(out.report, null, 1)}\n`);
          const acc = await accuracyOf(out.score);
          const sizeBytes = files.reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
          records.push({
            index: i + 1,
            name,
            kind: stage.kind,
            artifact: name,
            files,
            format: out.format,
            sizeBytes,
            sizeRatio: sizeBytes / originalBytes,
            ...(out.model ? await describeModel(out.model) : {}),
            ...(acc
              ? {
                  accuracy: acc.accuracy,
                  accuracyDrop: (base?.accuracy ?? NaN) - acc.accuracy,
                  examples: acc.count,
                  evaluatedOn: out.runtime === 'tfjs' ? `tfjs-${tf.getBackend()}` : out.runtime,
                }
              : {}),
            seconds: (Date.now() - t) / 1000,
            report: out.report,
          });
          if (out.onnx) targets.push({ label: name, kind: 'onnx', bytes: out.onnx });
          if (out.model) {
            current = out.model;
            if (out.model.kind === 'layers' && !planOfStage(out.model))
              targets.push({ label: name, kind: 'tfjs', model: out.model.model });
          }
        }
        const drops = records
          .map((r) => r.accuracyDrop)
          .filter((d): d is number => d !== undefined && Number.isFinite(d));
        const max = recipe.checks?.maxAccuracyDrop;
        const full: PipelineReport = {
          tool: 'tfjs-compress',
          versions: {
            'tfjs-compress': packageVersion('tfjs-compress'),
            tfjs: tf.version.tfjs,
            'onnxruntime-node': packageVersion('onnxruntime-node'),
            node: process.version,
          },
          recipe,
          seed,
          machine: machineInfo(),
          inputs,
          stages: records,
          bench,
          evaluationBatchSize: EVAL_BATCH,
          ...(max !== undefined
            ? {
                checks: {
                  maxAccuracyDrop: max,
                  worstDrop: Math.max(0, ...drops),
                  passed: drops.every((d) => d <= max),
                },
              }
            : {}),
          warnings,
          startedAt: new Date(started).toISOString(),
          seconds: (Date.now() - started) / 1000,
        };
        fs.writeFileSync(path.join(tmp, 'report.json'), `${JSON.stringify(full, null, 1)}\n`);
        fs.writeFileSync(path.join(tmp, 'report.md'), reportMarkdown(full));
        fs.writeFileSync(path.join(tmp, 'report.html'), reportHtml(full));
        return full;
      },
      { force: options.force, caller: 'runRecipe' },
    );
    return report;
  } finally {
    for (const o of outcomes) await o.dispose();
    for (const m of owned) disposeStageModel(m);
    disposeStageModel(original);
    Object.values(data).forEach((d) => d?.dispose());
  }
}
