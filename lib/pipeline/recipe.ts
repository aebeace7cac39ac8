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
import { Field, Schema, validate } from './schema';

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
}

export interface PruneStage {
  readonly kind: 'prune';
  readonly method: 'magnitude' | 'channels';
  readonly sparsity: number;
  readonly layers?: Readonly<Record<string, number>>;
  readonly skip?: readonly string[];
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
    readonly observer?: 'minmax' | 'moving-average' | 'percentile' | 'mse' | 'entropy';
  };
  readonly skip?: readonly string[];
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

export interface BenchStage {
  readonly kind: 'bench';
  readonly runtimes?: readonly ('tfjs-wasm' | 'tfjs-cpu' | 'ort')[];
  readonly batchSizes?: readonly number[];
  readonly threads?: readonly number[];
  readonly rounds?: number;
  readonly name?: string;
}

export type Stage = PruneStage | QuantizeStage | ExportStage | BenchStage;

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
}

const fraction: Schema = { type: 'number', min: 0, max: 1, exclusiveMax: true, hint: 'Use a fraction such as 0.5.' };
const names: Schema = { type: 'array', items: { type: 'string' } };
const positiveInt = (max: number, hint: string): Schema => ({ type: 'number', integer: true, min: 1, max, hint });
const dataSpec: Schema = {
  type: 'object',
  fields: {
    path: { schema: { type: 'string' }, required: true },
    labels: { schema: { type: 'string' } },
    scale: { schema: { type: 'number', hint: 'Use e.g. 0.00392156862745098 (1/255).' } },
    limit: { schema: positiveInt(10_000_000, 'Use e.g. 1000.') },
    imageShape: { schema: { type: 'array', items: positiveInt(4096, 'Use [height, width, channels].'), minItems: 3 } },
  },
};
const common: Record<string, Field> = { name: { schema: { type: 'string' } } };
const from: Field = { schema: { type: 'string', enum: ['previous', 'original'] } };

const STAGES: Record<string, Record<string, Field>> = {
  prune: {
    ...common,
    from,
    method: { schema: { type: 'string', enum: ['magnitude', 'channels'] }, required: true },
    sparsity: { schema: fraction, required: true },
    layers: { schema: { type: 'record', values: fraction, hint: 'Map layer names (or * patterns) to sparsities.' } },
    skip: { schema: names },
    fineTune: {
      schema: {
        type: 'object',
        fields: {
          epochs: { schema: { type: 'number', integer: true, min: 0, max: 1000, hint: 'Use e.g. 1.' }, required: true },
          batchSize: { schema: positiveInt(4096, 'Use e.g. 64.') },
          learningRate: { schema: { type: 'number', min: 1e-9, max: 10, hint: 'Use e.g. 0.0005.' } },
        },
      },
    },
  },
  quantize: {
    ...common,
    from,
    mode: { schema: { type: 'string', enum: ['weight-only', 'dynamic', 'static'] } },
    weightBits: { schema: { type: 'number', integer: true, min: 2, max: 16, hint: 'Use 8.' } },
    activationBits: { schema: { type: 'number', integer: true, min: 2, max: 16, hint: 'Use 8.' } },
    granularity: { schema: { type: 'string', enum: ['per-tensor', 'per-channel'] } },
    blockSize: {
      schema: {
        type: 'number',
        integer: true,
        min: 32,
        max: 128,
        hint: 'Use 32, 64 or 128 (with mode weight-only and weightBits 4).',
      },
    },
    calibration: {
      schema: {
        type: 'object',
        fields: {
          count: { schema: positiveInt(1_000_000, 'Use e.g. 256.') },
          observer: { schema: { type: 'string', enum: ['minmax', 'moving-average', 'percentile', 'mse', 'entropy'] } },
        },
      },
    },
    skip: { schema: names },
    dtype: { schema: { type: 'string', enum: ['uint8', 'uint16', 'float16'] } },
    weights: { schema: names },
  },
  export: {
    ...common,
    to: { schema: { type: 'string', enum: ['onnx', 'tfjs', 'tflite', 'coreml'] }, required: true },
    dtype: { schema: { type: 'string', enum: ['float32', 'uint8', 'uint16', 'float16', 'auto'] } },
  },
  bench: {
    ...common,
    runtimes: {
      schema: { type: 'array', minItems: 1, items: { type: 'string', enum: ['tfjs-wasm', 'tfjs-cpu', 'ort'] } },
    },
    batchSizes: { schema: { type: 'array', minItems: 1, items: positiveInt(4096, 'Use e.g. [1, 32].') } },
    threads: { schema: { type: 'array', minItems: 1, items: positiveInt(256, 'Use e.g. [1, 2].') } },
    rounds: { schema: positiveInt(1000, 'Use e.g. 5.') },
  },
};

const RECIPE: Schema = {
  type: 'object',
  fields: {
    version: { schema: { type: 'number', integer: true, min: 1, max: 1, hint: 'Write "version": 1.' }, required: true },
    name: { schema: { type: 'string' } },
    model: { schema: { type: 'string' }, required: true },
    seed: { schema: { type: 'number', integer: true, min: 0, max: 2 ** 31 - 1, hint: 'Use e.g. 0.' } },
    data: {
      schema: {
        type: 'object',
        fields: { calibration: { schema: dataSpec }, evaluation: { schema: dataSpec }, training: { schema: dataSpec } },
      },
    },
    stages: {
      schema: { type: 'array', minItems: 1, items: { type: 'union', tag: 'kind', variants: STAGES } },
      required: true,
    },
    checks: {
      schema: {
        type: 'object',
        fields: {
          maxAccuracyDrop: { schema: { type: 'number', min: 0, max: 1, hint: 'Use a fraction such as 0.01.' } },
        },
      },
    },
  },
};

/**
 * Checks a parsed recipe and returns it typed; a ConfigError names the first bad field by its path.
 * @example validateRecipe({version: 1, model: 'model', stages: [{kind: 'prune', method: 'magnitude', sparsity: 0.5}]})
 */
export function validateRecipe(value: unknown): Recipe {
  validate('recipe', '', value, RECIPE);
  return value as Recipe;
}

/** The stage kinds and their fields (for help texts). */
export const STAGE_FIELDS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(STAGES).map(([k, f]) => [k, Object.keys(f)]),
);
