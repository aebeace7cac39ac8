// The command line on an .onnx model (ONNX in): `quantize`, `profile`, `bench` and `run` hand a
// model or recipe whose model is an .onnx file to these runners, which call the library's onnx
// namespace. Data (--data) is a .npy array in the model's layout or an image folder (resized to the
// model's input, or to --image-shape, preprocessed with --preprocessing) for models with one float
// input; --input-shape fixes free input dims (N,C,H,W: the batch stays free).
import * as fs from 'fs';
import { onnx } from 'onnx-proto';
import * as path from 'path';
import { writeOutputFolder } from '../../core/safe-output';
import { PREPROCESS_PRESETS, PreprocessPreset } from '../../data/preprocess';
import * as onnxIn from '../../onnx';
import { singleInput } from '../../onnx/data-files';
import { runOnnxRecipe, onnxRunMarkdown } from '../../onnx/recipe-run';
import { benchmark } from '../../bench/harness';
import type { Recipe } from '../../pipeline/recipe';
import { CommandContext, CommandResult, DATA_OPTIONS, checkedOutput, formatBytes, seedArg, textTable } from '../common';
import { OptionSpec, ParsedArgs, UsageError, choiceArg, intListArg, numberArg, stringArg } from '../args';

/** Options the ONNX runners read beyond the commands' own. */
export const ONNX_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'input-shape': {
    type: 'string',
    value: 'N,C,H,W',
    description: '.onnx models: fix free input dims to these (the batch stays free)',
  },
  preprocessing: DATA_OPTIONS.preprocessing as OptionSpec,
};

/** Quantize options only ONNX models take. */
export const ONNX_QUANTIZE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  ...ONNX_OPTIONS,
  only: {
    type: 'string',
    value: 'A,B',
    description: '.onnx models: node names (or * patterns) to quantize, the rest float',
  },
  ops: {
    type: 'string',
    value: 'Conv,MatMul',
    description: '.onnx models: operator types to quantize (default all the mode can)',
  },
};

/** True when MODEL names an .onnx file. */
export function isOnnxModel(p: string | undefined): boolean {
  return typeof p === 'string' && /\.onnx$/i.test(p);
}

const list = (args: ParsedArgs, k: string) =>
  stringArg(args, k)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The model, with --input-shape applied; and the shape for data files. */
async function openOnnx(args: ParsedArgs, ctx: CommandContext): Promise<onnxIn.OnnxFile> {
  const file = args.positionals[0] as string;
  ctx.progress.step(`opening ${file}`);
  let model = onnxIn.read(path.resolve(file));
  const shape = intListArg(args, 'input-shape', 1 << 16);
  const image = stringArg(args, 'image-shape');
  const dims = shape ?? (image ? imageDims(image) : undefined);
  if (dims) {
    const input = singleInput(model, 'tfjs-compress');
    model = (await onnxIn.fixShapes(model, { inputs: { [input.name]: ['N', ...dims.slice(shape ? 1 : 0)] } })).model;
  }
  return model;
}

function imageDims(v: string): number[] {
  const m = /^(\d+)x(\d+)x([13])$/.exec(v);
  if (!m)
    throw new UsageError(
      `--image-shape must be HxWxC with C 1 or 3, e.g. 224x224x3, got ${JSON.stringify(v.slice(0, 40))}.`,
    );
  return [Number(m[3]), Number(m[1]), Number(m[2])]; // NCHW, the ONNX layout
}

async function dataArg(
  args: ParsedArgs,
  model: onnxIn.OnnxFile,
  ctx: CommandContext,
  cap?: number,
): Promise<onnxIn.OnnxFeeds[] | undefined> {
  const data = stringArg(args, 'data');
  if (!data) return undefined;
  ctx.progress.step(`loading data from ${data}`);
  const preset = choiceArg(args, 'preprocessing', PREPROCESS_PRESETS) as PreprocessPreset | undefined;
  const scale = numberArg(args, 'scale');
  const asked = numberArg(args, 'limit', { integer: true, min: 1 });
  // Only the examples that will be used are decoded (the smaller of --limit and the command's need).
  const limit = asked !== undefined && cap !== undefined ? Math.min(asked, cap) : (asked ?? cap);
  return onnxIn.feedsFromFiles(model, path.resolve(data), {
    ...(preset ? { preprocessing: { preset } } : {}),
    ...(scale !== undefined ? { scale } : {}),
    ...(limit !== undefined ? { limit } : {}),
  });
}

