// What the subcommands share: the context they run in (progress, output), opening the MODEL
// argument, reading --data into the data contract, and the data options' help texts.
import * as fs from 'fs';
import * as path from 'path';
import { OutputInput, SafeOutputOptions, checkOutputFolder } from '../core/safe-output';
import { LoadedData, loadDataFiles } from '../data/data-files';
import { StageModel, openModel } from '../pipeline/stage-model';
import { StageOutcome } from '../pipeline/artifact';
import { writeArtifactFolder, writtenLines } from '../pipeline/record-artifacts';
import { tfjsFolderFiles } from '../pipeline/sizes';
import { OptionSpec, ParsedArgs, UsageError, numberArg, stringArg } from './args';
import { Progress } from './progress';

/** What a subcommand gets besides its arguments. */
export interface CommandContext {
  readonly progress: Progress;
  /** Human-readable output (stdout), unless --json. */
  readonly print: (text: string) => void;
}

/** A subcommand's result: the JSON printed with --json, and the text printed otherwise. */
export interface CommandResult {
  readonly json: unknown;
  readonly text: string;
  /** Exit code 1 with the text on stderr (e.g. a failed check), even though outputs were written. */
  readonly failed?: boolean;
}

/** Options of the commands that read data. */
export const DATA_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  data: {
    type: 'string',
    value: 'DIR|FILE.npy',
    description:
      'data: a folder of images (PNG/JPEG/WebP; one subfolder per class, or flat for calibration) or a .npy file of inputs',
  },
  preprocessing: {
    type: 'string',
    value: 'unit|mobilenet|caffe|torch|none',
    description:
      "how pixels (0..255) become the model's inputs, as Keras' preprocess_input: unit [0, 1] (default), mobilenet [-1, 1], caffe (BGR minus the ImageNet mean), torch (ImageNet mean and std), none",
  },
  'class-names': {
    type: 'string',
    value: 'FILE',
    description:
      "class names in label order (one a line, or a JSON array): subfolders are matched by name, as Keras' class_names",
  },
  labels: { type: 'string', value: 'FILE.npy', description: 'labels for .npy inputs (integers, or one-hot rows)' },
  scale: {
    type: 'string',
    value: 'X',
    description: '.npy inputs are multiplied by X (e.g. 1/255); for pixels use --preprocessing',
  },
  limit: { type: 'string', value: 'N', description: 'use at most N examples of the data' },
  'image-shape': {
    type: 'string',
    value: 'HxWxC',
    description: 'image size for models whose input is not HxWxC (e.g. 28x28x1 for a flat 784 input)',
  },
  seed: { type: 'string', value: 'N', description: 'seed of data shuffles and fine-tuning (default 0)' },
};

/** The replace-it option of the commands that write a folder (the one safe-output rule set, core/safe-output.ts). */
const FORCE: OptionSpec = {
  type: 'boolean',
  description: 'replace an earlier output of tfjs-compress (never another folder)',
};

/**
 * --out DIR and --force of a command that writes a folder: `out` says what the folder must be,
 * `force` (optional) what --force does when it differs from replacing an earlier output.
 */
export function outputOptions(out: string, force?: string): Readonly<Record<string, OptionSpec>> {
  return {
    out: { type: 'string', value: 'DIR', description: out },
    force: force ? { ...FORCE, description: force } : FORCE,
  };
}

/** --skip and --only, layer-name lists (names or * patterns): `skipped` and `done` say what happens to them. */
export function layerListOptions(skipped: string, done: string): Readonly<Record<string, OptionSpec>> {
  return {
    skip: { type: 'string', value: 'A,B', description: `layer names (or * patterns) ${skipped}` },
    only: { type: 'string', value: 'A,B', description: `only these layers (names or * patterns) are ${done}` },
  };
}

/**
 * What a command reads, which its output folder must never be, contain or lie inside (core/safe-output.ts):
 * the model, and the paths the given options name when they are set.
 */
export function commandInputs(args: ParsedArgs, model: string, options: readonly string[]): OutputInput[] {
  return [
    { role: 'the model', path: path.resolve(model) },
    ...options.flatMap((k) => {
      const v = stringArg(args, k);
      return v ? [{ role: `the --${k} path`, path: path.resolve(v) }] : [];
    }),
  ];
}

/**
 * The --out folder of a command that reads the MODEL argument (and the paths `reads` names),
 * checked before any work by the one safe-output rule set; `safe` is what writing it takes.
 */
export function checkedOutput(
  args: ParsedArgs,
  kind: string,
  reads: readonly string[] = ['data', 'labels'],
): { out: string; safe: SafeOutputOptions } {
  const out = outArg(args);
  const safe = {
    caller: kind,
    kind,
    force: Boolean(args.values.force),
    inputs: commandInputs(args, args.positionals[0] as string, reads),
  };
  checkOutputFolder(out, safe);
  return { out, safe };
}

/**
 * The model folder a MODEL argument names: the folder itself, or the folder of the model.json
 * file given (what `tensorflowjs_converter` and `model.save` write, so users often pass it).
 * @example modelDirArg('./model/model.json') // '/abs/path/model'
 */
export function modelDirArg(p: string): string {
  const full = path.resolve(p);
  let isFile = false;
  try {
    isFile = fs.statSync(full).isFile();
  } catch {
    return full; // absent: the model reader says what is missing
  }
  if (!isFile) return full;
  if (path.basename(full) === 'model.json') return path.dirname(full);
  throw new UsageError(
    `MODEL must be a model folder or its model.json, got the file ${JSON.stringify(p.slice(0, 200))}. ` +
      'A TensorFlow.js model is a model.json with its weight files beside it: pass the folder (rename the file to model.json if it has another name).',
  );
}

