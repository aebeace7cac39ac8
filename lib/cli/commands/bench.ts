// `tfjs-compress bench MODEL`: latency at several batch sizes and thread counts, with the
// library's benchmark harness (interleaved rounds). MODEL is
// - a model folder (or its model.json): run in tfjs, exported to ONNX for ONNX Runtime (INT8 when
//   the folder carries a quantization plan) and to .tflite for TFLite when asked;
// - an .onnx file: ONNX Runtime;
// - a .tflite file (what `export --to tflite` and `run` write): TFLite's interpreter
//   (tfjs-tflite-node, an optional package), at the batch size the file was exported with.
import * as path from 'path';
import * as bench from '../../bench';
import * as exporters from '../../export';
import { sessionInputShape } from '../../export/onnx/runtime';
import { tfliteInterpreter } from '../../export/tflite/runtime';
import { DataError } from '../../errors';
import { disposeStageModel, planOfStage, stageInputShape, StageModel } from '../../pipeline/stage-model';
import { requireLayersModel } from '../../core/graph';
import { readRegularFile } from '../../core/read-file';
import { CommandSpec, ParsedArgs, UsageError, choiceListArg, intListArg, numberArg } from '../args';
import { CommandContext, CommandResult, openModelArg, seedArg, textTable } from '../common';
import { ONNX_OPTIONS, runOnnxBench } from './onnx-in';

const RUNTIMES = ['tfjs-wasm', 'tfjs-cpu', 'ort', 'tflite'] as const;
type RuntimeName = (typeof RUNTIMES)[number];

export const BENCH: CommandSpec = {
  name: 'bench',
  summary: 'Time a model on tfjs (wasm, cpu), ONNX Runtime and TFLite at several batch sizes and thread counts.',
  positionals: [
    {
      name: 'MODEL',
      description: 'a TensorFlow.js model folder (or its model.json), an .onnx file or a .tflite file',
    },
  ],
  options: {
    runtimes: {
      type: 'string',
      value: 'R,S',
      description:
        'among tfjs-wasm, tfjs-cpu, ort, tflite (default tfjs-wasm,ort for a folder; ort for .onnx; tflite for .tflite)',
    },
    'batch-sizes': {
      type: 'string',
      value: 'N,M',
      description: 'batch sizes (default 1,32; a .tflite file runs at the batch size it was exported with)',
    },
    threads: { type: 'string', value: 'N,M', description: 'ONNX Runtime and TFLite threads (default 1)' },
    rounds: { type: 'string', value: 'N', description: 'measurement rounds (default 5)' },
    seed: { type: 'string', value: 'N', description: 'seed of the random inputs (default 0)' },
    data: {
      type: 'string',
      value: 'DIR|FILE.npy',
      description: '.onnx models: time on this input (its first example, batch 1)',
    },
    'image-shape': { type: 'string', value: 'HxWxC', description: '.onnx models: image size (fixes free input dims)' },
    ...ONNX_OPTIONS,
  },
  notes: [
    'example: tfjs-compress bench ./model --runtimes tfjs-wasm,ort --batch-sizes 1,32,256 --threads 1,2',
    '         tfjs-compress bench ./compressed/04-export-tflite/model.tflite',
    'TFLite needs the optional package tfjs-tflite-node (npm install tfjs-tflite-node@0.0.2; its install script builds a native binding).',
  ],
};

/** ONNX's protobuf limit: a larger model.onnx cannot be a valid single-file model. */
const MAX_ONNX_BYTES = 2 * 1024 ** 3;
/** FlatBuffers' 32-bit offsets: a larger .tflite cannot be valid. */
const MAX_TFLITE_BYTES = 2 * 1024 ** 3;

async function onnxFile(file: string): Promise<{ bytes: Uint8Array; inputShape: number[] }> {
  const bytes = readRegularFile(file, {
    fn: 'bench',
    what: 'an .onnx file',
    maxBytes: MAX_ONNX_BYTES,
    tooLargeAdvice: "The limit is protobuf's: export the model with external data split off, or bench its folder.",
  });
  const session = await exporters.ortSession(bytes);
  try {
    const shape = sessionInputShape(session);
    if (!shape)
      throw new DataError(
        `bench: an ONNX model whose input declares its shape in ${file}, got none. Pass --input-shape or --data, or export it with a fixed input shape.`,
        file,
      );
    return { bytes, inputShape: shape };
  } finally {
    await session.release();
  }
}

/** The runtimes to time a `.tflite` file on, and the batch size it was exported with. */
function tfliteFile(file: string, threads: readonly number[]): { runtimes: bench.BenchRuntime[]; batch: number } {
  const bytes = readRegularFile(file, {
    fn: 'bench',
    what: 'a .tflite file',
    maxBytes: MAX_TFLITE_BYTES,
    tooLargeAdvice: 'A .tflite file is at most 2 GiB (FlatBuffers offsets).',
  });
  const label = path.basename(file);
  let batch = 1;
  const runtimes = threads.map((n) => {
    const interpreter = tfliteInterpreter(bytes, { threads: n });
    batch = interpreter.inputShape[0] ?? 1;
    return bench.functionRuntime('tflite', (x) => interpreter.run(x), {
      inputShape: interpreter.inputShape.slice(1),
      threads: n,
      model: label,
    });
  });
  return { runtimes, batch };
}

