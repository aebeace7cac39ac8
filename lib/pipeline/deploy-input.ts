// What deploy.json says the model takes and gives: the input's per-example shape (free dimensions
// filled from the data the run used) and dtype, the preprocessing the run applied to pixels, and
// whether the output is probabilities (a final softmax).
import { sourceInputShape } from '../data/source-info';
import { Deployment } from '../data/deployment';
import { StageModel, stageInputShape } from './stage-model';
import { RunData } from './run-data';
import { outputKind as modelOutputKind } from '../train/model-output';

/** The per-example shape of the data the run used (first role that has one). */
function dataShape(data: RunData): readonly number[] | undefined {
  for (const d of [data.evaluation, data.calibration, data.training]) {
    const shape = d?.source ? sourceInputShape(d.source) : undefined;
    if (shape) return shape;
  }
  return undefined;
}

/** deploy.json's `input`; a free dimension that no data fixes is written as 1, with a warning. */
export function deploymentInput(model: StageModel, data: RunData, warnings: string[]): Deployment['input'] {
  const shape = stageInputShape(model);
  const fromData = dataShape(data);
  const filled = shape.map((d, i) => {
    if (d > 0) return d;
    const v = fromData?.length === shape.length ? fromData[i] : undefined;
    if (v !== undefined && v > 0) return v;
    warnings.push(
      `deploy.json: input dimension ${i + 1} is free in the model and no data fixed it; written as 1. Serve it with inputs of the size you trained on.`,
    );
    return 1;
  });
  const dtype = model.model.inputs[0]?.dtype === 'int32' ? 'int32' : 'float32';
  return { shape: filled, dtype, ...(data.preprocessing ? { preprocessing: data.preprocessing } : {}) };
}

/**
 * A layers model's output kind (train's outputKind: 'probabilities' when it ends in softmax or
 * sigmoid, else 'logits'); undefined for other stage models.
 */
export function outputKind(model: StageModel): Deployment['output']['kind'] {
  return model.kind === 'layers' ? modelOutputKind(model.model) : undefined;
}
