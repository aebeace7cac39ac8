// `tfjs-compress auto --model model.onnx --data D --target ort ...`: auto.search on an ONNX model.
// Its precision candidates (static INT8 with node fallback, dynamic INT8, int4 weight-only, float16
// for --goal size) are timed in ONNX Runtime for Node; the search journals in --out and resumes like
// the layers-model search. It writes OUT/model.onnx (the chosen model), OUT/auto-report.json, and
// OUT/recipe.json, which the ONNX recipe runner then runs into OUT/run (what `tfjs-compress run`
// makes: deploy.json, report.json), so the recipe is checked by the pipeline itself.
import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic, writeFileAtomic } from '../../core/atomic';
import { checkOutputFolder, hasOutputMarker, writeOutputFolder } from '../../core/safe-output';
import { permutation } from '../../core/rng';
import { PREPROCESS_PRESETS, PreprocessPreset } from '../../data/preprocess';
import type { AutoOptions } from '../../auto/options';
import type { AutoReport } from '../../auto/report';
import { search } from '../../auto/search';
import { JOURNAL_FILE } from '../../auto/journal';
import { autoRecipe, RECIPE_FILE, RUN_FOLDER } from '../../auto/ship';
import { readOnnx } from '../../onnx/read';
import { FilesFeeds, readFeeds } from '../../onnx/data-files';
import { runOnnxRecipe } from '../../onnx/recipe-run';
import { ParsedArgs, UsageError, choiceArg, numberArg, stringArg } from '../args';
import { CommandContext, CommandResult, commandInputs, textTable } from '../common';

/** The chosen model's file in the output folder. */
export const AUTO_ONNX_FILE = 'model.onnx';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

/** The lines both auto commands print after a search: the candidates, the chosen point, the latency model, warnings. */
export function searchSummary(report: AutoReport, runtime: string, maxDrop: number): string[] {
  const c = report.chosen;
  const rows = report.candidates.map((e) => [
    e.label,
    pct(e.accuracy),
    e.sizeBytes,
    e.speedup !== undefined ? `${e.speedup.toFixed(2)}x` : '-',
    report.front.includes(e.label) ? 'front' : '',
  ]);
  return [
    textTable(['candidate', 'accuracy (search)', 'sizeBytes', `speedup on ${runtime}`, ''], rows),
    '',
    `chosen: ${c.label}: held-out accuracy ${pct(c.accuracy)} (original ${pct(c.baseAccuracy)}, drop ${pct(c.accuracyDrop)} <= ${pct(maxDrop)}), ` +
      `${c.speedupOnTarget !== undefined ? `${c.speedupOnTarget.toFixed(2)}x on ${runtime}, ` : ''}size ratio ${c.sizeRatio.toFixed(3)}`,
    ...(report.latencyModel
      ? [
          `latency model: median error ${report.latencyModel.medianAbsErrorPct.toFixed(1)}% (leave-one-out, ${report.latencyModel.points} points)`,
        ]
      : []),
    `${report.evaluations} evaluations (${report.reusedEvaluations} from the journal), ${report.searchSeconds.toFixed(1)} s`,
    ...report.warnings.map((w) => `warning: ${w}`),
  ];
}

/** Examples of `all` in a seeded order, the first `1 - heldOutFraction` for the search, the rest held out. */
function splitFeeds(all: FilesFeeds, heldOutFraction: number, seed: number) {
  const labels = all.labels as Int32Array;
  const order = permutation(all.feeds.length, seed);
  const cut = Math.round(all.feeds.length * (1 - heldOutFraction));
  const part = (idx: Int32Array) => ({
    feeds: Array.from(idx, (i) => all.feeds[i] as FilesFeeds['feeds'][number]),
    labels: Int32Array.from(idx, (i) => labels[i] as number),
  });
  return { search: part(order.subarray(0, cut)), heldOut: part(order.subarray(cut)) };
}

