// `tfjs-compress auto --model DIR --data D --target T --max-drop X --out DIR`: compress to a target.
// The search (auto.search) measures candidates on the target runtime, journals every finished
// evaluation in DIR (run it again with the same arguments after a crash or a kill and it resumes),
// checks the chosen point on held-out data, then writes DIR/recipe.json and runs it through the
// pipeline into DIR/run (the artifact, deploy.json and report that `tfjs-compress run` writes), with
// the search's own report in DIR/auto-report.json. An .onnx --model takes the ONNX path (auto-onnx.ts).
import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../../core/atomic';
import type { Preprocessing } from '../../data/preprocess';
import { checkOutputFolder, hasOutputMarker, writeOutputFolder } from '../../core/safe-output';
import { disposeStageModel, stageInputShape } from '../../pipeline/stage-model';
import { AutoTarget, autoRecipe, search, splitData } from '../../auto';
import { JOURNAL_FILE } from '../../auto/journal';
import { AUTO_GOALS, resolveAutoOptions } from '../../auto/options';
import { CommandSpec, ParsedArgs, UsageError, choiceArg, numberArg, stringArg } from '../args';
import {
  CommandContext,
  CommandResult,
  DATA_OPTIONS,
  loadDataArg,
  modelDirArg,
  openModelArg,
  outArg,
  seedArg,
  commandInputs,
  outputOptions,
} from '../common';
import { shipRecipe } from '../../auto/ship';
import { createExecutor } from '../../exec/create';
import { runAutoOnnx, searchSummary } from './auto-onnx';

/** The search's report in the output folder. */
export const AUTO_REPORT_FILE = 'auto-report.json';

const TARGETS = ['ort', 'ort-web', 'tfjs-wasm', 'tflite'] as const;

export const AUTO: CommandSpec = {
  name: 'auto',
  summary:
    'Compress to a target: search pruning and precision for the fastest (or smallest) model on a runtime within an accuracy drop, then write its recipe and run it.',
  positionals: [],
  options: {
    model: {
      type: 'string',
      value: 'DIR',
      description:
        'a TensorFlow.js layers model folder (float), or its model.json; or an .onnx file (precision candidates only, --target ort)',
    },
    target: {
      type: 'string',
      value: TARGETS.join('|'),
      description: 'the runtime the model will run on (its latency is measured there)',
    },
    'max-drop': {
      type: 'string',
      value: 'X',
      description: 'largest accuracy drop allowed, a fraction (0.01 = 1 point), checked on held-out data',
    },
    goal: { type: 'string', value: AUTO_GOALS.join('|'), description: 'what to minimise (default latency)' },
    budget: {
      type: 'string',
      value: 'T',
      description: 'no new evaluation starts after this long, e.g. 30m, 2h, 90s (default none)',
    },
    'held-out': {
      type: 'string',
      value: 'F',
      description: 'fraction of --data held out for the final check (default 0.5)',
    },
    'batch-size': { type: 'string', value: 'N', description: 'batch size of the latency measurements (default 1)' },
    sparsities: { type: 'string', value: 'A,B', description: 'channel-pruning levels tried (default 0.25,0.5)' },
    train: {
      type: 'string',
      value: 'DIR|FILE.npy',
      description:
        'labelled training data: pruned candidates learn back from the original model on it (one epoch of distillation; read like --data)',
    },
    'train-labels': { type: 'string', value: 'FILE.npy', description: 'labels for .npy --train inputs' },
    workers: {
      type: 'string',
      value: 'N',
      description:
        'run the accuracy-only probes in parallel on N worker threads (on the BullMQ queue when TFJS_COMPRESS_REDIS_URL is set); timings stay serial',
    },
    ...outputOptions(
      'output folder: new, or the folder of an interrupted search with the same arguments (it resumes)',
      'replace an earlier output of tfjs-compress instead of resuming it',
    ),
    ...DATA_OPTIONS,
  },
  notes: [
    '--data must be labelled (class subfolders, or .npy with --labels): part of it scores candidates and calibrates INT8,',
    'the held-out part is only used to check the chosen point.',
    'example: tfjs-compress auto --model ./model --data ./images --target ort --max-drop 0.01 --out ./auto',
    '         tfjs-compress auto --model ./model --data x.npy --labels y.npy --scale 0.00392156862745098 --target tflite --goal size --max-drop 0.005 --budget 30m --out ./auto',
    '         tfjs-compress auto --model model.onnx --data ./images --target ort --max-drop 0.01 --out ./auto   (ONNX: precision only)',
  ],
};

