// `tfjs-compress run RECIPE --out DIR`: a whole pipeline from a recipe file (pipeline.runRecipe),
// every stage's artifact and one report (report.json, report.md, report.html) in DIR.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, DataError } from '../../errors';
import { validateRecipe, STAGE_FIELDS } from '../../pipeline/recipe';
import { runRecipe } from '../../pipeline/run';
import { stageTable } from '../../pipeline/report';
import { CommandSpec, ParsedArgs } from '../args';
import { CommandContext, CommandResult, outArg, textTable } from '../common';

export const RUN: CommandSpec = {
  name: 'run',
  summary:
    "Run a compression pipeline from a recipe (JSON): optimize, convert and benchmark, writing every stage's artifact and one report.",
  positionals: [{ name: 'RECIPE', description: 'a recipe file (JSON); its paths are relative to it' }],
  options: {
    out: { type: 'string', value: 'DIR', description: 'output folder (must not exist unless --force)' },
    force: { type: 'boolean', description: 'replace an existing output folder' },
  },
  notes: [
    'recipe: {"version": 1, "model": "./model", "seed": 0,',
    '         "data": {"calibration": {"path": "./calib"}, "evaluation": {"path": "./test.npy", "labels": "./test-labels.npy", "scale": 0.00392156862745098}},',
    '         "stages": [{"kind": "prune", ...}, {"kind": "quantize", ...}, {"kind": "export", "to": "onnx"}, {"kind": "bench"}],',
    '         "checks": {"maxAccuracyDrop": 0.01}}',
    ...Object.entries(STAGE_FIELDS).map(([k, f]) => `stage "${k}": ${f.join(', ')}`),
  ],
};

/** Reads and validates a recipe file. */
export function readRecipe(file: string): { recipe: ReturnType<typeof validateRecipe>; text: string } {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.size > 1024 * 1024)
      throw new DataError(
        `run: a recipe file of at most 1 MiB, got ${st.size} bytes in ${file}. Is this the recipe?`,
        file,
      );
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(
      `run: a recipe file at ${file}, got ${(e as NodeJS.ErrnoException).code ?? 'an error'}. Check the path.`,
      file,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      `run: a recipe in JSON in ${file}, got "${(e as Error).message}". Fix the JSON (no comments, no trailing commas).`,
    );
  }
  try {
    return { recipe: validateRecipe(json), text };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.message.replace(/^recipe:/, `recipe ${file}:`));
    throw e;
  }
}

export async function runRunCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const file = path.resolve(args.positionals[0] as string);
  const out = outArg(args);
  const { recipe } = readRecipe(file);
  const report = await runRecipe(recipe, {
    baseDir: path.dirname(file),
    outDir: out,
    force: Boolean(args.values.force),
    recipeFile: file,
    progress: ctx.progress,
  });
  const t = stageTable(report);
  const failed = report.checks ? !report.checks.passed : false;
  const text = [
    `wrote ${out} (report.json, report.md, report.html)`,
    '',
    textTable(t.columns, t.rows),
    ...(report.checks
      ? [
          '',
          `check: largest accuracy drop ${(report.checks.worstDrop * 100).toFixed(2)}% vs at most ${(report.checks.maxAccuracyDrop * 100).toFixed(2)}%: ${report.checks.passed ? 'passed' : 'FAILED'}`,
        ]
      : []),
  ];
  return { json: report, text: text.join('\n'), failed };
}
