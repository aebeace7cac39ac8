// What flows between pipeline stages and what each stage leaves on disk: a layers model (float,
// pruned, or quantized with its plan), a graph model with its artifacts, or an exported file.
// Models are opened from folders with the library's safe readers; every artifact is scored the
// same way (one pass over the evaluation data, argmax against the labels), whatever runs it.
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { ModelArtifacts, isGraphArtifacts, writeArtifacts } from '../data/model-files';
import { readArtifacts } from '../data/model-read';
import { artifactsToGraphModel, artifactsToModel, modelToArtifacts } from '../data/model-io';
import { DataSource, batchesOf } from '../data/source';
import { inputShapeOf, outputUnits } from '../train/model-output';
import { QuantPlan, planOf } from '../quantize/plan';

export { modelBytes } from './sizes';

/** A model between stages: a layers model (float, or quantized with its plan in its metadata), or a graph model with its artifacts. */
export type StageModel =
  | {
      readonly kind: 'layers';
      readonly model: tf.LayersModel;
      /** A quantized model's float model (borrowed: the stage's input), for tfjs files with quantized storage. */
      readonly float?: tf.LayersModel;
    }
  | { readonly kind: 'graph'; readonly model: tf.GraphModel; readonly artifacts: ModelArtifacts };

/** Opens a model folder (a layers model, quantized ones with their plan in model.json, or a graph model). */
export async function openModel(dir: string): Promise<StageModel> {
  const artifacts = readArtifacts(dir, { caller: 'openModel' });
  if (isGraphArtifacts(artifacts))
    return { kind: 'graph', model: artifactsToGraphModel(artifacts, `${dir}/model.json`), artifacts };
  return { kind: 'layers', model: await artifactsToModel(artifacts, `${dir}/model.json`) };
}

/** Frees a stage model. */
export function disposeStageModel(m: StageModel): void {
  m.model.dispose();
}

/** The plan of a quantized layers model, if any. */
export function planOfStage(m: StageModel): QuantPlan | undefined {
  return m.kind === 'layers' ? planOf(m.model) : undefined;
}

/** Input shape without the batch dimension (-1 where free). */
export function stageInputShape(m: StageModel): number[] {
  if (m.kind === 'layers') return inputShapeOf(m.model, 'openModel');
  const shape = m.model.inputs[0]?.shape ?? [];
  return shape.slice(1).map((d) => (d == null || d < 0 ? -1 : d));
}

/** Writes a stage model as a model folder (model.json + weights; a quantized model's plan is in model.json). Returns the model files' names. */
export async function saveStageModel(m: StageModel, dir: string): Promise<string[]> {
  const artifacts = m.kind === 'graph' ? m.artifacts : await modelToArtifacts(m.model);
  const { files } = writeArtifacts(dir, artifacts);
  return ['model.json', ...files];
}

/** Scores of a batch: class scores (n, classes) as a tensor or as flat values. */
export type ScoreFn = (xs: tf.Tensor) => Promise<tf.Tensor | { data: Float32Array; dims: readonly number[] }>;

/** The forward pass of a stage model as a ScoreFn (a quantized model simulates its integer arithmetic). */
export function stageScores(m: StageModel): ScoreFn {
  if (m.kind === 'graph') return async (xs) => m.model.predict(xs) as tf.Tensor;
  return async (xs) => m.model.predict(xs, { batchSize: xs.shape[0] }) as tf.Tensor;
}

/** Accuracy of `score` on labelled data: argmax of the scores against the labels, in batches. */
export async function scoreAccuracy(
  score: ScoreFn,
  data: DataSource,
  o: {
    inputShape: readonly number[];
    classes?: number;
    batchSize?: number;
    /** Examples scored so far of `total` (the data's count when known), after each batch. */
    onBatch?: (done: number, total: number) => void;
    total?: number;
  },
): Promise<{ accuracy: number; count: number }> {
  let correct = 0;
  let count = 0;
  for await (const b of batchesOf(data, {
    batchSize: o.batchSize ?? 256,
    inputShape: o.inputShape,
    ...(o.classes ? { classes: o.classes } : {}),
    caller: 'scoreAccuracy',
  })) {
    if (!b.ys)
      throw new ConfigError(
        `scoreAccuracy: labelled data, got a batch without labels. Pass labels (an image folder, or --labels with .npy inputs).`,
      );
    const out = await score(b.xs);
    const scores = out instanceof tf.Tensor ? { data: (await out.data()) as Float32Array, dims: out.shape } : out;
    if (out instanceof tf.Tensor) out.dispose();
    const truth = await b.ys.data();
    const n = scores.dims[0] as number;
    const k = scores.data.length / n;
    const tk = truth.length / n;
    if (k !== tk && tk !== 1)
      throw new ConfigError(
        `scoreAccuracy: one score per class of the labels (${tk}), got ${k} outputs. Evaluate a classifier on its own labels.`,
      );
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++)
        if ((scores.data[i * k + j] as number) > (scores.data[i * k + best] as number)) best = j;
      let t = tk === 1 ? Math.round(truth[i] as number) : 0;
      if (tk > 1) for (let j = 1; j < tk; j++) if ((truth[i * tk + j] as number) > (truth[i * tk + t] as number)) t = j;
      if (best === t) correct++;
    }
    count += n;
    o.onBatch?.(count, Math.max(count, o.total ?? count));
  }
  return { accuracy: count ? correct / count : NaN, count };
}

/** Output classes of a stage model (its last axis), when fixed. */
export function stageClasses(m: StageModel): number | undefined {
  if (m.kind === 'layers') return outputUnits(m.model, 'openModel');
  const d = m.model.outputs[0]?.shape?.slice(-1)[0];
  return typeof d === 'number' && d > 0 ? d : undefined;
}
