// Recipes: a compression pipeline as plain JSON (analyze -> optimize -> convert -> benchmark),
// validated field by field (an unknown field is an error naming its path, e.g. `stages[1].sparsity`).
//
// The shape borrows from three tools that have recipes:
// - NNCF (OpenVINO): a JSON config validated against a schema, whose `compression` is an ordered
//   list of algorithm objects each tagged by `algorithm` with its own parameters and an
//   `ignored_scopes` list; range initialisation counts samples (`num_init_samples`). Here:
//   `stages` is an ordered list tagged by `kind`, `skip` is the ignored list, and
//   `calibration.count` the number of calibration examples.
// - Intel Neural Compressor: a config that names the model, the quantization `approach`
//   (post-training static / dynamic), the evaluation data and an `accuracy_criterion`, with a
//   `random_seed` for reproducible runs. Here: `model`, `mode`, `data.evaluation`, `checks.maxAccuracyDrop`
//   and a top-level `seed`.
// - NVIDIA ModelOpt: a quantization config is `{quant_cfg: {wildcard: {num_bits, axis}}, algorithm}`,
//   wildcards matched against layer names, and `algorithm` the calibration method. Here: `*`
//   patterns in `skip` and in per-layer `layers` overrides, `weightBits` / `granularity`, and
//   `calibration.observer` as the calibration method.
// A recipe and its report reproduce a run: the report records the recipe, the versions, the seed,
// the machine and the sha256 of every input file.
//
// Validation (recipe-schema.ts) looks at own properties only and bounds every number, string
// and list; then the checks that span fields: distinct stage names that are each one folder
// name, one preprocessing for all the data, a bounded amount of benchmark work.
import { ConfigError } from '../errors';
import { checkPathSegment } from '../core/safe-output';
import { Preprocessing, PreprocessPreset, ResolvedPreprocessing, resolvePreprocessing } from '../data/preprocess';
import { RECIPE, STAGES } from './recipe-schema';
import { validate } from './schema';
import type { PruneTarget } from '../prune/tiles';

/** Where data comes from: an image folder (class subfolders) or a .npy file of inputs. */
export interface DataSpec {
  /** Folder or .npy file, relative to the recipe file. */
  readonly path: string;
  /** .npy labels file (relative to the recipe file). */
  readonly labels?: string;
  /** .npy inputs are multiplied by this (e.g. 1/255). */
  readonly scale?: number;
  /** Use at most this many examples. */
  readonly limit?: number;
  /** Image folders for models with flat inputs: [height, width, channels]. */
  readonly imageShape?: [number, number, number];
  /**
   * How the model's inputs are made from 8-bit pixels: a preset ('unit' [0, 1], 'mobilenet'
   * [-1, 1], 'caffe', 'torch', 'none') or explicit numbers. Image folders default to 'unit'.
   * Recorded in deploy.json for serving.
   */
  readonly preprocessing?: PreprocessPreset | Preprocessing;
  /** Name of class i of the model's output (Keras `class_names` order); an image folder's subfolders are mapped to these. */
  readonly classNames?: readonly string[];
  /** A text file with one class name per line (or a JSON list), relative to the recipe file; instead of classNames. */
  readonly labelsFile?: string;
}

export interface PruneStage {
  readonly kind: 'prune';
  readonly method: 'magnitude' | 'channels';
  readonly sparsity: number;
  readonly layers?: Readonly<Record<string, number>>;
  readonly skip?: readonly string[];
  /** Layer-name patterns of the only layers the stage touches (`*` matches any text). */
  readonly only?: readonly string[];
  /** Channels: the runtime the model will run on (kept channels in its measured tile; default 'any'). */
  readonly target?: PruneTarget;
  /** Channels: round kept channels to multiples of this instead (1: no rounding). */
  readonly roundTo?: number;
  /** Fine-tune on data.training after pruning (magnitude keeps its zeros). */
  readonly fineTune?: { readonly epochs: number; readonly batchSize?: number; readonly learningRate?: number };
  readonly from?: 'previous' | 'original';
  readonly name?: string;
}

