// Recipes whose model is an .onnx file (`tfjs-compress run recipe.json` with "model": "./model.onnx"):
// the same recipe words, on onnx.quantize. Quantize stages take mode 'dynamic', 'static' (needs
// data.calibration), 'weight-only' (weightBits 4: MatMulNBits) or dtype 'float16', with weightBits,
// granularity, blockSize, calibration.count/observer and skip; an export stage to 'onnx' keeps the
// model as it is; a bench stage times the original and every artifact in ONNX Runtime (batch 1, in
// interleaved rounds). Pruning takes TensorFlow.js models and is refused. When data.* gives an
// imageShape and the model's input dims are free, they are fixed first (onnx.fixShapes), so the run's
// artifacts can be served. Each stage writes NN-name/model.onnx and its report; the run writes
// report.json, report.md and deploy.json (what `tfjs-compress serve <run folder>` reads).
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { ConfigError } from '../errors';
import { writeOutputFolder } from '../core/safe-output';
import { machineInfo } from '../core/machine';
import { pathSha256 } from '../data/digest';
import { DEPLOYMENT_FILE, Deployment, DeploymentArtifact, validateDeployment } from '../data/deployment';
import { benchmark } from '../bench/harness';
import type { DataSpec, QuantizeStage, Recipe } from '../pipeline/recipe';
import { specPreprocessing } from '../pipeline/recipe';
import { compareOutputs } from './compare';
import { FilesFeeds, readFeeds, singleInput } from './data-files';
import { ortSession } from '../export/onnx/runtime';
import { fixShapes } from './fix-shapes';
import { OnnxFeeds, ortFeeds, runSession } from './feeds';
import { OnnxQuantizeOptions, quantize } from './quantize';
import { OnnxFile, readOnnx } from './read';
import { ortFeedsRuntime } from './runtime';

/** Options of {@link runOnnxRecipe} (those of the pipeline's runRecipe). */
export interface OnnxRunOptions {
  readonly baseDir: string;
  readonly outDir: string;
  readonly force?: boolean;
  readonly recipeFile?: string;
  /** Progress lines (the CLI's). */
  readonly line?: (text: string) => void;
}

/** One artifact of the run, as report.json lists it. */
export interface OnnxRunStage {
  readonly name: string;
  readonly file: string;
  readonly precision: string;
  readonly sizeBytes: number;
  readonly sizeRatio: number;
  readonly accuracy?: number;
  readonly accuracyDrop?: number;
  /** The outputs against the original model's on the evaluation data. */
  readonly agreement?: Awaited<ReturnType<typeof compareOutputs>>;
  readonly report?: unknown;
  readonly p50Ms?: number;
  readonly speedup?: number;
}

/** What {@link runOnnxRecipe} returns (also written as report.json). */
export interface OnnxRunReport {
  readonly recipe: Recipe;
  readonly model: {
    readonly path: string;
    readonly sha256: string;
    readonly sizeBytes: number;
    readonly opset: number;
    readonly fixedShape?: readonly (number | string)[];
  };
  readonly original: Omit<OnnxRunStage, 'name' | 'file' | 'sizeRatio'>;
  readonly stages: OnnxRunStage[];
  readonly checks?: { readonly maxAccuracyDrop: number; readonly worstDrop: number; readonly passed: boolean };
  readonly deploy: Deployment;
  readonly machine: ReturnType<typeof machineInfo>;
  readonly warnings: string[];
}

const FN = 'run';

function quantizeOptions(s: QuantizeStage): OnnxQuantizeOptions {
  if (s.weights || s.activationBits !== undefined || s.calibration?.batchSize !== undefined)
    throw new ConfigError(
      `${FN}: quantize stages of an ONNX model take mode, dtype 'float16', weightBits, granularity, blockSize, calibration.count/observer and skip, got ${s.weights ? 'weights' : s.activationBits !== undefined ? 'activationBits' : 'calibration.batchSize'}. Drop it.`,
    );
  if (s.dtype && s.dtype !== 'float16')
    throw new ConfigError(
      `${FN}: dtype 'float16' for an ONNX model (its weights stored as float16), got ${JSON.stringify(s.dtype)}. Use mode 'weight-only' for 8 or 4 bits.`,
    );
  return {
    mode: s.dtype === 'float16' ? 'float16' : (s.mode ?? 'static'),
    ...(s.weightBits !== undefined ? { weightBits: s.weightBits } : {}),
    ...(s.granularity ? { granularity: s.granularity } : {}),
    ...(s.blockSize !== undefined ? { blockSize: s.blockSize } : {}),
    ...(s.calibration?.count !== undefined ? { calibrationCount: s.calibration.count } : {}),
    ...(s.calibration?.observer ? { observer: { method: s.calibration.observer } } : {}),
    ...(s.skip ? { skip: s.skip } : {}),
  };
}

