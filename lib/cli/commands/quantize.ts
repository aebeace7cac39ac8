// `tfjs-compress quantize MODEL --out DIR`: layers models through quantize.postTraining
// (weight-only, dynamic or static INT8 with calibration data), written as what runs: model.onnx
// (INT8 for ONNX Runtime), model.tflite (full-integer INT8, where the model converts), model.json +
// weights (tfjs files with quantized weight storage that stock tfjs loads), and the plan apart in
// plan/ (not deployable; `export DIR` reads it). Graph models through the converter's weight
// quantization of their files (uint8 / uint16 / float16), with the output error measured on --data.
// Sizes are the files as written, against the original's files as written (pipeline/sizes.ts).
import * as path from 'path';
import { runQuantize } from '../../pipeline/stages';
import { disposeStageModel, stageInputShape } from '../../pipeline/stage-model';
import { CommandSpec, ParsedArgs, choiceArg, listArg, numberArg, stringArg } from '../args';
import { ONNX_QUANTIZE_OPTIONS, isOnnxModel, runOnnxQuantize } from './onnx-in';
import {
  CommandContext,
  CommandResult,
  DATA_OPTIONS,
  checkedOutput,
  layerListOptions,
  loadDataArg,
  openModelArg,
  outputOptions,
  seedArg,
  writeStageFolder,
} from '../common';

export const QUANTIZE: CommandSpec = {
  name: 'quantize',
  summary:
    "Post-training quantization of a layers model (weight-only, dynamic, static INT8), or weight quantization of a graph model's files (uint8, uint16, float16).",
  positionals: [{ name: 'MODEL', description: 'a TensorFlow.js model folder, or an .onnx file' }],
  options: {
    ...outputOptions('output folder: a new one, apart from the model and data'),
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
    'batch-size': {
      type: 'string',
      value: 'N',
      description: 'calibration examples per forward pass (default 32, lowered to what fits in memory)',
    },
    observer: {
      type: 'string',
      value: 'minmax|moving-average|percentile|mse|entropy',
      description: 'how activation ranges are chosen (default minmax)',
    },
    ...layerListOptions('kept in float', 'quantized'),
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
    ...ONNX_QUANTIZE_OPTIONS,
  },
  notes: [
    'An .onnx file gives DIR/model.onnx (--mode dynamic, static with --data, weight-only --bits 4, or --dtype float16).',
    'A layers model gives DIR/model.onnx, DIR/model.tflite (static, where it converts), DIR/model.json + weights',
    '(quantized weight files stock tfjs loads) and DIR/plan/ (the export plan, not deployable).',
    'example: tfjs-compress quantize ./model --mode static --data ./calibration --out ./int8',
    '         tfjs-compress quantize ./model --mode weight-only --bits 4 --block-size 32 --out ./int4',
    '         tfjs-compress quantize ./graph-model --dtype uint16 --data inputs.npy --out ./graph-uint16',
  ],
};

export async function runQuantizeCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  if (isOnnxModel(args.positionals[0])) return runOnnxQuantize(args, ctx);
  const { out, safe } = checkedOutput(args, 'quantize'); // before any work
  const mode = choiceArg(args, 'mode', ['weight-only', 'dynamic', 'static'] as const);
  const dtype = choiceArg(args, 'dtype', ['uint8', 'uint16', 'float16'] as const);
  const weightBits = numberArg(args, 'bits', { integer: true, min: 2, max: 16 });
  const activationBits = numberArg(args, 'activation-bits', { integer: true, min: 2, max: 16 });
  const granularity = choiceArg(args, 'granularity', ['per-channel', 'per-tensor'] as const);
  const blockSize = numberArg(args, 'block-size', { integer: true, min: 1 });
  const count = numberArg(args, 'count', { integer: true, min: 1, max: 1_000_000 });
  const batchSize = numberArg(args, 'batch-size', { integer: true, min: 1, max: 4096 });
  const observer = choiceArg(args, 'observer', ['minmax', 'moving-average', 'percentile', 'mse', 'entropy'] as const);
  const skip = listArg(args, 'skip');
  const only = listArg(args, 'only');
  const weights = listArg(args, 'weights');
  const modelDir = path.resolve(args.positionals[0] as string);
  const m = await openModelArg(args.positionals[0] as string, ctx.progress);
  const data = await loadDataArg(args, stageInputShape(m), ctx.progress, { limit: count ?? 1000 });
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
        ...(count || observer || batchSize
          ? {
              calibration: {
                ...(count ? { count } : {}),
                ...(batchSize ? { batchSize } : {}),
                ...(observer ? { observer } : {}),
              },
            }
          : {}),
        ...(skip?.length ? { skip } : {}),
        ...(only?.length ? { only } : {}),
        ...(weights?.length ? { weights } : {}),
      },
      m,
      {
        seed: seedArg(args),
        data: data ? { calibration: data, evaluation: data } : {},
        update: (label, done, total) => ctx.progress.update(label, done, total),
      },
    );
    try {
      const { records, lines, json } = await writeStageFolder(out, result, modelDir, 'quantize-report.json', safe, ctx);
      const err = (
        result.report as { outputError?: { maxAbsError: number; meanAbsError: number; top1Agreement?: number } }
      ).outputError;
      const text = [
        ...lines,
        ...result.skipped.map((k) => `  no ${k.format} file: ${k.reason}`),
        ...(err
          ? [
              `output error on ${stringArg(args, 'data')}: max |diff| ${err.maxAbsError.toExponential(3)}, mean ${err.meanAbsError.toExponential(3)}` +
                `${err.top1Agreement !== undefined ? `, top-1 agreement ${(err.top1Agreement * 100).toFixed(2)}%` : ''}`,
            ]
          : []),
      ];
      return {
        json: { ...json, files: records.flatMap((a) => a.files), skipped: result.skipped },
        text: text.join('\n'),
      };
    } finally {
      if (result.model) disposeStageModel(result.model);
      await result.dispose();
    }
  } finally {
    data?.dispose();
    disposeStageModel(m);
  }
}
