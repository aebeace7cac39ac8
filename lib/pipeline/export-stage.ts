// The export stage, and the artifact writers the quantize stage shares: the current model written
// in another format, each a thin call of the library's exporter, and scored in the runtime the
// file is meant for. ONNX (with the model's own quantization plan) runs in ONNX Runtime;
// TensorFlow.js files in tfjs; TFLite (fp32, or full-integer INT8 from a static plan) in TFLite's
// interpreter (tfjs-tflite-node, loaded only when scoring); Core ML (linear 8-bit kernels from the
// plan, float32 otherwise) runs nowhere here: its report carries the structural check
// (decodedEqual) instead of an accuracy.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import * as exporters from '../export';
import { decodedEqual } from '../export/coreml';
import { requireLayersModel } from '../core/graph';
import { ModelArtifacts, writeArtifactFiles } from '../data/model-files';
import { artifactsToGraphModel, artifactsToModel, modelToArtifacts } from '../data/model-io';
import { QuantPlan } from '../quantize/plan';
import { ExportStage } from './recipe';
import { ScoreFn, StageModel, planOfStage, stageScores } from './stage-model';
import { ArtifactOutcome, StageOutcome, stageOutcome } from './artifact';
import { weightStorage } from './sizes';

/** Writes one file into the stage folder and returns its name. */
const writeFile =
  (name: string, bytes: Uint8Array) =>
  async (dir: string): Promise<string[]> => {
    fs.writeFileSync(path.join(dir, name), bytes);
    return [name];
  };

/** Weight precision of an ONNX (or Core ML) file written from `plan`. */
export function planPrecision(plan: Pick<QuantPlan, 'mode' | 'weightBits' | 'activationBits'> | undefined): string {
  if (!plan) return 'fp32';
  const w = `int${plan.weightBits}`;
  if (plan.mode === 'static') return plan.activationBits === plan.weightBits ? w : `${w}-a${plan.activationBits}`;
  return plan.mode === 'dynamic' ? `${w}-dynamic` : `${w}-weights`;
}

/** The ONNX file of a layers model (with its plan), scored in ONNX Runtime. Call `dispose` when done. */
export async function onnxArtifact(
  model: tf.LayersModel,
  plan: QuantPlan | undefined,
): Promise<ArtifactOutcome & { dispose: () => Promise<void> }> {
  const onnx = exporters.toOnnx(model, plan ? { plan } : {});
  let session: Awaited<ReturnType<typeof exporters.ortSession>> | undefined;
  return {
    format: 'onnx',
    runtime: 'ort',
    deployable: true,
    precision: planPrecision(plan),
    file: 'model.onnx',
    write: writeFile('model.onnx', onnx.bytes),
    onnx: onnx.bytes,
    score: async (xs) => {
      session ??= await exporters.ortSession(onnx.bytes);
      return exporters.runOrt(session, (await xs.data()) as Float32Array, xs.shape);
    },
    report: {
      mode: onnx.report.mode,
      opset: onnx.report.opset,
      sizeBytes: onnx.report.sizeBytes,
      ops: onnx.report.ops,
      inputShape: onnx.report.inputShape,
      outputShape: onnx.report.outputShape,
    },
    dispose: async () => {
      await session?.release();
      session = undefined;
    },
  };
}

/** TFLite: the file's fixed batch (1) runs batch after batch; the interpreter is made on first use. */
function tfliteScore(file: exporters.TfliteModel): ScoreFn {
  let interp: exporters.TfliteInterpreter | undefined;
  return async (xs) => {
    interp ??= exporters.tfliteInterpreter(file);
    const data = exporters.runTflite(interp, (await xs.data()) as Float32Array);
    return { data, dims: [xs.shape[0] as number, ...interp.outputShape.slice(1)] };
  };
}

/** The TFLite file of a layers model (fp32, or full-integer INT8 from a static plan), scored in TFLite. */
export function tfliteArtifact(model: tf.LayersModel, plan: QuantPlan | undefined): ArtifactOutcome {
  const file = exporters.toTflite(model, plan ? { plan } : {});
  return {
    format: 'tflite',
    runtime: 'tflite',
    deployable: true,
    precision: file.report.mode === 'int8' ? 'int8' : 'fp32',
    file: 'model.tflite',
    write: writeFile('model.tflite', file.bytes),
    score: tfliteScore(file),
    ...(file.report.floatLayers.length ? { floatLayers: file.report.floatLayers } : {}),
    report: {
      mode: file.report.mode,
      sizeBytes: file.report.sizeBytes,
      batchSize: file.report.batchSize,
      ops: file.report.ops,
      inputShape: file.report.inputShape,
      outputShape: file.report.outputShape,
      floatLayers: file.report.floatLayers,
      notes: file.report.notes,
    },
  };
}