function defaultRuntimes(kind: 'onnx' | 'tflite' | 'folder'): RuntimeName[] {
  return kind === 'onnx' ? ['ort'] : kind === 'tflite' ? ['tflite'] : ['tfjs-wasm', 'ort'];
}

export async function runBenchCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const target = args.positionals[0] as string;
  const lower = target.toLowerCase();
  const kind = lower.endsWith('.onnx') ? 'onnx' : lower.endsWith('.tflite') ? 'tflite' : 'folder';
  if (kind === 'onnx' && ['data', 'input-shape', 'image-shape'].some((k) => args.values[k] !== undefined))
    return runOnnxBench(args, ctx);
  const runtimes = choiceListArg(args, 'runtimes', RUNTIMES) ?? defaultRuntimes(kind);
  const fileRuntime = kind === 'onnx' ? 'ort' : kind === 'tflite' ? 'tflite' : undefined;
  if (fileRuntime && runtimes.some((r) => r !== fileRuntime))
    throw new UsageError(
      `a .${kind} file runs on ${fileRuntime} only, got --runtimes ${runtimes.join(',')}. Bench the model folder to compare runtimes.`,
    );
  const threads = intListArg(args, 'threads', 256) ?? [1];
  const rounds = numberArg(args, 'rounds', { integer: true, min: 1, max: 1000 }) ?? 5;
  let batchSizes = intListArg(args, 'batch-sizes');
  let m: StageModel | undefined;
  const list: bench.BenchRuntime[] = [];
  try {
    if (kind === 'onnx') {
      ctx.progress.step(`opening ${target}`);
      const f = await onnxFile(path.resolve(target));
      for (const n of threads)
        list.push(
          bench.ortRuntime(f.bytes, {
            name: 'ort',
            threads: n,
            inputShape: f.inputShape,
            model: path.basename(target),
          }),
        );
    } else if (kind === 'tflite') {
      ctx.progress.step(`opening ${target}`);
      const f = tfliteFile(path.resolve(target), threads);
      if (batchSizes && batchSizes.some((b) => b !== f.batch))
        throw new UsageError(
          `${target} was exported for batch size ${f.batch} (TFLite shapes are fixed), got --batch-sizes ${batchSizes.join(',')}. ` +
            `Leave --batch-sizes out, or export again with that batch size.`,
        );
      batchSizes = [f.batch];
      list.push(...f.runtimes);
    } else {
      m = await openModelArg(target, ctx.progress);
      requireLayersModel(m.model, 'bench');
      const model = m.model;
      const inputShape = stageInputShape(m).map((d) => Math.max(d, 1));
      const plan = planOfStage(m);
      const label = path
        .basename(path.resolve(target))
        .replace(/^model\.json$/, path.basename(path.dirname(path.resolve(target))));
      for (const r of runtimes.filter((x) => x.startsWith('tfjs-')))
        list.push(bench.tfjsRuntime(model, r.slice('tfjs-'.length), { model: label, inputShape }));
      if (runtimes.includes('ort')) {
        ctx.progress.step('exporting to ONNX for ONNX Runtime');
        const bytes = exporters.toOnnx(model, plan ? { plan } : {}).bytes;
        for (const n of threads)
          list.push(bench.ortRuntime(bytes, { name: 'ort', threads: n, inputShape, model: label }));
      }
      if (runtimes.includes('tflite'))
        for (const n of threads)
          list.push(bench.tfliteRuntime(model, { threads: n, model: label, ...(plan ? { plan } : {}) }));
    }
    const sizes = batchSizes ?? [1, 32];
    ctx.progress.step(`timing on ${runtimes.join(', ')} at batch sizes ${sizes.join(', ')} (${rounds} rounds)`);
    const rows = await bench.benchmark(list, {
      batchSizes: sizes,
      rounds,
      seed: seedArg(args),
      onProgress: (done, total) => ctx.progress.update('rounds', done, total),
      onRow: (r) =>
        ctx.progress.line(`  ${r.runtime} x${r.threads}, batch ${r.batchSize}: p50 ${r.p50Ms.toFixed(3)} ms`),
    });
    const table = textTable(
      ['runtime', 'threads', 'batch', 'p50 ms', 'p90 ms', 'examples/s'],
      rows.map((r) => [
        r.runtime,
        r.threads,
        r.batchSize,
        r.p50Ms.toFixed(3),
        r.p90Ms.toFixed(3),
        Math.round(r.throughput),
      ]),
    );
    const machine = rows[0]?.machine;
    return {
      json: { model: target, rows },
      text: `${table}${machine ? `\n\n${machine.cpuModel}, ${machine.cores} cores (${machine.cpuFlags.join(' ')}), node ${machine.node}` : ''}`,
    };
  } finally {
    if (m) disposeStageModel(m);
  }
}
