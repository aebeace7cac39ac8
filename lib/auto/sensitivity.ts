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

/** Probes every group (journaled one by one) and marks the sensitive ones. */
export async function channelSensitivity(
  ctx: EvalContext,
  baseAccuracy: number,
  journal: Journal,
  overBudget: () => boolean,
): Promise<LayerSensitivity[]> {
  const probe = ctx.options.probeSparsity;
  const out: LayerSensitivity[] = [];
  for (const g of await prunableGroups(ctx)) {
    const key = `sensitivity:${hashConfig({ layer: g.layer, probe, target: ctx.options.target })}`;
    if (!journal.has(key) && overBudget()) {
      out.push({ ...g, accuracy: null, accuracyDrop: null, keepWhole: true });
      continue;
    }
    const { value: accuracy } = await journal.remember(key, async () => {
      const { model } = await prune.channels(ctx.original.model, {
        sparsity: 0,
        layers: { [g.layer]: probe },
        target: pruneTargetOf(ctx.options.target),
      });
      try {
        return await floatAccuracy(model, ctx.search.source, ctx);
      } finally {
        model.dispose();
      }
    });
    const accuracyDrop = baseAccuracy - accuracy;
    out.push({ ...g, accuracy, accuracyDrop, keepWhole: accuracyDrop > ctx.options.maxDrop / 2 });
    ctx.options.onEvaluation?.(`sensitivity of ${g.layer} at ${probe}: drop ${(accuracyDrop * 100).toFixed(2)} pt`);
  }
  return out;
}