function precisionOf(o: OnnxQuantizeOptions): string {
  if (o.mode === 'float16') return 'float16';
  if (o.mode === 'weight-only') return (o.weightBits ?? 4) === 4 ? 'int4' : 'int8-weights';
  return 'int8';
}

/** Top-1 accuracy of the model's first output against the labels. */
async function accuracy(bytes: Uint8Array, data: FilesFeeds): Promise<number | undefined> {
  if (!data.labels) return undefined;
  const s = await ortSession(bytes);
  try {
    let right = 0;
    for (const [i, f] of data.feeds.entries()) {
      const out = (await runSession(s, ortFeeds(s, f, FN), FN))[s.outputNames[0] as string];
      const y = out?.data as Float32Array;
      let best = 0;
      for (let j = 1; j < y.length; j++) if ((y[j] as number) > (y[best] as number)) best = j;
      right += best === data.labels[i] ? 1 : 0;
    }
    return right / data.feeds.length;
  } finally {
    await s.release();
  }
}

/** Runs a recipe whose model is an .onnx file; writes the run folder; returns its report. */
export async function runOnnxRecipe(recipe: Recipe, options: OnnxRunOptions): Promise<OnnxRunReport> {
  const line = options.line ?? (() => undefined);
  const modelPath = path.resolve(options.baseDir, recipe.model);
  let model: OnnxFile = readOnnx(modelPath);
  const shippedBytes = model.sizeBytes; // the .onnx file and its external data
  const specs = recipe.data ?? {};
  const input = singleInput(model, FN);
  const imageShape = specs.evaluation?.imageShape ?? specs.calibration?.imageShape;
  let fixedShape: (number | string)[] | undefined;
  if (imageShape && input.dims.slice(1).some((d) => d === undefined)) {
    const [h, w, c] = imageShape;
    fixedShape = input.dims[1] === 1 || input.dims[1] === 3 ? ['N', c, h, w] : ['N', h, w, c];
    model = (await fixShapes(model, { inputs: { [input.name]: fixedShape } })).model;
  }
  const load = async (spec: DataSpec | undefined, role: string): Promise<FilesFeeds | undefined> => {
    if (!spec) return undefined;
    line(`loading ${role} data from ${spec.path}`);
    const pre = specPreprocessing(spec, `data.${role}`);
    return readFeeds(model, path.resolve(options.baseDir, spec.path), {
      ...(spec.scale !== undefined ? { scale: spec.scale } : {}),
      ...(spec.limit !== undefined ? { limit: spec.limit } : {}),
      ...(spec.labels ? { labels: path.resolve(options.baseDir, spec.labels) } : {}),
      ...(pre
        ? {
            preprocessing: { scale: pre.scale, mean: [...pre.mean], std: [...pre.std], channelOrder: pre.channelOrder },
          }
        : {}),
    });
  };
  const calibration = await load(specs.calibration, 'calibration');
  const evaluation = (await load(specs.evaluation, 'evaluation')) ?? calibration;
  const originalBytes = onnx.ModelProto.encode(model.proto).finish();
  const stages: (OnnxRunStage & { bytes: Uint8Array })[] = [];
  let previous = { bytes: originalBytes, name: 'original' };
  for (const [i, stage] of recipe.stages.entries()) {
    const nn = String(i + 1).padStart(2, '0');
    if (stage.kind === 'prune' || stage.kind === 'distill')
      throw new ConfigError(
        `${FN}: stages an ONNX model takes (quantize, export to onnx, bench), got a ${stage.kind} stage (stages[${i}]). ${stage.kind === 'prune' ? 'Prune' : 'Distill'} the TensorFlow.js model before converting it, or drop the stage.`,
      );
    if (stage.kind === 'export' && stage.to !== 'onnx')
      throw new ConfigError(
        `${FN}: export to 'onnx' for an ONNX model (it stays one), got ${JSON.stringify(stage.to)} (stages[${i}]). Export the TensorFlow.js model instead.`,
      );
    if (stage.kind === 'bench') continue;
    const source = stage.kind === 'quantize' && stage.from === 'original' ? originalBytes : previous.bytes;
    if (stage.kind === 'export') {
      const name = `${nn}-${stage.name ?? 'export-onnx'}`;
      stages.push({
        name,
        file: `${name}/model.onnx`,
        precision: 'as the previous stage',
        sizeBytes: source.length,
        sizeRatio: source.length / shippedBytes,
        bytes: source,
      });
      continue;
    }
    const q = quantizeOptions(stage);
    if (q.mode === 'static' && !calibration)
      throw new ConfigError(
        `${FN}: data.calibration for a static quantize stage (stages[${i}]), got none. Add {"calibration": {"path": ...}} to data.`,
      );
    line(`quantizing (${q.mode})`);
    const { bytes, report } = await quantize(source, calibration?.feeds, {
      ...q,
      compareCount: 0,
      ...(recipe.seed !== undefined ? { seed: recipe.seed } : {}),
    });
    const name = `${nn}-${stage.name ?? `quantize-${q.mode}`}`;
    stages.push({
      name,
      file: `${name}/model.onnx`,
      precision: precisionOf(q),
      sizeBytes: bytes.length,
      sizeRatio: bytes.length / shippedBytes,
      report,
      bytes,
    });
    previous = { bytes, name };
  }
  // Scores on the evaluation data: accuracy with labels, agreement with the original always.
  const baseAccuracy = evaluation ? await accuracy(originalBytes, evaluation) : undefined;
  for (const [i, s] of stages.entries()) {
    if (!evaluation) continue;
    const acc = await accuracy(s.bytes, evaluation);
    stages[i] = {
      ...s,
      ...(acc !== undefined
        ? { accuracy: acc, ...(baseAccuracy !== undefined ? { accuracyDrop: baseAccuracy - acc } : {}) }
        : {}),
      agreement: await compareOutputs(originalBytes, s.bytes, evaluation.feeds, {
        limit: Math.min(64, evaluation.feeds.length),
      }),
    };
  }
  const bench = recipe.stages.find((s) => s.kind === 'bench');
  let baseMs: number | undefined;
  if (bench && bench.kind === 'bench') {
    if ((bench.runtimes ?? ['ort']).some((r) => r !== 'ort'))
      throw new ConfigError(
        `${FN}: runtimes ['ort'] for an ONNX model, got ${JSON.stringify(bench.runtimes)}. TensorFlow.js does not run ONNX files.`,
      );
    const feeds = (evaluation ?? calibration)?.feeds[0] as OnnxFeeds | undefined;
    if (!feeds)
      throw new ConfigError(
        `${FN}: data (evaluation or calibration) to time an ONNX model on, got none. Add data to the recipe.`,
      );
    line('timing in ONNX Runtime');
    const threads = bench.threads?.[0] ?? 1;
    const rows = await benchmark(
      [
        ortFeedsRuntime(originalBytes, feeds, { name: 'original', threads }),
        ...stages.map((s) => ortFeedsRuntime(s.bytes, feeds, { name: s.name, threads })),
      ],
      { batchSizes: [1], rounds: bench.rounds ?? 5 },
    );
    baseMs = rows.find((r) => r.runtime === 'original')?.p50Ms;
    for (const [i, s] of stages.entries()) {
      const p50Ms = rows.find((r) => r.runtime === s.name)?.p50Ms;
      if (p50Ms !== undefined) stages[i] = { ...s, p50Ms, ...(baseMs ? { speedup: baseMs / p50Ms } : {}) };
    }
  }
  const max = recipe.checks?.maxAccuracyDrop;
  const drops = stages.map((s) => s.accuracyDrop).filter((d): d is number => d !== undefined);
  const checks =
    max !== undefined && drops.length
      ? { maxAccuracyDrop: max, worstDrop: Math.max(...drops), passed: drops.every((d) => d <= max) }
      : undefined;
  const within = stages.filter((s) => max === undefined || s.accuracyDrop === undefined || s.accuracyDrop <= max);
  const best = [...within].sort((a, b) => a.sizeBytes - b.sizeBytes)[0];
  const artifacts: DeploymentArtifact[] = stages.map((s) => ({
    stage: s.name,
    file: s.file,
    format: 'onnx',
    runtime: 'ort',
    deployable: true,
    precision: s.precision,
    sizeBytes: s.sizeBytes,
    ...(s.accuracy !== undefined ? { accuracy: s.accuracy } : {}),
  }));
  const pre = specPreprocessing(specs.evaluation ?? specs.calibration, 'data');
  const first = Object.values((evaluation ?? calibration)?.feeds[0] ?? {})[0];
  const warnings: string[] = [];
  let classNames = evaluation?.classNames;
  const outDims = model.proto.graph?.output?.[0]?.type?.tensorType?.shape?.dim ?? [];
  const classes = Number(outDims[outDims.length - 1]?.dimValue ?? 0);
  if (classNames && classNames.length !== classes) {
    warnings.push(
      `The evaluation folder has ${classNames.length} classes and the model ${classes || 'an unknown number of'} outputs: deploy.json names no classes.`,
    );
    classNames = undefined;
  }
  const deploy = validateDeployment({
    format: 'tfjs-compress-deployment',
    version: 1,
    recommended: best?.file ?? null,
    reason: best
      ? `the smallest ONNX artifact${max !== undefined ? ' within the accuracy check' : ''}, run by ONNX Runtime`
      : 'no stage wrote a model',
    artifacts,
    input: {
      shape: first ? first.dims.slice(1) : input.dims.slice(1).map((d) => d ?? 0),
      dtype: 'float32',
      ...(pre ? { preprocessing: pre } : {}),
    },
    output: { ...(classNames ? { classNames } : {}) },
  });
  const report: OnnxRunReport = {
    recipe,
    model: {
      path: recipe.model,
      sha256: pathSha256(modelPath),
      sizeBytes: shippedBytes,
      opset: model.opset,
      ...(fixedShape ? { fixedShape } : {}),
    },
    original: {
      precision: 'fp32',
      sizeBytes: shippedBytes,
      ...(baseAccuracy !== undefined ? { accuracy: baseAccuracy } : {}),
      ...(baseMs !== undefined ? { p50Ms: baseMs } : {}),
    },
    stages: stages.map(({ bytes: _bytes, ...s }) => s),
    ...(checks ? { checks } : {}),
    deploy,
    machine: machineInfo(),
    warnings,
  };
  const inputs = [
    { role: 'the model', path: modelPath },
    ...(options.recipeFile ? [{ role: 'the recipe', path: options.recipeFile }] : []),
    ...Object.entries(specs).flatMap(([role, s]) =>
      s ? [{ role: `the ${role} data`, path: path.resolve(options.baseDir, (s as DataSpec).path) }] : [],
    ),
  ];
  await writeOutputFolder(
    options.outDir,
    (dir) => {
      for (const s of stages) {
        fs.mkdirSync(path.join(dir, s.name));
        fs.writeFileSync(path.join(dir, s.file), s.bytes);
        if (s.report)
          fs.writeFileSync(path.join(dir, s.name, 'quantize-report.json'), `${JSON.stringify(s.report, null, 1)}\n`);
      }
      fs.writeFileSync(path.join(dir, DEPLOYMENT_FILE), `${JSON.stringify(deploy, null, 1)}\n`);
      fs.writeFileSync(path.join(dir, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
      fs.writeFileSync(path.join(dir, 'report.md'), onnxRunMarkdown(report));
    },
    { caller: FN, kind: 'run', force: Boolean(options.force), inputs },
  );
  return report;
}

/** The run's table as Markdown (and as the CLI prints it). */
export function onnxRunMarkdown(r: OnnxRunReport): string {
  const cell = (v: number | undefined, f: (x: number) => string) => (v === undefined ? '' : f(v));
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const rows = [
    [
      'original',
      r.model.path,
      'fp32',
      r.original.sizeBytes,
      '1.000',
      cell(r.original.accuracy, pct),
      '',
      cell(r.original.p50Ms, (x) => x.toFixed(3)),
      '',
    ],
    ...r.stages.map((s) => [
      s.name,
      s.file,
      s.precision,
      s.sizeBytes,
      s.sizeRatio.toFixed(3),
      cell(s.accuracy, pct),
      cell(s.agreement?.outputs[0]?.maxAbsDiff, (x) => x.toExponential(2)),
      cell(s.p50Ms, (x) => x.toFixed(3)),
      cell(s.speedup, (x) => `${x.toFixed(2)}x`),
    ]),
  ];
  const head = [
    'stage',
    'file',
    'precision',
    'bytes',
    'size ratio',
    'accuracy',
    'max abs diff',
    'p50 ms (ORT, batch 1)',
    'speed-up',
  ];
  return [
    `# ONNX run: ${r.model.path}`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Recommended: ${r.deploy.recommended ?? 'none'} (${r.deploy.reason}).`,
    ...(r.checks
      ? [
          `Check: largest accuracy drop ${pct(r.checks.worstDrop)} vs at most ${pct(r.checks.maxAccuracyDrop)}: ${r.checks.passed ? 'passed' : 'FAILED'}.`,
        ]
      : []),
    '',
  ].join('\n');
}
