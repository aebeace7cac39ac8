// Per-layer sensitivity to channel pruning, on the user's data (Li et al. 2017, "Pruning Filters
// for Efficient ConvNets", Fig. 2: prune one layer at a time and watch the accuracy): each channel
// group, named by its producer layer, is pruned alone at the probe sparsity (every other group
// whole), and the float model's accuracy on the search data is measured. Groups whose drop alone
// exceeds half the allowed drop are kept whole at every pruning level (the other half is left
// for everything else the candidate does).
import * as prune from '../prune';
import { DataSource } from '../data/source';
import { scoreAccuracy, stageScores } from '../pipeline/stage-model';
import { EvalContext } from './evaluate';
import { Journal } from './journal';
import { pruneTargetOf } from './options';
import { hashConfig } from '../core/hash';

/** One group's probe. */
export interface LayerSensitivity {
  /** The group's first producer (Conv2D / Dense). */
  readonly layer: string;
  readonly channels: number;
  /** Null when the budget ran out before this group was probed (it is then kept whole). */
  readonly accuracy: number | null;
  readonly accuracyDrop: number | null;
  /** Kept whole at every pruning level. */
  readonly keepWhole: boolean;
}

/** The producers of the model's prunable channel groups, with their channel counts. */
export async function prunableGroups(ctx: EvalContext): Promise<{ layer: string; channels: number }[]> {
  const { model, report } = await prune.channels(ctx.original.model, { sparsity: 0, roundTo: 1 });
  model.dispose();
  return report.groups
    .filter((g) => g.producers.length > 0 && !g.reason && g.channelsBefore > 1)
    .map((g) => ({ layer: g.producers[0] as string, channels: g.channelsBefore }))
    .filter((g) => !g.layer.includes('*'));
}

/** Accuracy of a float layers model on `data`. */
async function floatAccuracy(model: import('@tensorflow/tfjs').LayersModel, data: DataSource, ctx: EvalContext) {
  return (
    await scoreAccuracy(stageScores({ kind: 'layers', model }), data, {
      inputShape: ctx.inputShape,
      batchSize: 64,
      ...(ctx.classes ? { classes: ctx.classes } : {}),
    })
  ).accuracy;
}

/** Accuracy on the search data of the float model with `layer`'s group alone pruned at `sparsity`. */
export async function sensitivityAccuracy(ctx: EvalContext, layer: string, sparsity: number): Promise<number> {
  const { model } = await prune.channels(ctx.original.model, {
    sparsity: 0,
    layers: { [layer]: sparsity },
    target: pruneTargetOf(ctx.options.target),
  });
  try {
    return await floatAccuracy(model, ctx.search.source, ctx);
  } finally {
    model.dispose();
  }
}

/**
 * Probes every group (each journaled as it finishes; with `parallel`, all at once on the executor
 * behind `run`) and marks the sensitive ones.
 */
export async function channelSensitivity(
  ctx: EvalContext,
  baseAccuracy: number,
  journal: Journal,
  overBudget: () => boolean,
  run: (layer: string, sparsity: number) => Promise<number>,
  parallel: boolean,
): Promise<LayerSensitivity[]> {
  const probe = ctx.options.probeSparsity;
  const one = async (g: { layer: string; channels: number }): Promise<LayerSensitivity> => {
    const key = `sensitivity:${hashConfig({ layer: g.layer, probe, target: ctx.options.target })}`;
    if (!journal.has(key) && overBudget()) return { ...g, accuracy: null, accuracyDrop: null, keepWhole: true };
    const { value: accuracy } = await journal.remember(key, () => run(g.layer, probe));
    const accuracyDrop = baseAccuracy - accuracy;
    ctx.options.onEvaluation?.(`sensitivity of ${g.layer} at ${probe}: drop ${(accuracyDrop * 100).toFixed(2)} pt`);
    return { ...g, accuracy, accuracyDrop, keepWhole: accuracyDrop > ctx.options.maxDrop / 2 };
  };
  const groups = await prunableGroups(ctx);
  if (parallel) return Promise.all(groups.map(one));
  const out: LayerSensitivity[] = [];
  for (const g of groups) out.push(await one(g));
  return out;
}