/** Opens the MODEL argument (a model folder, or its model.json). */
export async function openModelArg(p: string, progress: Progress): Promise<StageModel> {
  progress.step(`opening ${p}`);
  return openModel(modelDirArg(p));
}

const PRESETS = ['unit', 'mobilenet', 'caffe', 'torch', 'none'] as const;

/**
 * Loads --data for a model input, or undefined without --data. `limit` caps what is read (the
 * smaller of it and --limit: only those files are decoded); `requireLabels` refuses unlabelled data.
 */
export async function loadDataArg(
  args: ParsedArgs,
  inputShape: readonly number[],
  progress: Progress,
  need: { readonly limit?: number; readonly requireLabels?: boolean } = {},
): Promise<LoadedData | undefined> {
  const data = stringArg(args, 'data');
  const labels = stringArg(args, 'labels');
  if (!data) {
    if (labels) throw new UsageError('--labels needs --data (the inputs the labels belong to).');
    return undefined;
  }
  const shape = stringArg(args, 'image-shape');
  let imageShape: [number, number, number] | undefined;
  if (shape !== undefined) {
    const m = /^(\d+)x(\d+)x([13])$/.exec(shape);
    if (!m)
      throw new UsageError(
        `--image-shape must be HxWxC with C 1 or 3, e.g. 28x28x1, got ${JSON.stringify(shape.slice(0, 40))}.`,
      );
    imageShape = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const scale = numberArg(args, 'scale');
  const asked = numberArg(args, 'limit', { integer: true, min: 1 });
  const limit = asked !== undefined && need.limit !== undefined ? Math.min(asked, need.limit) : (asked ?? need.limit);
  const preset = stringArg(args, 'preprocessing');
  if (preset !== undefined && !(PRESETS as readonly string[]).includes(preset))
    throw new UsageError(
      `--preprocessing must be one of ${PRESETS.join(', ')}, got ${JSON.stringify(preset.slice(0, 40))}. ` +
        "Use the mode of the Keras preprocess_input the model was trained with (mobilenet for MobileNet's [-1, 1]).",
    );
  const classNames = stringArg(args, 'class-names');
  progress.step(`loading data from ${data}`);
  return loadDataFiles(path.resolve(data), {
    inputShape,
    seed: seedArg(args),
    ...(labels ? { labels: path.resolve(labels) } : {}),
    ...(scale !== undefined ? { scale } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(preset !== undefined ? { preprocessing: { preset: preset as (typeof PRESETS)[number] } } : {}),
    ...(classNames !== undefined ? { labelsFile: path.resolve(classNames) } : {}),
    ...(need.requireLabels ? { requireLabels: true } : {}),
    ...(imageShape ? { imageShape } : {}),
    onImage: (d, t) => progress.update('images', d, t),
  });
}

/** --seed, default 0. */
export function seedArg(args: ParsedArgs): number {
  return numberArg(args, 'seed', { integer: true, min: 0, max: 2 ** 31 - 1 }) ?? 0;
}

/** The required --out folder. */
export function outArg(args: ParsedArgs): string {
  const out = stringArg(args, 'out');
  if (!out) throw new UsageError('--out DIR is required (the folder to write; it must not exist unless --force).');
  return path.resolve(out);
}

/** Bytes as text, e.g. "4.58 MiB (4,799,528 bytes)". */
export function formatBytes(n: number): string {
  const unit =
    n >= 1024 ** 2 ? ([1024 ** 2, 'MiB'] as const) : n >= 1024 ? ([1024, 'KiB'] as const) : ([1, 'bytes'] as const);
  return unit[0] === 1 ? `${n} bytes` : `${(n / unit[0]).toFixed(2)} ${unit[1]} (${n.toLocaleString('en-US')} bytes)`;
}

/** A plain-text table with aligned columns. */
export function textTable(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [columns, ...rows].map((r) => r.map(String));
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  '))
    .join('\n');
}

/**
 * The one-stage commands' output (quantize, export): every artifact of `outcome` and its report
 * (`reportFile`) written to `out`, with the lines to print and the JSON fields they share (the
 * first deployable artifact's size and storage against the model's files in `modelDir`).
 */
export async function writeStageFolder(
  out: string,
  outcome: StageOutcome & { readonly report: unknown },
  modelDir: string,
  reportFile: string,
  safe: SafeOutputOptions,
  ctx: CommandContext,
) {
  const original = tfjsFolderFiles(modelDir);
  const records = await writeArtifactFolder(out, outcome, {
    original,
    reportFile,
    line: (text) => ctx.progress.line(text),
    safe,
  });
  const primary = records.find((a) => a.deployable) ?? records[0];
  return {
    records,
    lines: [
      ...writtenLines(out, records, original),
      ...records.flatMap((a) => (a.notes ?? []).map((n) => `  ${a.file}: ${n}`)),
    ],
    json: {
      out,
      sizeBytes: primary?.sizeBytes,
      sizeRatio: primary?.sizeRatio,
      storage: primary?.storage,
      original: { sizeBytes: original.sizeBytes, storage: original.storage },
      artifacts: records,
      report: outcome.report,
    },
  };
}
