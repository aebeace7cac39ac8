// One function per recipe stage kind, each a thin call of the library's verb: prune.magnitude /
// prune.channels (+ prune.fineTune), quantize.postTraining (layers) or
// exporters.quantizeGraphArtifacts (graph models); exports are in export-stage.ts. A stage
// returns the model the next stage starts from (optimizing stages), how to write its artifact,
// and how to score that artifact in the runtime it is meant for. No technique logic lives here:
// only the translation of recipe fields (with `*` layer-name patterns) into the verbs' options.
// A quantized layers model is written as what runs (see quantize-artifacts.ts), its FakeQuantize
// simulation only as the stage's plan.
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { requireLayersModel } from '../core/graph';
import { matchNames } from '../core/glob';
import * as prune from '../prune';
import * as quantize from '../quantize';
import * as exporters from '../export';
import { measureArtifactsError } from '../export/graph-artifacts';
import { artifactsToGraphModel } from '../data/model-io';
import { LoadedData } from '../data/data-files';
import { batchesOf } from '../data/source';
import { PruneStage, QuantizeStage } from './recipe';
import { StageContext } from './stage-context';
import { ArtifactOutcome, StageOutcome, stageOutcome } from './artifact';
import { quantizedOutcome } from './quantize-artifacts';
import { weightStorage } from './sizes';
import { StageModel, planOfStage, saveStageModel, stageInputShape, stageScores } from './stage-model';

export type { StageContext } from './stage-context';
export type { StageOutcome } from './artifact';

/** Layer names matching any `*` pattern (ModelOpt-style wildcards); an unmatched pattern is a ConfigError. */
export function matchLayers(names: readonly string[], patterns: readonly string[], field: string): string[] {
  return matchNames('recipe', field, names, patterns);
}

export function layersOf(m: StageModel, verb: string): tf.LayersModel {
  // The library's own refusal of a graph model, naming what works on it instead.
  requireLayersModel(m.model, verb);
  if (m.kind === 'layers' && planOfStage(m))
    throw new ConfigError(`${verb}: a float model, got a quantized one. Put quantization after pruning in the recipe.`);
  return m.model;
}

/** The stage's model as tfjs files (float32 as in memory, or a graph model's own artifacts), scored as it is. */
export function tfjsOutcome(model: StageModel, report: unknown): StageOutcome {
  const artifact: ArtifactOutcome = {
    format: model.kind === 'graph' ? 'tfjs-graph' : 'tfjs-layers',
    runtime: 'tfjs',
    deployable: true,
    precision:
      model.kind === 'graph'
        ? weightStorage(model.artifacts.modelJson.weightsManifest.flatMap((g) => g.weights))
        : 'float32-weights',
    file: 'model.json',
    write: (dir) => saveStageModel(model, dir),
    score: stageScores(model),
    ...(model.kind === 'layers' ? { benchModel: model.model } : {}),
  };
  return stageOutcome({ model, artifacts: [artifact], report });
}

/** Prunes a float layers model by magnitude or channels, then optionally fine-tunes it on the training data. */
export async function runPrune(stage: PruneStage, input: StageModel, ctx: StageContext): Promise<StageOutcome> {
  const model = layersOf(input, stage.method === 'magnitude' ? 'prune.magnitude' : 'prune.channels');
  const names = model.layers.map((l) => l.name);
  // Patterns go to the verb as they are (it matches them among its prunable layers); a pattern that
  // matches no layer at all is the recipe's error.
  if (stage.skip) matchLayers(names, stage.skip, 'skip');
  if (stage.only) matchLayers(names, stage.only, 'only');
  const { skip, only } = stage;
  const layers = stage.layers
    ? Object.fromEntries(
        Object.entries(stage.layers).flatMap(([p, s]) => matchLayers(names, [p], 'layers').map((n) => [n, s])),
      )
    : undefined;
  let pruned: tf.LayersModel;
  let report: unknown;
  if (stage.method === 'magnitude' && (stage.target !== undefined || stage.roundTo !== undefined))
    throw new ConfigError(
      `prune: target and roundTo with method 'channels' (they choose channel counts), got them with method 'magnitude'. Drop them or use method 'channels'.`,
    );
  if (stage.method === 'magnitude') {
    const r = await prune.magnitude(model, {
      sparsity: stage.sparsity,
      ...(layers ? { layers } : {}),
      ...(skip ? { skip } : {}),
      ...(only ? { only } : {}),
    });
    pruned = r.model;
    report = r.report;
  } else {
    // `sparsity` is the fraction of each group's channels removed; counts in the target's tiles.
    const r = await prune.channels(model, {
      sparsity: stage.sparsity,
      ...(layers ? { layers } : {}),
      ...(skip ? { skip } : {}),
      ...(only ? { only } : {}),
      ...(stage.target !== undefined ? { target: stage.target } : {}),
      ...(stage.roundTo !== undefined ? { roundTo: stage.roundTo } : {}),
    });
    pruned = r.model;
    report = r.report;
  }
  if (stage.fineTune && stage.fineTune.epochs > 0) {
    const training = ctx.data.training;
    if (!training) {
      pruned.dispose();
      throw new ConfigError(
        `recipe: data.training to fine-tune on, got none. Add "data": {"training": {"path": ...}} or drop fineTune.`,
      );
    }
    try {
      const tuned = await prune.fineTune(pruned, training.source, {
        epochs: stage.fineTune.epochs,
        seed: ctx.seed,
        batchSize: stage.fineTune.batchSize ?? 64,
        ...(stage.fineTune.learningRate ? { learningRate: stage.fineTune.learningRate } : {}),
        ...(ctx.trainProgress ? { progress: ctx.trainProgress } : {}),
      });
      report = { prune: report, fineTune: tuned.report };
      pruned.dispose();
      pruned = tuned.model;
    } catch (e) {
      pruned.dispose();
      throw e;
    }
  }
  return tfjsOutcome({ kind: 'layers', model: pruned }, report);
}

