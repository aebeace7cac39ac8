// `tfjs-compress export MODEL --to FORMAT --out DIR`: exporters.toOnnx (fp32, or INT8 with the
// plan a quantize step wrote beside the model), TensorFlow.js files with quantized weights
// (uint8 / uint16 / float16, the Python converter's --quantize_* in JS), TFLite (fp32, or INT8
// from a static plan) and Core ML (linear 8-bit kernels from the plan; structural check only).
import * as fs from 'fs';
import * as path from 'path';
import { writeFolderAtomic } from '../../core/atomic';
import { runExport } from '../../pipeline/export-stage';
import { disposeStageModel } from '../../pipeline/stage-model';
import { CommandSpec, ParsedArgs, UsageError, choiceArg } from '../args';
import { CommandContext, CommandResult, formatBytes, openModelArg, outArg } from '../common';

export const EXPORT: CommandSpec = {
  name: 'export',
  summary:
    'Write a model in another format: ONNX (fp32, or INT8 from a quantized folder), TensorFlow.js with quantized weight files, TFLite, Core ML.',
  positionals: [{ name: 'MODEL', description: 'a TensorFlow.js model folder (a quantized one carries its plan)' }],
  options: {
    to: { type: 'string', value: 'onnx|tfjs|tflite|coreml', description: 'the target format' },
    out: { type: 'string', value: 'DIR', description: 'output folder (must not exist unless --force)' },
    force: { type: 'boolean', description: 'replace an existing output folder' },
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
  const out = outArg(args);
  const to = choiceArg(args, 'to', ['onnx', 'tfjs', 'tflite', 'coreml'] as const);
  if (!to) throw new UsageError('--to onnx|tfjs|tflite|coreml is required.');
  const dtype = choiceArg(args, 'dtype', ['float32', 'uint8', 'uint16', 'float16', 'auto'] as const);
  if (dtype && to !== 'tfjs')
    throw new UsageError(
      `--dtype applies to --to tfjs, got --to ${to}. Quantize for ONNX with the quantize command first.`,
    );
  const m = await openModelArg(args.positionals[0] as string, ctx.progress);
  try {
    ctx.progress.step(`exporting to ${to}`);
    const result = await runExport({ kind: 'export', to, ...(dtype ? { dtype } : {}) }, m);
    try {
      const files = await writeFolderAtomic(
        out,
        async (dir) => {
          const written = await result.write(dir);
          fs.writeFileSync(path.join(dir, 'export-report.json'), `${JSON.stringify(result.report, null, 1)}\n`);
          return written;
        },
        { force: Boolean(args.values.force), caller: 'export' },
      );
      const sizeBytes = files.reduce((a, f) => a + fs.statSync(path.join(out, f)).size, 0);
      return {
        json: { out, format: result.format, files, sizeBytes, report: result.report },
        text: `wrote ${path.join(out, files[0] as string)}${files.length > 1 ? ` and ${files.length - 1} more file(s)` : ''} (${formatBytes(sizeBytes)})`,
      };
    } finally {
      await result.dispose();
    }
  } finally {
    disposeStageModel(m);
  }
}