/** The Core ML file of a layers model (a plan's int8 kernels as linear 8-bit weights), checked structurally. */
export function coremlArtifact(model: tf.LayersModel, plan: QuantPlan | undefined): ArtifactOutcome {
  const weights = plan ? 'linear8' : 'float32';
  const file = exporters.toCoreML(model, { weights, ...(plan ? { plan } : {}) });
  const check = decodedEqual(file.bytes, model, { weights });
  return {
    format: 'coreml',
    runtime: 'coreml',
    deployable: true,
    precision: plan ? 'linear8-weights' : 'fp32',
    file: 'model.mlmodel',
    write: writeFile('model.mlmodel', file.bytes),
    note: 'not run here (Core ML runs on Apple platforms only): checked structurally, not scored',
    report: {
      weights,
      sizeBytes: file.report.sizeBytes,
      specificationVersion: file.report.specificationVersion,
      layers: file.report.layers,
      quantizedKernels: file.report.quantizedKernels,
      decodedEqual: check.equal,
      fieldsChecked: check.checked,
      mismatches: check.mismatches.slice(0, 10),
      validation: 'structural only (decoded and compared with the model); not run in Core ML here',
    },
  };
}

/** tfjs files of `artifacts`, scored by loading them back (as stock tfjs would). Call `dispose` when done. */
export async function tfjsArtifact(
  artifacts: ModelArtifacts,
  kind: 'layers' | 'graph',
  report: unknown,
): Promise<ArtifactOutcome & { dispose: () => void }> {
  const loaded: StageModel =
    kind === 'graph'
      ? { kind: 'graph', model: artifactsToGraphModel(artifacts, 'the written files'), artifacts }
      : { kind: 'layers', model: await artifactsToModel(artifacts, 'the written files') };
  return {
    format: kind === 'graph' ? 'tfjs-graph' : 'tfjs-layers',
    runtime: 'tfjs',
    deployable: true,
    precision: weightStorage(artifacts.modelJson.weightsManifest.flatMap((g) => g.weights)),
    file: 'model.json',
    write: async (dir) => ['model.json', ...writeArtifactFiles(dir, artifacts).files],
    score: stageScores(loaded),
    report,
    dispose: () => loaded.model.dispose(),
  };
}

/** TensorFlow.js files, float32 or with the converter's quantized weight storage. */
async function tfjsExport(stage: ExportStage, input: StageModel): Promise<StageOutcome> {
  const plan = planOfStage(input);
  const float = input.kind === 'layers' ? input.float : undefined;
  if (plan && !float)
    throw new ConfigError(
      `export: a float model for tfjs files, got a quantization plan (FakeQuantize layers, which stock tfjs cannot load). ` +
        `Use the tfjs files the quantize step wrote beside its plan, or export the float model with dtype uint8 or auto.`,
    );
  // From a quantize stage: the float model it started from, with quantized weight storage by default.
  const dtype = stage.dtype ?? (plan ? 'auto' : 'float32');
  let artifacts: ModelArtifacts;
  let report: unknown;
  if (input.kind === 'graph') {
    if (dtype === 'float32') artifacts = input.artifacts;
    else if (dtype === 'auto')
      throw new ConfigError(`export: dtype uint8, uint16 or float16 for a graph model, got 'auto'. Use uint8.`);
    else ({ artifacts, report } = exporters.quantizeGraphArtifacts(input.artifacts, { dtype }));
  } else {
    const model = float ?? input.model;
    if (dtype === 'float32') artifacts = await modelToArtifacts(model);
    else ({ artifacts, report } = await exporters.quantizedArtifacts(model, { dtype }));
  }
  const a = await tfjsArtifact(artifacts, input.kind, report ?? { dtype });
  return stageOutcome({ artifacts: [a], report: a.report, dispose: a.dispose });
}

/** Writes the current model in another format: ONNX (with its quantization plan), TensorFlow.js files, TFLite, Core ML. */
export async function runExport(stage: ExportStage, input: StageModel): Promise<StageOutcome> {
  if (stage.to === 'tfjs') return tfjsExport(stage, input);
  const verb =
    stage.to === 'onnx' ? 'exporters.toOnnx' : stage.to === 'tflite' ? 'exporters.toTflite' : 'exporters.toCoreML';
  requireLayersModel(input.model, verb);
  const model = input.model;
  const plan = planOfStage(input);
  if (stage.to === 'onnx') {
    const a = await onnxArtifact(model, plan);
    return stageOutcome({ artifacts: [a], report: a.report, dispose: a.dispose });
  }
  const a = stage.to === 'tflite' ? tfliteArtifact(model, plan) : coremlArtifact(model, plan);
  return stageOutcome({ artifacts: [a], report: a.report });
}
