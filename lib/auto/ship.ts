// What a search ships: the recipe of the chosen point (its stages, the model and data files, the
// accuracy check) and the pipeline's run of it, so the artifact, deploy.json and report in the
// output are what `tfjs-compress run recipe.json` makes, by construction.
import * as path from 'path';
import { writeJsonAtomic } from '../core/atomic';
import { DataSpec, Recipe, validateRecipe } from '../pipeline/recipe';
import { runRecipe, PipelineProgress } from '../pipeline/run';
import type { PipelineReport } from '../pipeline/report';
import { AutoReport } from './report';
import { isOnnxTarget } from './options';

/** The recipe file's name in the output folder, and the run's folder. */
export const RECIPE_FILE = 'recipe.json';
export const RUN_FOLDER = 'run';

const relative = (from: string, to: string) => {
  const r = path.relative(from, to);
  return r === '' ? '.' : r.split(path.sep).join('/');
};

/**
 * The recipe of `report.chosen`, with paths relative to `recipeDir`: the model folder, and the data
 * (calibration and evaluation; the check is the search's accuracy limit).
 * @example autoRecipe(report, {recipeDir: 'out', modelDir: 'model', data: {path: 'images'}})
 */
export function autoRecipe(
  report: Pick<AutoReport, 'chosen' | 'maxDrop' | 'target'>,
  files: {
    readonly recipeDir: string;
    readonly modelDir: string;
    readonly data: DataSpec;
    /** The training data pruned candidates were distilled on (when the chosen stages distill). */
    readonly training?: DataSpec;
    readonly seed?: number;
  },
): Recipe {
  const rel = (d: DataSpec): DataSpec => ({
    ...d,
    path: relative(files.recipeDir, path.resolve(d.path)),
    ...(d.labels ? { labels: relative(files.recipeDir, path.resolve(d.labels)) } : {}),
    ...(d.labelsFile ? { labelsFile: relative(files.recipeDir, path.resolve(d.labelsFile)) } : {}),
  });
  const spec = rel(files.data);
  const fineTunes = report.chosen.stages.some((s) => s.kind === 'distill' || (s.kind === 'prune' && s.fineTune));
  return validateRecipe({
    version: 1,
    name: `auto: ${report.chosen.label} for ${report.target}`,
    model: relative(files.recipeDir, path.resolve(files.modelDir)),
    seed: files.seed ?? 0,
    data: {
      calibration: spec,
      evaluation: spec,
      ...(fineTunes && files.training ? { training: rel(files.training) } : {}),
    },
    stages: report.chosen.stages,
    checks: { maxAccuracyDrop: report.maxDrop },
    deploy: { prefer: isOnnxTarget(report.target) ? 'ort' : report.target === 'tflite' ? 'tflite' : 'tfjs' },
  });
}

/** Writes `recipe` to outDir/recipe.json (atomically) and runs it into outDir/run. */
export async function shipRecipe(
  recipe: Recipe,
  outDir: string,
  progress?: PipelineProgress,
): Promise<{ recipeFile: string; runDir: string; run: PipelineReport }> {
  const recipeFile = path.join(outDir, RECIPE_FILE);
  const runDir = path.join(outDir, RUN_FOLDER);
  writeJsonAtomic(recipeFile, recipe);
  const run = await runRecipe(recipe, {
    baseDir: outDir,
    outDir: runDir,
    recipeFile,
    force: true, // replaces an earlier run of this recipe (a folder holding the tool's marker), nothing else
    ...(progress ? { progress } : {}),
  });
  return { recipeFile, runDir, run };
}
