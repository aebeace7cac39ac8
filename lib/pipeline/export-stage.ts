// The export stage: the current model written in another format, each a thin call of the
// library's exporter, and scored in the runtime the file is meant for. ONNX (with the model's
// own quantization plan) runs in ONNX Runtime; TensorFlow.js files in tfjs; TFLite (fp32, or
// full-integer INT8 from a static plan) in TFLite's interpreter (tfjs-tflite-node, loaded only
// when scoring); Core ML (linear 8-bit kernels from the plan, float32 otherwise) runs nowhere here:
// its report carries the structural check (decodedEqual) instead of an accuracy.
import * as fs from 'fs';
import * as path from 'path';
import * as exporters from '../export';
import { requireLayersModel } from '../core/graph';
import { ModelArtifacts, writeArtifacts } from '../data/model-files';
import { artifactsToGraphModel, artifactsToModel, modelToArtifacts } from '../data/model-io';
import { ExportStage } from './recipe';
import { ScoreFn, StageModel, planOfStage, stageScores } from './stage-model';
import { StageOutcome } from './stages';

/** Writes one file and returns its name (what the stage's sizeBytes counts). */
const writeFile =
  (name: string, bytes: Uint8Array) =>
  async (dir: string): Promise<string[]> => {
    fs.writeFileSync(path.join(dir, name), bytes);
    return [name];
  };

async function ortScore(bytes: Uint8Array): Promise<{ score: ScoreFn; dispose: () => Promise<void> }> {
  const session = await exporters.ortSession(bytes);
  return {
    score: async (xs) => exporters.runOrt(session, (await xs.data()) as Float32Array, xs.shape),
    dispose: () => session.release(),
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

/** Writes the current model in another format: ONNX (with its quantization plan), TensorFlow.js files, TFLite, Core ML. */
export async function runExport(stage: ExportStage, input: StageModel): Promise<StageOutcome> {
  if (stage.to === 'tfjs') return tfjsExport(stage, input);
  const verb =
    stage.to === 'onnx' ? 'exporters.toOnnx' : stage.to === 'tflite' ? 'exporters.toTflite' : 'exporters.toCoreML';
  requireLayersModel(input.model, verb);
  const model = input.model;
  const plan = planOfStage(input);
  if (stage.to === 'onnx') {
    const onnx = exporters.toOnnx(model, plan ? { plan } : {});
    const { score, dispose } = await ortScore(onnx.bytes);
    return {
      format: 'onnx',
      onnx: onnx.bytes,
      score,
      runtime: 'ort',
      dispose,
      write: writeFile('model.onnx', onnx.bytes),
      report: {
        mode: onnx.mode,
        opset: onnx.opset,
        sizeBytes: onnx.sizeBytes,
        ops: onnx.ops,
        inputShape: onnx.inputShape,
        outputShape: onnx.outputShape,
      },
    };
  }
  if (stage.to === 'tflite') {
    const file = exporters.toTflite(model, plan ? { plan } : {});
    return {
      format: 'tflite',
      score: tfliteScore(file),
      runtime: 'tflite',
      dispose: () => undefined,
      write: writeFile('model.tflite', file.bytes),
      report: {
        mode: file.mode,
        sizeBytes: file.sizeBytes,
        batchSize: file.batchSize,
        ops: file.ops,
        inputShape: file.inputShape,
        outputShape: file.outputShape,
        floatLayers: file.floatLayers,
        notes: file.notes,
      },
    };
  }
  // Core ML: a plan's int8 kernels as linear 8-bit weights; a float model as float32.
  const weights = plan ? 'linear8' : 'float32';
  const file = exporters.toCoreML(model, { weights, ...(plan ? { plan } : {}) });
  const check = exporters.coreml.decodedEqual(file.bytes, model, { weights });
  return {
    format: 'coreml',
    runtime: 'none',
    dispose: () => undefined,
    write: writeFile('model.mlmodel', file.bytes),
    report: {
      weights,
      sizeBytes: file.sizeBytes,
      specificationVersion: file.specificationVersion,
      layers: file.layers,
      quantizedKernels: file.quantizedKernels,
      decodedEqual: check.equal,
      fieldsChecked: check.checked,
      mismatches: check.mismatches.slice(0, 10),
      validation: 'structural only (decoded and compared with the model); not run in Core ML here',
    },
  };
}

/** TensorFlow.js files, float32 or with the converter's quantized weight storage. */
async function tfjsExport(stage: ExportStage, input: StageModel): Promise<StageOutcome> {
  const dtype = stage.dtype ?? 'float32';
  let artifacts: ModelArtifacts;
  let report: unknown;
  if (input.kind === 'graph') {
    if (dtype === 'float32') ({ artifacts } = { artifacts: input.artifacts });
    else
      ({ artifacts, report } = exporters.quantizeGraphArtifacts(input.artifacts, {
        dtype: dtype as exporters.TfjsQuantDtype,
      }));
  } else if (dtype === 'float32') {
    artifacts = await modelToArtifacts(input.model);
  } else {
    ({ artifacts, report } = await exporters.quantizedArtifacts(input.model, {
      dtype: dtype as exporters.TfjsQuantDtype,
    }));
  }
  const loaded: StageModel =
    input.kind === 'graph'
      ? { kind: 'graph', model: artifactsToGraphModel(artifacts, 'the exported files'), artifacts }
      : { kind: 'layers', model: await artifactsToModel(artifacts, 'the exported files') };
  return {
    format: input.kind === 'graph' ? 'tfjs-graph' : 'tfjs-layers',
    score: stageScores(loaded),
    runtime: 'tfjs',
    report: report ?? { dtype },
    dispose: () => {
      loaded.model.dispose();
    },
    write: async (dir) => ['model.json', ...writeArtifacts(dir, artifacts).files],
  };
}
