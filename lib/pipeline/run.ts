// Runs a recipe: checks the output folder (core/safe-output.ts) before any work, opens the model
// and the data, runs each stage in order (each optimizing stage starts from the previous one's
// model, or from the original with "from": "original"), writes every stage's artifacts into its own
// folder of the output (`01-prune/`, `02-quantize/`, ...; the layout is in artifact.ts), scores each
// artifact on the evaluation data in the runtime it is meant for, benchmarks, and writes
// deploy.json (which artifact to ship), report.json, report.md and report.html. The whole output
// folder is written atomically: a failure anywhere leaves no output folder at all.
import * as tf from '@tensorflow/tfjs';
import * as path from 'path';
import * as fs from 'fs';
import { machineInfo } from '../core/machine';
import { checkOutputFolder, writeOutputFolder } from '../core/safe-output';
import { DEPLOYMENT_FILE } from '../data/deployment';
import { pathSha256 } from '../data/digest';
import { profileModel } from '../profile/profile-model';
import { ProgressReporter } from '../train/progress';
import { DATA_ROLES, Recipe, stageNames } from './recipe';
import { BenchReportRow, BenchTarget, onnxBaseline, runBench, slowerThanOriginal } from './bench-stage';
import { StageContext, StageOutcome } from './stages';
import { runModelStage } from './run-stage';
import {
  StageModel,
  disposeStageModel,
  openModel,
  stageClasses,
  stageInputShape,
  stageScores,
  scoreAccuracy,
} from './stage-model';
import { InputRecord, PipelineReport, StageRecord, packageVersion, reportMarkdown } from './report';
import { reportHtml } from './report-html';
import { RunData, loadRunData, recipeInputs } from './run-data';
import { recordArtifacts } from './record-artifacts';
import { buildDeployment } from './deploy';
import { deploymentInput, outputKind } from './deploy-input';
import { tfjsFolderFiles } from './sizes';
import { preflight } from './preflight';

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
  /** The output folder: new, or (with `force`) an earlier output of tfjs-compress; never an input. */
  readonly outDir: string;
  readonly force?: boolean;
  /** The recipe file, hashed into the report (and kept apart from the output). */
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

async function describeModel(m: StageModel): Promise<Pick<StageRecord, 'params' | 'macs' | 'sparsity'>> {
  const profiled = await profileModel(m.model);
  return { params: profiled.totals.params, macs: profiled.totals.macs, sparsity: profiled.totals.sparsity };
}

/** An export stage, with its one step reported (the CLI shows steps with totals). */
/** The files the run read, with their sha256, named as the recipe names them. */
function inputRecords(recipe: Recipe, baseDir: string, recipeFile: string | undefined): InputRecord[] {
  const r = (f: string) => path.resolve(baseDir, f);
  return [
    ...(recipeFile ? [{ role: 'recipe' as const, path: recipeFile, sha256: pathSha256(recipeFile) }] : []),
    { role: 'model', path: recipe.model, sha256: pathSha256(r(recipe.model)) },
    ...DATA_ROLES.flatMap((role) => {
      const spec = recipe.data?.[role];
      if (!spec) return [];
      const labels = [spec.labels, spec.labelsFile].filter((f): f is string => f !== undefined);
      return [
        { role, path: spec.path, sha256: pathSha256(r(spec.path)) },
        ...labels.map((f) => ({ role: 'labels' as const, path: f, sha256: pathSha256(r(f)) })),
      ];
    }),
  ];
}

/**
 * Runs `recipe` and writes its artifacts, deploy.json and report into `options.outDir`; returns the report.
 * @example const report = await runRecipe(validateRecipe(JSON.parse(text)), {baseDir: '.', outDir: 'out'});
 */
