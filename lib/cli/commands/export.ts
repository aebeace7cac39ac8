// `tfjs-compress export MODEL --to FORMAT --out DIR`: exporters.toOnnx (fp32, or INT8 with the
// plan a quantize step wrote), TensorFlow.js files with quantized weights (uint8 / uint16 /
// float16, the Python converter's --quantize_* in JS), TFLite (fp32, or INT8 from a static plan)
// and Core ML (linear 8-bit kernels from the plan; structural check only). MODEL may be the
// output folder of `quantize`: its plan (plan/) is what gets exported. Sizes are the files as
// written, against the original's files as written (pipeline/sizes.ts).
import * as fs from 'fs';
import * as path from 'path';
import { runExport } from '../../pipeline/export-stage';
import { PLAN_FOLDER } from '../../pipeline/artifact';
import { disposeStageModel } from '../../pipeline/stage-model';
import { CommandSpec, ParsedArgs, UsageError, choiceArg } from '../args';
import { CommandContext, CommandResult, checkedOutput, openModelArg, outputOptions, writeStageFolder } from '../common';

export const EXPORT: CommandSpec = {
  name: 'export',
  summary:
    'Write a model in another format: ONNX (fp32, or INT8 from a quantized folder), TensorFlow.js with quantized weight files, TFLite, Core ML.',
  positionals: [
    {
      name: 'MODEL',
      description: "a TensorFlow.js model folder, or a quantize step's folder (its plan/ is exported)",
    },
  ],
  options: {
    to: { type: 'string', value: 'onnx|tfjs|tflite|coreml', description: 'the target format' },
    ...outputOptions('output folder: a new one, apart from the model'),
    dtype: {
      type: 'string',
      value: 'float32|uint8|uint16|float16|auto',
      description: 'tfjs: how the weight files store the weights (default float32)',
    },
  },
  notes: [
    'example: tfjs-compress export ./int8 --to onnx --out ./onnx',
    '         tfjs-compress export ./model --to tfjs --dtype uint8 --out ./web',
  ],
};

export async function runExportCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const { out, safe } = checkedOutput(args, 'export', []); // before any work
  const to = choiceArg(args, 'to', ['onnx', 'tfjs', 'tflite', 'coreml'] as const);
  if (!to) throw new UsageError('--to onnx|tfjs|tflite|coreml is required.');
  const dtype = choiceArg(args, 'dtype', ['float32', 'uint8', 'uint16', 'float16', 'auto'] as const);
  if (dtype && to !== 'tfjs')
    throw new UsageError(
      `--dtype applies to --to tfjs, got --to ${to}. Quantize for ONNX with the quantize command first.`,
    );
  const given = path.resolve(args.positionals[0] as string);
  // A quantize step's folder (the quantize command's, or a run's quantize stage): export its plan
  // (the quantized model), not its tfjs files (the float model with quantized weight storage).
  const planDir = path.join(given, PLAN_FOLDER);
  const fromPlan = fs.existsSync(path.join(planDir, 'model.json'));
  if (fromPlan) ctx.progress.line(`  exporting the quantization plan in ${planDir}`);
  const m = await openModelArg(fromPlan ? planDir : given, ctx.progress);
  try {
    ctx.progress.step(`exporting to ${to}`);
    const result = await runExport({ kind: 'export', to, ...(dtype ? { dtype } : {}) }, m);
    try {
      const { records, lines, json } = await writeStageFolder(out, result, given, 'export-report.json', safe, ctx);
      return { json: { ...json, format: result.format, files: records[0]?.files ?? [] }, text: lines.join('\n') };
    } finally {
      await result.dispose();
    }
  } finally {
    disposeStageModel(m);
  }
}