export interface QuantizeStage {
  readonly kind: 'quantize';
  /** Layers models: post-training quantization mode. */
  readonly mode?: 'weight-only' | 'dynamic' | 'static';
  readonly weightBits?: number;
  readonly activationBits?: number;
  readonly granularity?: 'per-tensor' | 'per-channel';
  /** Weight-only int4: Dense kernels in blocks of this many inputs (32, 64, 128). */
  readonly blockSize?: number;
  readonly calibration?: {
    readonly count?: number;
    /** Examples per calibration forward pass (default 32, lowered to what fits in memory). */
    readonly batchSize?: number;
    readonly observer?: 'minmax' | 'moving-average' | 'percentile' | 'mse' | 'entropy';
  };
  readonly skip?: readonly string[];
  /** Layer-name patterns of the only layers the stage touches (`*` matches any text). */
  readonly only?: readonly string[];
  /** Graph models (and tfjs files): the converter's weight quantization. */
  readonly dtype?: 'uint8' | 'uint16' | 'float16';
  readonly weights?: readonly string[];
  readonly from?: 'previous' | 'original';
  readonly name?: string;
}

export interface ExportStage {
  readonly kind: 'export';
  readonly to: 'onnx' | 'tfjs' | 'tflite' | 'coreml';
  /** tfjs: weight storage of the written files. */
  readonly dtype?: 'float32' | 'uint8' | 'uint16' | 'float16' | 'auto';
  readonly name?: string;
}

/** Knowledge distillation of the stage's model from the recipe's original model, on data.training (distill.train's options). */
export interface DistillStage {
  readonly kind: 'distill';
  readonly epochs: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /** Weight of the hard-label loss (default 0.7); the soft term gets 1 - alpha. */
  readonly alpha?: number;
  /** Softmax temperature of the soft term (default 4). */
  readonly temperature?: number;
  readonly softScale?: 'temperatureSquared' | 'none';
  readonly from?: 'previous' | 'original';
  readonly name?: string;
}

export interface BenchStage {
  readonly kind: 'bench';
  readonly runtimes?: readonly ('tfjs-wasm' | 'tfjs-cpu' | 'ort')[];
  readonly batchSizes?: readonly number[];
  readonly threads?: readonly number[];
  readonly rounds?: number;
  readonly name?: string;
}

export type Stage = PruneStage | QuantizeStage | DistillStage | ExportStage | BenchStage;

/** A validated recipe. */
export interface Recipe {
  readonly version: 1;
  readonly name?: string;
  /** The model folder (model.json + weights), relative to the recipe file. */
  readonly model: string;
  readonly seed?: number;
  readonly data?: { readonly calibration?: DataSpec; readonly evaluation?: DataSpec; readonly training?: DataSpec };
  readonly stages: readonly Stage[];
  readonly checks?: { readonly maxAccuracyDrop?: number };
  /** Which artifact deploy.json recommends: the runtime preferred among those within the checks (default 'ort'). */
  readonly deploy?: { readonly prefer?: 'ort' | 'tfjs' | 'tflite' };
}

/** Bench work bound: sum of batch sizes x rounds x thread counts (examples timed per round-robin, roughly). */
export const MAX_BENCH_WORK = 65_536;

/** Names a stage folder may not take (the run folder's own files). */
export const RESERVED_NAMES: readonly string[] = ['deploy.json', 'report.json', 'report.md', 'report.html', 'original'];

/** The data roles of a recipe. */
export const DATA_ROLES = ['calibration', 'evaluation', 'training'] as const;

/** The preprocessing of a data spec with every number spelled out (undefined when the spec gives none). */
export function specPreprocessing(spec: DataSpec | undefined, where: string): ResolvedPreprocessing | undefined {
  if (!spec?.preprocessing) return undefined;
  const p = typeof spec.preprocessing === 'string' ? { preset: spec.preprocessing } : spec.preprocessing;
  return resolvePreprocessing(p, `recipe: ${where}.preprocessing`);
}

