// The recipe's schema (see recipe.ts for what each field means): every field typed and bounded,
// every number with a lower and an upper bound, every list and record with a maximum length,
// stage names restricted to one folder name.
import { PREPROCESS_PRESETS } from '../data/preprocess';
import { Field, Schema } from './schema';
import { PRUNE_TARGETS } from '../prune/tiles';

const fraction: Schema = { type: 'number', min: 0, max: 1, exclusiveMax: true, hint: 'Use a fraction such as 0.5.' };
const text = (maxLength: number, hint?: string): Schema => ({ type: 'string', maxLength, ...(hint ? { hint } : {}) });
const filePath = text(4096, 'Write a path relative to the recipe file.');
const names: Schema = { type: 'array', items: text(256), maxItems: 10_000 };
const positiveInt = (max: number, hint: string): Schema => ({ type: 'number', integer: true, min: 1, max, hint });

/** Stage names become folders: one path segment (see core/safe-output.ts). */
const stageName: Schema = {
  type: 'string',
  maxLength: 64,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  hint: "Use letters, digits, '.', '_' and '-' only, starting with a letter or digit (it becomes a folder name), e.g. \"int8\".",
};

const perChannel = (hint: string): Schema => ({
  type: 'oneOf',
  hint,
  options: [
    { type: 'number', min: -1e6, max: 1e6 },
    { type: 'array', minItems: 1, maxItems: 3, items: { type: 'number', min: -1e6, max: 1e6 } },
  ],
});

const preprocessing: Schema = {
  type: 'oneOf',
  hint: `a preset (${PREPROCESS_PRESETS.map((p) => JSON.stringify(p)).join(', ')}) or an object {preset?, scale?, mean?, std?, channelOrder?}`,
  options: [
    { type: 'string', enum: PREPROCESS_PRESETS },
    {
      type: 'object',
      fields: {
        preset: { schema: { type: 'string', enum: PREPROCESS_PRESETS } },
        scale: {
          schema: { type: 'number', min: -1e6, max: 1e6, hint: 'Use e.g. 0.00392156862745098 (1/255).' },
        },
        mean: { schema: perChannel('one number or three (one per channel), e.g. [0.485, 0.456, 0.406]') },
        std: { schema: perChannel('one number or three (one per channel), e.g. [0.229, 0.224, 0.225]') },
        channelOrder: { schema: { type: 'string', enum: ['rgb', 'bgr'] } },
      },
    },
  ],
};

const dataSpec: Schema = {
  type: 'object',
  fields: {
    path: { schema: filePath, required: true },
    labels: { schema: filePath },
    scale: {
      schema: {
        type: 'number',
        min: 0,
        exclusiveMin: true,
        max: 1e6,
        hint: 'Use e.g. 0.00392156862745098 (1/255).',
      },
    },
    limit: { schema: positiveInt(10_000_000, 'Use e.g. 1000.') },
    imageShape: {
      schema: {
        type: 'array',
        items: positiveInt(4096, 'Use [height, width, channels].'),
        minItems: 3,
        maxItems: 3,
      },
    },
    preprocessing: { schema: preprocessing },
    classNames: { schema: { type: 'array', items: text(256), minItems: 1, maxItems: 100_000 } },
    labelsFile: { schema: filePath },
  },
};
const common: Record<string, Field> = { name: { schema: stageName } };
const from: Field = { schema: { type: 'string', enum: ['previous', 'original'] } };

export const STAGES: Record<string, Record<string, Field>> = {
  prune: {
    ...common,
    from,
    method: { schema: { type: 'string', enum: ['magnitude', 'channels'] }, required: true },
    sparsity: { schema: fraction, required: true },
    layers: {
      schema: {
        type: 'record',
        values: fraction,
        maxKeys: 10_000,
        hint: 'Map layer names (or * patterns) to sparsities.',
      },
    },
    skip: { schema: names },
    only: { schema: names },
    target: { schema: { type: 'string', enum: PRUNE_TARGETS } },
    roundTo: { schema: positiveInt(4096, "Use 1 (no rounding) or the runtime's tile, e.g. 16.") },
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
          batchSize: { schema: positiveInt(4096, 'Use e.g. 32.') },
          observer: { schema: { type: 'string', enum: ['minmax', 'moving-average', 'percentile', 'mse', 'entropy'] } },
        },
      },
    },
    skip: { schema: names },
    only: { schema: names },
    dtype: { schema: { type: 'string', enum: ['uint8', 'uint16', 'float16'] } },
    weights: { schema: names },
  },
  distill: {
    ...common,
    from,
    epochs: { schema: { type: 'number', integer: true, min: 1, max: 1000, hint: 'Use e.g. 1.' }, required: true },
    batchSize: { schema: positiveInt(4096, 'Use e.g. 64.') },
    learningRate: { schema: { type: 'number', min: 1e-9, max: 10, hint: 'Use e.g. 0.0005.' } },
    alpha: { schema: { type: 'number', min: 0, max: 1, hint: 'Use e.g. 0.7 (the weight of the hard-label loss).' } },
    temperature: { schema: { type: 'number', min: 0, exclusiveMin: true, max: 1000, hint: 'Use e.g. 4.' } },
    softScale: { schema: { type: 'string', enum: ['temperatureSquared', 'none'] } },
  },
  export: {
    ...common,
    to: { schema: { type: 'string', enum: ['onnx', 'tfjs', 'tflite', 'coreml'] }, required: true },
    dtype: { schema: { type: 'string', enum: ['float32', 'uint8', 'uint16', 'float16', 'auto'] } },
  },
  bench: {
    ...common,
    runtimes: {
      schema: {
        type: 'array',
        minItems: 1,
        maxItems: 3,
        items: { type: 'string', enum: ['tfjs-wasm', 'tfjs-cpu', 'ort'] },
      },
    },
    batchSizes: {
      schema: { type: 'array', minItems: 1, maxItems: 8, items: positiveInt(1024, 'Use e.g. [1, 32].') },
    },
    threads: { schema: { type: 'array', minItems: 1, maxItems: 8, items: positiveInt(64, 'Use e.g. [1, 2].') } },
    rounds: { schema: positiveInt(100, 'Use e.g. 5.') },
  },
};

export const RECIPE: Schema = {
  type: 'object',
  fields: {
    version: {
      schema: { type: 'number', integer: true, min: 1, max: 1, hint: 'Write "version": 1.' },
      required: true,
    },
    name: { schema: text(256) },
    model: { schema: filePath, required: true },
    seed: { schema: { type: 'number', integer: true, min: 0, max: 2 ** 31 - 1, hint: 'Use e.g. 0.' } },
    data: {
      schema: {
        type: 'object',
        fields: { calibration: { schema: dataSpec }, evaluation: { schema: dataSpec }, training: { schema: dataSpec } },
      },
    },
    stages: {
      schema: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'union', tag: 'kind', variants: STAGES } },
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
    deploy: {
      schema: {
        type: 'object',
        fields: { prefer: { schema: { type: 'string', enum: ['ort', 'tfjs', 'tflite'] } } },
      },
    },
  },
};