/** The ONNX path of `auto` (the arguments already checked by the auto command). */
export async function runAutoOnnx(
  args: ParsedArgs,
  ctx: CommandContext,
  o: { modelFile: string; data: string; out: string; heldOutFraction: number; options: AutoOptions },
): Promise<CommandResult> {
  if (o.options.target !== 'ort')
    throw new UsageError(
      `--target must be ort for an ONNX model (it is timed and scored in ONNX Runtime), got ${o.options.target}. Use --target ort, or search the TensorFlow.js model it came from for ${o.options.target}.`,
    );
  for (const k of ['train', 'sparsities', 'workers', 'batch-size'])
    if (args.values[k] !== undefined)
      throw new UsageError(
        `--${k} applies to TensorFlow.js layers models (pruning, fine-tuning, batched timing), got it with the ONNX file ${JSON.stringify(path.basename(o.modelFile))}. Drop it.`,
      );
  const modelFile = path.resolve(o.modelFile);
  const labels = stringArg(args, 'labels');
  const force = Boolean(args.values.force);
  const inputs = commandInputs(args, modelFile, ['data', 'labels']);
  const safe = { caller: 'auto', kind: 'auto', force, inputs };
  const resuming = !force && fs.existsSync(path.join(o.out, JOURNAL_FILE)) && hasOutputMarker(o.out);
  if (!resuming) checkOutputFolder(o.out, safe); // before any work
  const model = readOnnx(modelFile); // a broken file is refused before the output folder is made
  if (!resuming) await writeOutputFolder(o.out, async () => undefined, safe);
  else ctx.progress.step(`resuming the search journaled in ${o.out}`);
  const preset = choiceArg(args, 'preprocessing', PREPROCESS_PRESETS) as PreprocessPreset | undefined;
  const scale = numberArg(args, 'scale');
  const limit = numberArg(args, 'limit', { integer: true, min: 1 });
  const shape = stringArg(args, 'image-shape')?.split('x').map(Number) as [number, number, number] | undefined;
  ctx.progress.step(`loading data from ${o.data}`);
  const all = await readFeeds(model, path.resolve(o.data), {
    ...(preset ? { preprocessing: { preset } } : {}),
    ...(scale !== undefined ? { scale } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(labels ? { labels: path.resolve(labels) } : {}),
  });
  if (!all.labels) throw new UsageError('--data must be labelled: class subfolders, or .npy inputs with --labels.');
  const data = splitFeeds(all, o.heldOutFraction, o.options.seed ?? 0);
  ctx.progress.step(`searching for ort (${o.options.goal ?? 'latency'}, at most ${pct(o.options.maxDrop)} lost)`);
  const { bytes, report } = await search(model, data, {
    ...o.options,
    journalDir: o.out,
    onEvaluation: (text) => ctx.progress.line(`  ${text}`),
  });
  writeFileAtomic(path.join(o.out, AUTO_ONNX_FILE), bytes);
  writeJsonAtomic(path.join(o.out, 'auto-report.json'), report);
  const recipe = autoRecipe(report, {
    recipeDir: o.out,
    modelDir: modelFile,
    seed: o.options.seed ?? 0,
    data: {
      path: path.resolve(o.data),
      ...(labels ? { labels: path.resolve(labels) } : {}),
      ...(scale !== undefined ? { scale } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(shape ? { imageShape: shape } : {}),
      ...(preset ? { preprocessing: preset } : {}),
    },
  });
  const recipeFile = path.join(o.out, RECIPE_FILE);
  writeJsonAtomic(recipeFile, recipe);
  ctx.progress.step('running the chosen recipe through the ONNX pipeline');
  const run = await runOnnxRecipe(recipe, {
    baseDir: o.out,
    outDir: path.join(o.out, RUN_FOLDER),
    recipeFile,
    force: true,
    line: (t) => ctx.progress.line(t),
  });
  const text = [
    `wrote ${o.out}: ${AUTO_ONNX_FILE}, auto-report.json, ${RECIPE_FILE}, ${RUN_FOLDER}/ (deploy.json: ${run.deploy.recommended})`,
    '',
    ...searchSummary(report, 'ort', o.options.maxDrop),
  ];
  return {
    json: { out: o.out, report, recipe, run },
    text: text.join('\n'),
    failed: run.checks ? !run.checks.passed : false,
  };
}