/** The default folder name of stage `i` (1-based): `NN-kind-detail`, e.g. `02-quantize-static`. */
export function defaultStageName(stage: Stage, i: number): string {
  const detail =
    stage.kind === 'prune'
      ? `${stage.method}-${stage.sparsity}`
      : stage.kind === 'quantize'
        ? (stage.dtype ?? stage.mode ?? 'static')
        : stage.kind === 'export'
          ? `${stage.to}${stage.dtype ? `-${stage.dtype}` : ''}`
          : stage.kind === 'distill'
            ? `${stage.epochs}`
            : '';
  return `${String(i).padStart(2, '0')}-${stage.kind}${detail ? `-${detail}` : ''}`
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 64);
}

/**
 * Every stage's folder name (its `name`, or the default): one validated path segment each
 * (core/safe-output.ts), distinct ignoring case (case-insensitive file systems), and none of the
 * run folder's own files.
 */
export function stageNames(recipe: Recipe): string[] {
  const names = recipe.stages.map((s, i) =>
    checkPathSegment(s.name ?? defaultStageName(s, i + 1), 'recipe', `stages[${i}].name`),
  );
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    const key = n.toLowerCase();
    if (RESERVED_NAMES.includes(key))
      throw new ConfigError(
        `recipe: stages[${i}] a folder name other than ${RESERVED_NAMES.join(', ')}, got "${n}". Give the stage another "name".`,
      );
    const j = seen.get(key);
    if (j !== undefined)
      throw new ConfigError(
        `recipe: stage names that differ (ignoring case), got "${n}" for stages[${j}] and stages[${i}]. Give the stages distinct "name"s.`,
      );
    seen.set(key, i);
  });
  return names;
}

function crossChecks(r: Recipe): void {
  stageNames(r);
  r.stages.forEach((s, i) => {
    if (s.kind !== 'bench') return;
    const work = (s.batchSizes ?? [1, 32]).reduce((a, b) => a + b, 0) * (s.rounds ?? 5) * (s.threads ?? [1]).length;
    if (work > MAX_BENCH_WORK)
      throw new ConfigError(
        `recipe: stages[${i}] a benchmark of at most ${MAX_BENCH_WORK} examples per runtime (sum of batchSizes x rounds x threads), ` +
          `got ${work}. Use fewer rounds or smaller batches, e.g. "batchSizes": [1, 32], "rounds": 5.`,
      );
  });
  let shared: { where: string; json: string } | undefined;
  for (const role of DATA_ROLES) {
    const spec = r.data?.[role];
    if (!spec) continue;
    const where = `data.${role}`;
    if (spec.classNames && spec.labelsFile)
      throw new ConfigError(`recipe: ${where} classNames or labelsFile, got both. Keep one of them.`);
    if (spec.classNames && new Set(spec.classNames).size !== spec.classNames.length)
      throw new ConfigError(
        `recipe: ${where}.classNames without repeats, got a name twice. Give each class its own name.`,
      );
    if (spec.preprocessing && spec.scale !== undefined)
      throw new ConfigError(
        `recipe: ${where} scale or preprocessing, got both. Use preprocessing (it says how 8-bit pixels become inputs), e.g. "unit" for x / 255.`,
      );
    const p = specPreprocessing(spec, where);
    if (!p) continue;
    const json = JSON.stringify(p);
    if (shared && shared.json !== json)
      throw new ConfigError(
        `recipe: one preprocessing for all the data (the model takes one), got different ones in ${shared.where} and ${where}. Give the same preprocessing.`,
      );
    shared ??= { where, json };
  }
}

/**
 * Checks a parsed recipe and returns a typed copy of it (null-prototype objects, known fields
 * only); a ConfigError names the first bad field by its path.
 * @example validateRecipe({version: 1, model: 'model', stages: [{kind: 'prune', method: 'magnitude', sparsity: 0.5}]})
 */
export function validateRecipe(value: unknown): Recipe {
  const recipe = validate('recipe', '', value, RECIPE) as Recipe;
  crossChecks(recipe);
  return recipe;
}

/** The stage kinds and their fields (for help texts). */
export const STAGE_FIELDS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(STAGES).map(([k, f]) => [k, Object.keys(f)]),
);
