// `tfjs-compress prune MODEL --out DIR`: prune.magnitude or prune.channels (then prune.fineTune
// on --data when --epochs is given), written as a model folder that stock tfjs loads.
import { writeOutputFolder } from '../../core/safe-output';
import { runPrune } from '../../pipeline/stages';
import { PRUNE_TARGETS } from '../../prune/tiles';
import { disposeStageModel, modelBytes, stageInputShape } from '../../pipeline/stage-model';
import { CommandSpec, ParsedArgs, UsageError, choiceArg, listArg, numberArg, stringArg } from '../args';
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
  formatBytes,
} from '../common';
import { trainReporter } from './progress-adapters';

export const PRUNE: CommandSpec = {
  name: 'prune',
  summary:
    'Prune a layers model: magnitude (zero the smallest weights) or channels (remove whole filters/neurons), optionally fine-tuned on data.',
  positionals: [{ name: 'MODEL', description: 'a TensorFlow.js layers model folder, or its model.json' }],
  options: {
    ...outputOptions('output model folder: a new one, apart from the model and data'),
    method: { type: 'string', value: 'magnitude|channels', description: 'what to remove (default magnitude)' },
    sparsity: {
      type: 'string',
      value: 'S',
      description: 'fraction removed in [0, 1) (weights for magnitude, channels per group for channels)',
    },
    ...layerListOptions('left whole', 'pruned'),
    target: {
      type: 'string',
      value: PRUNE_TARGETS.join('|'),
      description:
        'channels: the runtime the model will run on; kept channels are rounded to the multiple measured fast there (default any: fast on all)',
    },
    'round-to': {
      type: 'string',
      value: 'N',
      description: 'channels: round kept channels to multiples of N instead (1: no rounding)',
    },
    epochs: { type: 'string', value: 'N', description: 'fine-tune for N epochs on --data (labelled) after pruning' },
    'batch-size': { type: 'string', value: 'N', description: 'fine-tuning batch size (default 64)' },
    'learning-rate': { type: 'string', value: 'LR', description: 'fine-tuning learning rate (default 1e-3)' },
    ...DATA_OPTIONS,
  },
  notes: [
    'example: tfjs-compress prune ./model --sparsity 0.5 --out ./pruned',
    '         tfjs-compress prune ./model --method channels --sparsity 0.3 --data ./train --epochs 1 --out ./pruned',
    '         tfjs-compress prune ./model --method channels --sparsity 0.3 --target ort --out ./pruned',
  ],
};

export async function runPruneCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const { out, safe } = checkedOutput(args, 'prune');
  const sparsity = numberArg(args, 'sparsity', { min: 0, max: 0.999999 });
  if (sparsity === undefined) throw new UsageError('--sparsity S is required (a fraction in [0, 1), e.g. 0.5).');
  const method = choiceArg(args, 'method', ['magnitude', 'channels'] as const) ?? 'magnitude';
  const target = choiceArg(args, 'target', PRUNE_TARGETS);
  const roundTo = numberArg(args, 'round-to', { integer: true, min: 1, max: 4096 });
  if ((target !== undefined || roundTo !== undefined) && method !== 'channels')
    throw new UsageError('--target and --round-to choose channel counts: use them with --method channels.');
  if (target !== undefined && roundTo !== undefined)
    throw new UsageError('--target or --round-to, not both (--round-to sets the multiple yourself).');
  const epochs = numberArg(args, 'epochs', { integer: true, min: 0, max: 1000 });
  const batchSize = numberArg(args, 'batch-size', { integer: true, min: 1, max: 4096 });
  const learningRate = numberArg(args, 'learning-rate', { min: 1e-9, max: 10 });
  if (epochs && !stringArg(args, 'data')) throw new UsageError('--epochs needs --data (labelled training examples).');
  const skip = listArg(args, 'skip');
  const only = listArg(args, 'only');
  const m = await openModelArg(args.positionals[0] as string, ctx.progress);
  const data = epochs ? await loadDataArg(args, stageInputShape(m), ctx.progress, { requireLabels: true }) : undefined;
  try {
    ctx.progress.step(`pruning (${method}, sparsity ${sparsity})`);
    const result = await runPrune(
      {
        kind: 'prune',
        method,
        sparsity,
        ...(skip?.length ? { skip } : {}),
        ...(only?.length ? { only } : {}),
        ...(target !== undefined ? { target } : {}),
        ...(roundTo !== undefined ? { roundTo } : {}),
        ...(epochs
          ? { fineTune: { epochs, ...(batchSize ? { batchSize } : {}), ...(learningRate ? { learningRate } : {}) } }
          : {}),
      },
      m,
      { seed: seedArg(args), data: data ? { training: data } : {}, trainProgress: trainReporter(ctx.progress) },
    );
    try {
      const files = await writeOutputFolder(out, (dir) => result.write(dir), safe);
      const sizeBytes = modelBytes(out);
      return {
        json: { out, files, sizeBytes, report: result.report },
        text: `wrote ${out} (${formatBytes(sizeBytes)})`,
      };
    } finally {
      if (result.model) disposeStageModel(result.model);
    }
  } finally {
    data?.dispose();
    disposeStageModel(m);
  }
}