/** Seconds of a duration such as '30m', '2h', '90s' or '45' (seconds). */
export function parseBudget(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(seconds > 0 && seconds <= 7 * 24 * 3600))
    throw new UsageError(
      `--budget must be a duration such as 30m, 2h or 90s (at most a week), got ${JSON.stringify(text.slice(0, 40))}.`,
    );
  return seconds;
}

function sparsitiesArg(args: ParsedArgs): number[] | undefined {
  const v = stringArg(args, 'sparsities');
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => Number(s.trim()));
  if (!list.length || list.length > 8 || list.some((s) => !(s > 0 && s < 0.95)))
    throw new UsageError(
      `--sparsities must be 1 to 8 fractions in (0, 0.95) separated by commas, e.g. 0.25,0.5, got ${JSON.stringify(v.slice(0, 60))}.`,
    );
  return list;
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export async function runAutoCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const modelArg = stringArg(args, 'model');
  if (!modelArg)
    throw new UsageError('--model DIR is required (a TensorFlow.js layers model folder, or an .onnx file).');
  const data = stringArg(args, 'data');
  if (!data) throw new UsageError('--data is required (labelled examples: class subfolders, or .npy with --labels).');
  const target = choiceArg(args, 'target', TARGETS);
  if (!target) throw new UsageError(`--target is required: one of ${TARGETS.join(', ')}.`);
  const maxDrop = numberArg(args, 'max-drop', { min: 0, max: 0.99 });
  if (maxDrop === undefined) throw new UsageError('--max-drop is required, e.g. 0.01 (one point of accuracy).');
  const goal = choiceArg(args, 'goal', AUTO_GOALS);
  const budgetText = stringArg(args, 'budget');
  const budgetSeconds = budgetText !== undefined ? parseBudget(budgetText) : undefined;
  const heldOutFraction = numberArg(args, 'held-out', { min: 0.05, max: 0.95 }) ?? 0.5;
  const batchSize = numberArg(args, 'batch-size', { integer: true, min: 1, max: 1024 });
  const sparsities = sparsitiesArg(args);
  const workers = numberArg(args, 'workers', { integer: true, min: 1, max: 64 });
  const seed = seedArg(args);
  const searchOptions = {
    target: target as AutoTarget,
    maxDrop,
    seed,
    ...(goal ? { goal } : {}),
    ...(budgetSeconds !== undefined ? { budgetSeconds } : {}),
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(sparsities ? { sparsities } : {}),
  };
  resolveAutoOptions(searchOptions); // every option checked before any work
  const out = outArg(args);
  if (/\.onnx$/i.test(modelArg))
    return runAutoOnnx(args, ctx, { modelFile: modelArg, data, out, heldOutFraction, options: searchOptions });
  const modelDir = modelDirArg(modelArg);
  const labels = stringArg(args, 'labels');
  const classNames = stringArg(args, 'class-names');
  const train = stringArg(args, 'train');
  const trainLabels = stringArg(args, 'train-labels');
  if (trainLabels && !train) throw new UsageError('--train-labels needs --train (the inputs the labels belong to).');
  const inputs = commandInputs(args, modelDir, ['data', 'labels', 'class-names', 'train', 'train-labels']);
  const force = Boolean(args.values.force);
  const safe = { caller: 'auto', kind: 'auto', force, inputs };
  const resuming = !force && fs.existsSync(path.join(out, JOURNAL_FILE)) && hasOutputMarker(out);
  if (!resuming) {
    checkOutputFolder(out, safe); // before any work
    await writeOutputFolder(out, async () => undefined, safe); // the empty output, with the tool's marker
  } else ctx.progress.step(`resuming the search journaled in ${out}`);
  const m = await openModelArg(modelArg, ctx.progress);
  const loaded = await loadDataArg(args, stageInputShape(m), ctx.progress, { requireLabels: true });
  // The training data is read like --data (its scale and preprocessing), with its own labels.
  const training = train
    ? await loadDataArg(
        {
          ...args,
          values: {
            ...args.values,
            data: train,
            ...(trainLabels ? { labels: trainLabels } : {}),
            ...(trainLabels || !labels ? {} : { labels: undefined }),
          },
        } as ParsedArgs,
        stageInputShape(m),
        ctx.progress,
        { requireLabels: true },
      ).catch((e: unknown) => {
        loaded?.dispose();
        disposeStageModel(m);
        throw e;
      })
    : undefined;
  try {
    if (m.kind !== 'layers')
      throw new UsageError(
        '--model must be a layers model (model.json of format "layers-model"); graph models cannot be pruned or calibrated here.',
      );
    if (!loaded?.labelled)
      throw new UsageError('--data must be labelled: class subfolders, or .npy inputs with --labels.');
    const split = splitData(loaded.source, { heldOutFraction, seed });
    const executor = workers !== undefined ? createExecutor({ workers }) : undefined;
    try {
      ctx.progress.step(`searching for ${target} (${goal ?? 'latency'}, at most ${pct(maxDrop)} lost)`);
      const { model, report } = await search(
        m.model,
        { ...split, ...(training ? { training: training.source } : {}) },
        {
          ...searchOptions,
          journalDir: out,
          onEvaluation: (text) => ctx.progress.line(`  ${text}`),
          ...(executor ? { executor } : {}),
        },
      );
      model.dispose();
      writeJsonAtomic(path.join(out, AUTO_REPORT_FILE), report);
      const scale = numberArg(args, 'scale');
      const limit = numberArg(args, 'limit', { integer: true, min: 1 });
      const preset = stringArg(args, 'preprocessing');
      const shape = stringArg(args, 'image-shape')?.split('x').map(Number) as [number, number, number] | undefined;
      const recipe = autoRecipe(report, {
        recipeDir: out,
        modelDir,
        seed,
        ...(train
          ? {
              training: {
                path: path.resolve(train),
                ...(trainLabels ? { labels: path.resolve(trainLabels) } : {}),
                ...(scale !== undefined ? { scale } : {}),
                ...(preset ? { preprocessing: preset as Preprocessing['preset'] & string } : {}),
                ...(classNames ? { labelsFile: path.resolve(classNames) } : {}),
              },
            }
          : {}),
        data: {
          path: path.resolve(data),
          ...(labels ? { labels: path.resolve(labels) } : {}),
          ...(scale !== undefined ? { scale } : {}),
          ...(limit !== undefined ? { limit } : {}),
          ...(shape ? { imageShape: shape } : {}),
          ...(preset ? { preprocessing: preset as Preprocessing['preset'] & string } : {}),
          ...(classNames ? { labelsFile: path.resolve(classNames) } : {}),
        },
      });
      ctx.progress.step('running the chosen recipe through the pipeline');
      const { recipeFile, runDir, run } = await shipRecipe(recipe, out, ctx.progress);
      const text = [
        `wrote ${out}: ${AUTO_REPORT_FILE}, ${path.basename(recipeFile)}, ${path.basename(runDir)}/ (deploy.json: ${run.deploy?.recommended ?? 'none'})`,
        '',
        ...searchSummary(report, target, maxDrop),
      ];
      return {
        json: { out, report, recipe, run },
        text: text.join('\n'),
        failed: run.checks ? !run.checks.passed : false,
      };
    } finally {
      split.dispose();
      await executor?.close();
    }
  } finally {
    training?.dispose();
    loaded?.dispose();
    disposeStageModel(m);
  }
}
