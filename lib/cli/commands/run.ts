// `tfjs-compress run RECIPE --out DIR`: a whole pipeline from a recipe file (pipeline.runRecipe),
// every stage's artifacts, deploy.json (which one to ship) and one report (report.json, report.md,
// report.html) in DIR. `--dry-run` checks everything and prints the plan and an estimate instead.
import * as path from 'path';
import { STAGE_FIELDS } from '../../pipeline/recipe';
import { readRecipeFile } from '../../pipeline/recipe-file';
import { runRecipe } from '../../pipeline/run';
import { planRecipe, planText } from '../../pipeline/dry-run';
import { stageTable } from '../../pipeline/report';
import { CommandSpec, ParsedArgs } from '../args';
import { isOnnxModel, runOnnxRun } from './onnx-in';
import { CommandContext, CommandResult, outArg, outputOptions, textTable } from '../common';

export const RUN: CommandSpec = {
  name: 'run',
  summary:
    "Run a compression pipeline from a recipe (JSON): optimize, convert and benchmark, writing every stage's artifacts, deploy.json and one report.",
  positionals: [{ name: 'RECIPE', description: 'a recipe file (JSON); its paths are relative to it' }],
  options: {
    ...outputOptions('output folder: a new one, never one holding the recipe, model or data'),
    'dry-run': {
      type: 'boolean',
      description: 'check the recipe, model, data and output folder, print the plan and an estimate, write nothing',
    },
  },
  notes: [
    'recipe: {"version": 1, "model": "./model", "seed": 0,',
    '         "data": {"calibration": {"path": "./calib"},',
    '                  "evaluation": {"path": "./test", "preprocessing": "mobilenet", "labelsFile": "./labels.txt"}},',
    '         "stages": [{"kind": "prune", ...}, {"kind": "quantize", ...}, {"kind": "export", "to": "onnx"}, {"kind": "bench"}],',
    '         "checks": {"maxAccuracyDrop": 0.01}}',
    'data: "preprocessing" is a preset (unit, mobilenet, caffe, torch, none) or {scale, mean, std, channelOrder};',
    '      "classNames" or "labelsFile" give the model\'s class order.',
    ...Object.entries(STAGE_FIELDS).map(([k, f]) => `stage "${k}": ${f.join(', ')}`),
    'Each stage writes a folder of what runs (model.onnx, model.tflite, model.json + weights); a quantize stage',
    'keeps its FakeQuantize simulation apart in plan/, which is not deployable. deploy.json names the artifact to ship.',
  ],
};

/** Reads and validates a recipe file. */
export function readRecipe(file: string): ReturnType<typeof readRecipeFile> {
  return readRecipeFile(file, 'run');
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export async function runRunCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const file = path.resolve(args.positionals[0] as string);
  const out = outArg(args);
  const { recipe } = readRecipe(file);
  const options = {
    baseDir: path.dirname(file),
    outDir: out,
    force: Boolean(args.values.force),
    recipeFile: file,
    progress: ctx.progress,
  };
  if (isOnnxModel(recipe.model) && !args.values['dry-run']) return runOnnxRun(recipe, options, ctx);
  if (args.values['dry-run']) {
    const plan = await planRecipe(recipe, options);
    return { json: { dryRun: true, ...plan }, text: planText(plan, out) };
  }
  const report = await runRecipe(recipe, options);
  const t = stageTable(report);
  const failed = report.checks ? !report.checks.passed : false;
  const d = report.deploy;
  const text = [
    `wrote ${out} (deploy.json, report.json, report.md, report.html)`,
    '',
    textTable(t.columns, t.rows),
    ...(report.checks
      ? [
          '',
          `check: largest accuracy drop ${pct(report.checks.worstDrop)} vs at most ${pct(report.checks.maxAccuracyDrop)}: ${report.checks.passed ? 'passed' : 'FAILED'}`,
          ...(report.checks.failures ?? []).map((f) => `  over the limit: ${f.file} (drop ${pct(f.accuracyDrop)})`),
        ]
      : []),
    ...(d ? ['', `recommended: ${d.recommended ?? 'none'}`, `  ${d.reason}`] : []),
  ];
  return { json: report, text: text.join('\n'), failed };
}
