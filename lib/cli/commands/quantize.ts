// `tfjs-compress quantize MODEL --out DIR`: layers models through quantize.postTraining
// (weight-only, dynamic or static INT8 with calibration data; the folder carries the plan that
// `export --to onnx` turns into QDQ / dynamic INT8), graph models through the converter's weight
// quantization of their files (uint8 / uint16 / float16), with the output error measured on --data.
import * as fs from 'fs';
import * as path from 'path';
import { writeFolderAtomic } from '../../core/atomic';
import { runQuantize } from '../../pipeline/stages';
import { disposeStageModel, modelBytes, stageInputShape } from '../../pipeline/stage-model';
import { CommandSpec, ParsedArgs, choiceArg, numberArg, stringArg } from '../args';
import {
  CommandContext,
  CommandResult,
  DATA_OPTIONS,
  formatBytes,
  loadDataArg,
  openModelArg,
  outArg,
  seedArg,
} from '../common';

export const QUANTIZE: CommandSpec = {
  name: 'quantize',
  summary:
    "Post-training quantization of a layers model (weight-only, dynamic, static INT8), or weight quantization of a graph model's files (uint8, uint16, float16).",
  positionals: [{ name: 'MODEL', description: 'a TensorFlow.js model folder' }],
  options: {
    out: { type: 'string', value: 'DIR', description: 'output model folder (must not exist unless --force)' },
    force: { type: 'boolean', description: 'replace an existing output folder' },
    mode: {
      type: 'string',
      value: 'weight-only|dynamic|static',
      description: 'layers models (default static, which needs --data for calibration)',
    },
    bits: { type: 'string', value: 'N', description: 'weight bits, 2-16 (default 8)' },
    'activation-bits': {
      type: 'string',
      value: 'N',
      description: 'activation bits for dynamic and static, 2-16 (default 8)',
    },
    granularity: {
      type: 'string',
      value: 'per-channel|per-tensor',
      description: 'weight scales (default per-channel)',
    },
    'block-size': {
      type: 'string',
      value: '32|64|128',
      description: 'weight-only --bits 4: Dense kernels in blocks of this many inputs (default 32; ONNX MatMulNBits)',
    },
    count: { type: 'string', value: 'N', description: 'calibration examples taken from --data (default 1000)' },
    observer: {
      type: 'string',
      value: 'minmax|moving-average|percentile|mse|entropy',
      description: 'how activation ranges are chosen (default minmax)',
    },
    skip: { type: 'string', value: 'A,B', description: 'layer names (or * patterns) kept in float' },
    dtype: {
      type: 'string',
      value: 'uint8|uint16|float16',
      description: 'graph models: how the weight files store each weight (default uint8)',
    },
    weights: {
      type: 'string',
      value: 'P,Q',
      description: 'graph models: weight name patterns to quantize (default all)',
    },
    ...DATA_OPTIONS,
  },
  notes: [
    'example: tfjs-compress quantize ./model --mode static --data ./calibration --out ./int8',
    '         tfjs-compress quantize ./model --mode weight-only --bits 4 --block-size 32 --out ./int4',
    '         tfjs-compress quantize ./graph-model --dtype uint16 --data inputs.npy --out ./graph-uint16',
  ],
};

export async function runQuantizeCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const out = outArg(args);
  const mode = choiceArg(args, 'mode', ['weight-only', 'dynamic', 'static'] as const);
  const dtype = choiceArg(args, 'dtype', ['uint8', 'uint16', 'float16'] as const);
  const weightBits = numberArg(args, 'bits', { integer: true, min: 2, max: 16 });
  const activationBits = numberArg(args, 'activation-bits', { integer: true, min: 2, max: 16 });
  const granularity = choiceArg(args, 'granularity', ['per-channel', 'per-tensor'] as const);
  const blockSize = numberArg(args, 'block-size', { integer: true, min: 1 });
  const count = numberArg(args, 'count', { integer: true, min: 1 });
  const observer = choiceArg(args, 'observer', ['minmax', 'moving-average', 'percentile', 'mse', 'entropy'] as const);
  const list = (k: string) =>
    stringArg(args, k)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const skip = list('skip');
  const weights = list('weights');
  const m = await openModelArg(args.positionals[0] as string, ctx.progress);
  const data = loadDataArg(args, stageInputShape(m), ctx.progress);
  try {
    ctx.progress.step(
      m.kind === 'graph' ? `quantizing the weight files (${dtype ?? 'uint8'})` : `quantizing (${mode ?? 'static'})`,
    );
    const result = await runQuantize(
      {
        kind: 'quantize',
        ...(m.kind === 'graph' ? { dtype: dtype ?? 'uint8' } : { mode: mode ?? 'static' }),
        ...(m.kind === 'graph' && mode ? { mode } : {}),
        ...(m.kind === 'layers' && dtype ? { dtype } : {}),
        ...(weightBits ? { weightBits } : {}),
        ...(activationBits ? { activationBits } : {}),
        ...(granularity ? { granularity } : {}),
        ...(blockSize ? { blockSize } : {}),
        ...(count || observer
          ? { calibration: { ...(count ? { count } : {}), ...(observer ? { observer } : {}) } }
          : {}),
        ...(skip?.length ? { skip } : {}),
        ...(weights?.length ? { weights } : {}),
      },
      m,
      { seed: seedArg(args), data: data ? { calibration: data, evaluation: data } : {} },
    );
    try {
      const files = await writeFolderAtomic(
        out,
        async (dir) => {
          const written = await result.write(dir);
          fs.writeFileSync(path.join(dir, 'quantize-report.json'), `${JSON.stringify(result.report, null, 1)}\n`);
          return written;
        },
        { force: Boolean(args.values.force), caller: 'quantize' },
      );
      const sizeBytes = modelBytes(out);
      const err = (
        result.report as { outputError?: { maxAbsError: number; meanAbsError: number; top1Agreement?: number } }
      ).outputError;
      const text = [
        `wrote ${out} (${formatBytes(sizeBytes)}; the original's files: ${formatBytes(modelBytes(args.positionals[0] as string))})`,
        ...(err
          ? [
              `output error on ${stringArg(args, 'data')}: max |diff| ${err.maxAbsError.toExponential(3)}, mean ${err.meanAbsError.toExponential(3)}` +
                `${err.top1Agreement !== undefined ? `, top-1 agreement ${(err.top1Agreement * 100).toFixed(2)}%` : ''}`,
            ]
          : []),
      ];
      return { json: { out, files, sizeBytes, report: result.report }, text: text.join('\n') };
    } finally {
      if (result.model) disposeStageModel(result.model);
      await result.dispose();
    }
  } finally {
    data?.dispose();
    disposeStageModel(m);
  }
}