export async function runRecipe(recipe: Recipe, options: RunOptions): Promise<PipelineReport> {
  const p = options.progress ?? silent;
  const started = Date.now();
  const seed = recipe.seed ?? 0;
  const names = stageNames(recipe);
  const inputs = recipeInputs(recipe, options.baseDir, options.recipeFile);
  const safe = { caller: 'run', kind: 'run', force: Boolean(options.force), inputs };
  checkOutputFolder(options.outDir, safe); // before any work: a bad --out costs nothing
  const modelDir = path.resolve(options.baseDir, recipe.model);
  p.step(`opening ${modelDir}`);
  const original = await openModel(modelDir);
  const owned: StageModel[] = [];
  const outcomes: StageOutcome[] = [];
  let data: RunData | undefined;
  try {
    const inputShape = stageInputShape(original);
    const classes = stageClasses(original);
    data = await loadRunData(recipe, {
      baseDir: options.baseDir,
      inputShape,
      seed,
      ...(classes !== undefined ? { classes } : {}),
      onImage: (d, t) => p.update('images', d, t),
      progress: (text) => p.step(text),
    });
    preflight(recipe, original.kind, {
      calibration: Boolean(data.calibration),
      training: Boolean(data.training?.labelled),
      evaluationLabelled: Boolean(data.evaluation?.labelled),
    });
    const inputRecordsList = inputRecords(recipe, options.baseDir, options.recipeFile);
    const warnings: string[] = [];
    const evaluation = data.evaluation;
    const accuracyOf = async (score: StageOutcome['score'], label: string) =>
      evaluation?.labelled && score
        ? scoreAccuracy(score, evaluation.source, {
            inputShape,
            batchSize: EVAL_BATCH,
            ...(classes ? { classes } : {}),
            total: evaluation.count,
            onBatch: (d, t) => p.update(`scoring ${label}`, d, t),
          })
        : undefined;
    p.step('stage 0: the original model');
    const t0 = Date.now();
    const base = await accuracyOf(stageScores(original), 'the original model');
    const originalFiles = tfjsFolderFiles(modelDir);
    const originalSize = { sizeBytes: originalFiles.sizeBytes, storage: originalFiles.storage };
    const max = recipe.checks?.maxAccuracyDrop;
    const records: StageRecord[] = [
      {
        index: 0,
        name: 'original',
        kind: 'original',
        format: original.kind === 'graph' ? 'tfjs-graph' : 'tfjs-layers',
        sizeBytes: originalSize.sizeBytes,
        sizeRatio: 1,
        storage: originalSize.storage,
        ...(await describeModel(original)),
        ...(base
          ? { accuracy: base.accuracy, accuracyDrop: 0, examples: base.count, evaluatedOn: `tfjs-${tf.getBackend()}` }
          : {}),
        seconds: (Date.now() - t0) / 1000,
      },
    ];
    const ctx: StageContext = {
      seed,
      data: {
        ...(data.calibration ? { calibration: data.calibration } : {}),
        ...(data.evaluation ? { evaluation: data.evaluation } : {}),
        ...(data.training ? { training: data.training } : {}),
      },
      trainProgress: trainReporter(p),
      update: (label, done, total) => p.update(label, done, total),
    };
    let bench: BenchReportRow[] = [];
    const runData = data;
    return await writeOutputFolder(
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
            bench = await runBench(stage, [...targets, ...(baseline ? [baseline] : [])], inputShape, seed, {
              onRow: (r) =>
                p.line(
                  `  ${r.stage} on ${r.runtime} x${r.threads}, batch ${r.batchSize}: p50 ${r.p50Ms.toFixed(3)} ms`,
                ),
              onProgress: (d, n) => p.update('bench', d, n),
            });
            for (const w of slowerThanOriginal(bench)) {
              warnings.push(w);
              p.line(`  warning: ${w}`);
            }
            records.push({ index: i + 1, name, kind: 'bench', seconds: (Date.now() - t) / 1000 });
            continue;
          }
          const from = 'from' in stage && stage.from === 'original' ? original : current;
          const exporting = stage.kind === 'export' ? `export to ${stage.to}` : undefined;
          if (exporting) p.update(exporting, 0, 1);
          const out = await runModelStage(stage, from, ctx, original);
          if (exporting) p.update(exporting, 1, 1);
          outcomes.push(out);
          if (out.model) owned.push(out.model);
          const artifacts = await recordArtifacts(name, out, {
            runDir: tmp,
            original: originalSize,
            ...(base ? { baseAccuracy: base.accuracy } : {}),
            ...(max !== undefined ? { maxAccuracyDrop: max } : {}),
            accuracyOf,
            line: (text) => p.line(text),
          });
          fs.writeFileSync(path.join(tmp, name, 'stage-report.json'), `${JSON.stringify(out.report, null, 1)}\n`);
          const primary = artifacts.find((a) => a.deployable) ?? artifacts[0];
          records.push({
            index: i + 1,
            name,
            kind: stage.kind,
            artifact: name,
            ...(primary
              ? {
                  files: primary.files.map((f) => f.slice(name.length + 1)),
                  format: primary.format,
                  sizeBytes: primary.sizeBytes,
                  sizeRatio: primary.sizeRatio,
                  storage: primary.storage,
                }
              : {}),
            ...(out.model ? await describeModel(out.model) : {}),
            ...(primary?.accuracy !== undefined
              ? {
                  accuracy: primary.accuracy,
                  accuracyDrop: primary.accuracyDrop ?? NaN,
                  examples: primary.examples as number,
                  evaluatedOn: primary.evaluatedOn as string,
                }
              : {}),
            seconds: (Date.now() - t) / 1000,
            report: out.report,
            artifacts,
            ...(out.skipped.length ? { skipped: [...out.skipped] } : {}),
          });
          for (const a of out.artifacts) {
            if (
              a.onnx &&
              !targets.some((x) => x.kind === 'onnx' && Buffer.from(x.bytes).equals(Buffer.from(a.onnx as Uint8Array)))
            )
              targets.push({ label: name, kind: 'onnx', bytes: a.onnx });
            if (a.benchModel) targets.push({ label: name, kind: 'tfjs', model: a.benchModel });
          }
          if (out.model) current = out.model;
        }
        const scored = records
          .flatMap((r) => r.artifacts ?? [])
          .filter((a) => a.deployable && a.accuracyDrop !== undefined);
        const drops = [0, ...scored.map((a) => a.accuracyDrop as number).filter(Number.isFinite)];
        const failures = max === undefined ? [] : scored.filter((a) => !((a.accuracyDrop as number) <= max));
        const deployment = buildDeployment(records, {
          ...(max !== undefined ? { maxAccuracyDrop: max } : {}),
          ...(recipe.deploy?.prefer ? { prefer: recipe.deploy.prefer } : {}),
          input: deploymentInput(original, runData, warnings),
          output: {
            ...(runData.classNames && (classes === undefined || runData.classNames.length === classes)
              ? { classNames: runData.classNames }
              : {}),
            ...(outputKind(original) ? { kind: outputKind(original) } : {}),
          },
        });
        p.line(`recommended: ${deployment.recommended ?? 'none'}`);
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
          inputs: inputRecordsList,
          stages: records,
          bench,
          evaluationBatchSize: EVAL_BATCH,
          ...(max !== undefined
            ? {
                checks: {
                  maxAccuracyDrop: max,
                  worstDrop: Math.max(...drops),
                  passed: failures.length === 0,
                  failures: failures.map((a) => ({ file: a.file, accuracyDrop: a.accuracyDrop as number })),
                },
              }
            : {}),
          deploy: deployment,
          warnings,
          startedAt: new Date(started).toISOString(),
          seconds: (Date.now() - started) / 1000,
        };
        fs.writeFileSync(path.join(tmp, DEPLOYMENT_FILE), `${JSON.stringify(deployment, null, 1)}\n`);
        fs.writeFileSync(path.join(tmp, 'report.json'), `${JSON.stringify(full, null, 1)}\n`);
        fs.writeFileSync(path.join(tmp, 'report.md'), reportMarkdown(full));
        fs.writeFileSync(path.join(tmp, 'report.html'), reportHtml(full));
        return full;
      },
      safe,
    );
  } finally {
    for (const o of outcomes) await o.dispose();
    for (const m of owned) disposeStageModel(m);
    disposeStageModel(original);
    data?.dispose();
  }
}
