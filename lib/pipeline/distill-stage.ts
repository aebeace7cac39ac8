// The recipe's distill stage: the stage's model (the student, e.g. a channel-pruned one) is trained
// on data.training by knowledge distillation from the recipe's original model (the teacher): the
// hard-label loss weighted by alpha, the soft term at `temperature` by 1 - alpha (Hinton et al.
// 2015), with distill.train's option names. The student is copied; the input stays as it was.
// A magnitude-pruned model's zeros are not kept (every weight trains): distill channel-pruned models.
import { ConfigError } from '../errors';
import * as distill from '../distill';
import { DistillStage } from './recipe';
import { StageContext } from './stage-context';
import { StageOutcome } from './artifact';
import { StageModel } from './stage-model';
import { layersOf, tfjsOutcome } from './stages';

/** Trains a copy of the stage's float model by distillation from `teacher` (the recipe's original model). */
export async function runDistill(
  stage: DistillStage,
  input: StageModel,
  ctx: StageContext,
  teacher: StageModel,
): Promise<StageOutcome> {
  const student = layersOf(input, 'distill.train');
  const training = ctx.data.training;
  if (!training)
    throw new ConfigError(
      `recipe: data.training to distill on, got none. Add "data": {"training": {"path": ...}} or drop the distill stage.`,
    );
  const { model, report } = await distill.train(student, training.source, {
    teacher: layersOf(teacher, 'distill.train'),
    epochs: stage.epochs,
    seed: ctx.seed,
    batchSize: stage.batchSize ?? 64,
    ...(stage.learningRate !== undefined ? { learningRate: stage.learningRate } : {}),
    ...(stage.alpha !== undefined ? { alpha: stage.alpha } : {}),
    ...(stage.temperature !== undefined ? { temperature: stage.temperature } : {}),
    ...(stage.softScale !== undefined ? { softScale: stage.softScale } : {}),
    ...(ctx.trainProgress ? { progress: ctx.trainProgress } : {}),
  });
  return tfjsOutcome({ kind: 'layers', model }, { distill: report });
}