/** `quantize model.onnx --mode ... --out DIR`: DIR/model.onnx and DIR/quantize-report.json. */
export async function runOnnxQuantize(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const { out, safe } = checkedOutput(args, 'quantize', ['data']);
  const data = stringArg(args, 'data');
  const dtype = choiceArg(args, 'dtype', ['float16'] as const);
  const mode =
    dtype === 'float16'
      ? 'float16'
      : (choiceArg(args, 'mode', ['weight-only', 'dynamic', 'static'] as const) ?? (data ? 'static' : 'dynamic'));
  const observer = choiceArg(args, 'observer', ['minmax', 'moving-average', 'percentile', 'mse', 'entropy'] as const);
  const options: onnxIn.OnnxQuantizeOptions = {
    mode,
    ...(numberArg(args, 'bits', { integer: true }) !== undefined
      ? { weightBits: numberArg(args, 'bits', { integer: true }) as number }
      : {}),
    ...(choiceArg(args, 'granularity', ['per-channel', 'per-tensor'] as const)
      ? { granularity: choiceArg(args, 'granularity', ['per-channel', 'per-tensor'] as const) }
      : {}),
    ...(numberArg(args, 'block-size', { integer: true }) !== undefined
      ? { blockSize: numberArg(args, 'block-size', { integer: true }) as number }
      : {}),
    ...(numberArg(args, 'count', { integer: true, min: 1 }) !== undefined
      ? { calibrationCount: numberArg(args, 'count', { integer: true, min: 1 }) as number }
      : {}),
    ...(observer ? { observer: { method: observer } } : {}),
    ...(list(args, 'skip') ? { skip: list(args, 'skip') as string[] } : {}),
    ...(list(args, 'only') ? { only: list(args, 'only') as string[] } : {}),
    ...(list(args, 'ops') ? { ops: list(args, 'ops') as string[] } : {}),
    seed: seedArg(args),
  };
  const model = await openOnnx(args, ctx);
  // Calibration reads --count examples (100 by default) and the comparison the first 32 of them.
  const needed = mode === 'static' ? (options.calibrationCount ?? 100) : 32;
  const feeds = await dataArg(args, model, ctx, needed);
  ctx.progress.step(`quantizing (${mode})`);
  const { bytes, report } = await onnxIn.quantize(model, feeds, options);
  await writeOutputFolder(
    out,
    (dir) => {
      fs.writeFileSync(path.join(dir, 'model.onnx'), bytes);
      fs.writeFileSync(path.join(dir, 'quantize-report.json'), `${JSON.stringify(report, null, 1)}\n`);
    },
    safe,
  );
  const o = report.comparison?.outputs[0];
  const text = [
    `wrote ${path.join(out, 'model.onnx')} (${formatBytes(report.sizeBytes)}, ${report.sizeRatio.toFixed(3)} of ${formatBytes(report.floatSizeBytes)}); ${report.nodes.length} nodes quantized (${[...new Set(report.nodes.map((n) => n.form))].join(', ') || 'none'}), ${report.skipped.length} left float`,
    `opset ${report.opset.from}${report.opset.to !== report.opset.from ? ` -> ${report.opset.to}` : ''}`,
    ...(o
      ? [
          `against the float model on ${report.comparison?.examples} inputs of ${data}: ${o.name} max |diff| ${o.maxAbsDiff.toExponential(3)}, mean ${o.meanAbsDiff.toExponential(3)}${o.top1Agreement !== undefined ? `, top-1 agreement ${(o.top1Agreement * 100).toFixed(2)}%` : ''}`,
        ]
      : []),
    ...report.warnings.map((w) => `warning: ${w}`),
  ];
  return {
    json: { out, file: path.join(out, 'model.onnx'), sizeBytes: report.sizeBytes, sizeRatio: report.sizeRatio, report },
    text: text.join('\n'),
  };
}