/** First examples of some data as one input tensor (for output-error measurements). Owned by the caller. */
export async function firstInputs(data: LoadedData, inputShape: readonly number[], limit: number): Promise<tf.Tensor> {
  const parts: tf.Tensor[] = [];
  for await (const b of batchesOf(data.source, { batchSize: limit, limit, inputShape, caller: 'quantize' }))
    parts.push(b.xs.clone());
  const x = tf.concat(parts);
  tf.dispose(parts);
  return x;
}

async function quantizeGraph(
  stage: QuantizeStage,
  input: StageModel & { kind: 'graph' },
  ctx: StageContext,
): Promise<StageOutcome> {
  const dtype = stage.dtype ?? 'uint8';
  const { artifacts, report } = exporters.quantizeGraphArtifacts(input.artifacts, {
    dtype,
    ...(stage.weights ? { weights: stage.weights } : {}),
  });
  const data = ctx.data.evaluation ?? ctx.data.calibration;
  let error: exporters.ArtifactsError | undefined;
  if (data) {
    const x = await firstInputs(data, stageInputShape(input), 256);
    try {
      error = await measureArtifactsError(input.artifacts, artifacts, x);
    } finally {
      x.dispose();
    }
  }
  const model: StageModel = { kind: 'graph', model: artifactsToGraphModel(artifacts, `${dtype} artifacts`), artifacts };
  return tfjsOutcome(model, { dtype, ...report, ...(error ? { outputError: error } : {}) });
}

/** Post-training quantization of a layers model, or the converter's weight quantization of a graph model. */
export async function runQuantize(stage: QuantizeStage, input: StageModel, ctx: StageContext): Promise<StageOutcome> {
  if (input.kind === 'graph') {
    if (stage.mode)
      throw new ConfigError(
        `quantize: a layers model for mode '${stage.mode}', got a graph model. Graph models take dtype uint8, uint16 or float16 (weight quantization of the files).`,
      );
    return quantizeGraph(stage, input, ctx);
  }
  if (stage.dtype)
    throw new ConfigError(
      `quantize: dtype (tfjs file weight storage) with graph models only, got it for a layers model. Use export --to tfjs --dtype ${stage.dtype}, or mode.`,
    );
  const model = layersOf(input, 'quantize.postTraining');
  const mode = stage.mode ?? 'static';
  const calibration = ctx.data.calibration;
  if (mode === 'static' && !calibration)
    throw new ConfigError(
      `quantize: calibration data for mode 'static', got none. Pass --data (recipe: data.calibration) with a few hundred examples.`,
    );
  const names = model.layers.map((l) => l.name);
  const skip = stage.skip ? matchLayers(names, stage.skip, 'skip') : undefined;
  const only = stage.only ? matchLayers(names, stage.only, 'only') : undefined;
  const { model: q, report } = await quantize.postTraining(model, calibration?.source, {
    mode,
    ...(stage.weightBits ? { weightBits: stage.weightBits } : {}),
    ...(stage.activationBits ? { activationBits: stage.activationBits } : {}),
    ...(stage.granularity ? { granularity: stage.granularity } : {}),
    ...(stage.blockSize ? { blockSize: stage.blockSize } : {}),
    ...(stage.calibration?.count ? { calibrationCount: stage.calibration.count } : {}),
    ...(stage.calibration?.batchSize ? { batchSize: stage.calibration.batchSize } : {}),
    ...(stage.calibration?.observer ? { observer: { method: stage.calibration.observer } } : {}),
    ...(skip ? { skip } : {}),
    ...(only ? { only } : {}),
    ...(ctx.update
      ? { onProgress: (label: string, done: number, total: number) => ctx.update?.(label, done, total) }
      : {}),
  });
  try {
    return await quantizedOutcome({ kind: 'layers', model: q, float: model }, report, ctx);
  } catch (e) {
    q.dispose();
    throw e;
  }
}
