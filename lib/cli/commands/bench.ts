// `tfjs-compress bench MODEL`: latency on tfjs (wasm, cpu) and ONNX Runtime at several batch sizes
// and thread counts, with the library's benchmark harness. MODEL is a model folder (run in tfjs,
// and exported to ONNX for ONNX Runtime, INT8 when the folder carries a quantization plan) or an
// .onnx file (ONNX Runtime only).
import * as path from 'path';
import * as exporters from '../../export';
import { sessionInputShape } from '../../export/onnx/runtime';
import { DataError } from '../../errors';
import { BenchTarget, runBench } from '../../pipeline/bench-stage';
import { disposeStageModel, planOfStage, stageInputShape, StageModel } from '../../pipeline/stage-model';
import { requireLayersModel } from '../../core/graph';
import { readRegularFile } from '../../core/read-file';
import { CommandSpec, ParsedArgs, choiceListArg, intListArg, numberArg } from '../args';
import { CommandContext, CommandResult, openModelArg, seedArg, textTable } from '../common';

export const BENCH: CommandSpec = {
  name: 'bench',
  summary: 'Time a model on tfjs (wasm, cpu) and ONNX Runtime at several batch sizes and thread counts.',
  positionals: [{ name: 'MODEL', description: 'a TensorFlow.js model folder, or an .onnx file' }],
  options: {
    runtimes: {
      type: 'string',
      value: 'R,S',
      description: 'among tfjs-wasm, tfjs-cpu, ort (default tfjs-wasm,ort; ort only for .onnx)',
    },
    'batch-sizes': { type: 'string', value: 'N,M', description: 'batch sizes (default 1,32)' },
    threads: { type: 'string', value: 'N,M', description: 'ONNX Runtime intra-op threads (default 1)' },
    rounds: { type: 'string', value: 'N', description: 'measurement rounds (default 5)' },
    seed: { type: 'string', value: 'N', description: 'seed of the random inputs (default 0)' },
  },
  notes: ['example: tfjs-compress bench ./model --runtimes tfjs-wasm,ort --batch-sizes 1,32,256 --threads 1,2'],
};

/** ONNX's protobuf limit: a larger model.onnx cannot be a valid single-file model. */
const MAX_ONNX_BYTES = 2 * 1024 ** 3;

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
        `bench: an ONNX model whose input declares its shape in ${file}, got none. Export it with a fixed input shape.`,
        file,
      );
    return { bytes, inputShape: shape };
  } finally {
    await session.release();
  }
}

export async function runBenchCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const target = args.positionals[0] as string;
  const isOnnx = target.toLowerCase().endsWith('.onnx');
  const runtimes =
    choiceListArg(args, 'runtimes', ['tfjs-wasm', 'tfjs-cpu', 'ort'] as const) ??
    (isOnnx ? ['ort' as const] : ['tfjs-wasm' as const, 'ort' as const]);
  const batchSizes = intListArg(args, 'batch-sizes') ?? [1, 32];
  const threads = intListArg(args, 'threads', 256) ?? [1];
  const rounds = numberArg(args, 'rounds', { integer: true, min: 1, max: 1000 }) ?? 5;
  let m: StageModel | undefined;
  const targets: BenchTarget[] = [];
  let inputShape: number[];
  try {
    if (isOnnx) {
      ctx.progress.step(`opening ${target}`);
      const f = await onnxFile(path.resolve(target));
      inputShape = f.inputShape;
      targets.push({ label: path.basename(target), kind: 'onnx', bytes: f.bytes });
    } else {
      m = await openModelArg(target, ctx.progress);
      requireLayersModel(m.model, 'bench');
      inputShape = stageInputShape(m);
      const plan = planOfStage(m);
      if (runtimes.some((r) => r.startsWith('tfjs-')))
        targets.push({ label: path.basename(path.resolve(target)), kind: 'tfjs', model: m.model });
      if (runtimes.includes('ort'))
        targets.push({
          label: path.basename(path.resolve(target)),
          kind: 'onnx',
          bytes: exporters.toOnnx(m.model, plan ? { plan } : {}).bytes,
        });
    }
    ctx.progress.step(`timing on ${runtimes.join(', ')} at batch sizes ${batchSizes.join(', ')}`);
    const rows = await runBench(
      { kind: 'bench', runtimes, batchSizes, threads, rounds },
      targets,
      inputShape,
      seedArg(args),
      (r) => ctx.progress.line(`  ${r.runtime} x${r.threads}, batch ${r.batchSize}: p50 ${r.p50Ms.toFixed(3)} ms`),
    );
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