/** `profile model.onnx`: parameters, MACs per node, initializer bytes. */
export async function runOnnxProfile(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const file = args.positionals[0] as string;
  const model = onnxIn.read(path.resolve(file)); // as shipped: its own size and dims
  const feeds = await dataArg(args, await openOnnx(args, ctx), ctx);
  const shape = intListArg(args, 'input-shape', 1 << 16);
  const image = stringArg(args, 'image-shape');
  const dims = shape ?? (image ? [1, ...imageDims(image)] : undefined);
  ctx.progress.step('profiling in ONNX Runtime');
  const r = await onnxIn.profile(
    model,
    feeds?.slice(0, 1),
    dims ? { inputShapes: { [singleInput(model, 'profile').name]: dims } } : {},
  );
  const t = r.totals;
  const rows = r.nodes
    .filter((n) => n.params > 0 || (n.macs ?? 0) > 0)
    .map((n) => [
      n.name,
      n.op,
      `[${(n.outputShapes?.[0] ?? []).join(',')}]`,
      n.params,
      n.macs ?? '?',
      n.latencyMs?.toFixed(3) ?? '',
    ]);
  const summary = [
    `ONNX model ${args.positionals[0]}: opset ${r.opset}, ${t.nodes} nodes${r.producer ? `, from ${r.producer}` : ''}`,
    `params ${t.params.toLocaleString('en-US')}, initializers ${formatBytes(t.initializerBytes)}, file ${formatBytes(r.sizeBytes)}`,
    t.macs === null
      ? 'MACs: need one run (pass --data or --input-shape)'
      : `MACs ${t.macs.toLocaleString('en-US')} per example at ${JSON.stringify(r.measuredAt)}`,
    ...r.warnings.map((w) => `warning: ${w}`),
  ];
  return {
    json: { model: args.positionals[0], format: 'onnx', ...r },
    text: `${summary.join('\n')}\n\n${textTable(['node', 'op', 'output', 'params', 'MACs', 'kernel ms'], rows)}`,
  };
}

/** `bench model.onnx` with --data or --input-shape: ONNX Runtime at batch 1 on the given input. */
export async function runOnnxBench(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const model = await openOnnx(args, ctx);
  const feeds = await dataArg(args, model, ctx);
  const input = singleInput(model, 'bench');
  const dims = input.dims.map((d) => d ?? 1);
  const first = feeds?.[0] ?? {
    [input.name]: {
      data: new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 7919) % 256) / 255),
      dims,
    },
  };
  const threads = intListArg(args, 'threads', 256) ?? [1];
  const rounds = numberArg(args, 'rounds', { integer: true, min: 1, max: 1000 }) ?? 5;
  const bytes = onnx.ModelProto.encode(model.proto).finish();
  ctx.progress.step(`timing in ONNX Runtime at batch 1 (threads ${threads.join(', ')})`);
  const rows = await benchmark(
    threads.map((t) =>
      onnxIn.ortFeedsRuntime(bytes, first, {
        name: 'ort',
        threads: t,
        model: path.basename(args.positionals[0] as string),
      }),
    ),
    { batchSizes: [1], rounds },
  );
  const table = textTable(
    ['runtime', 'threads', 'batch', 'p50 ms', 'p90 ms'],
    rows.map((r) => [r.runtime, r.threads, r.batchSize, r.p50Ms.toFixed(3), r.p90Ms.toFixed(3)]),
  );
  return {
    json: { model: args.positionals[0], rows },
    text: `${table}\n\ninput ${JSON.stringify(Object.fromEntries(Object.entries(first).map(([k, v]) => [k, v.dims])))}${feeds ? ` from ${stringArg(args, 'data')}` : ' (generated values)'}`,
  };
}

/** `run recipe.json` whose model is an .onnx file. */
export async function runOnnxRun(
  recipe: Recipe,
  options: { baseDir: string; outDir: string; force: boolean; recipeFile: string },
  ctx: CommandContext,
): Promise<CommandResult> {
  const report = await runOnnxRecipe(recipe, { ...options, line: (t) => ctx.progress.line(t) });
  return {
    json: report,
    text: `wrote ${options.outDir} (deploy.json, report.json, report.md)\n\n${onnxRunMarkdown(report)}`,
    failed: report.checks ? !report.checks.passed : false,
  };
}
