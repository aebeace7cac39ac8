// What a quantize stage of a layers model writes: what runs, and the plan apart.
//   model.onnx     INT8 in ONNX Runtime (QDQ for static, dynamic INT8, weight-only / MatMulNBits),
//                  via exporters.toOnnx of the quantized model
//   model.tflite   full-integer INT8 for TFLite, where the model converts (static plans); otherwise
//                  the exporter's reason is listed as a skipped artifact
//   model.json     tfjs files of the float model the stage started from, with the converter's
//                  quantized weight storage (uint8 where one scale per tensor keeps every channel,
//                  else a 2-byte type; tensorflowjs_converter --quantize_uint8): stock
//                  tf.loadLayersModel loads them and runs float32, so they shrink files, not compute
//   plan/          the FakeQuantize simulation with the plan in its metadata, for the exporters only;
//                  marked `deployable: false`, with a README saying so
// Each is scored in its own runtime; the plan's score is labelled a simulation.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CompressionError } from '../errors';
import * as exporters from '../export';
import { QuantPlan, planOf } from '../quantize/plan';
import {
  ArtifactOutcome,
  PLAN_FOLDER,
  PLAN_README,
  SkippedArtifact,
  StageOutcome,
  reasonOf,
  stageOutcome,
} from './artifact';
import { onnxArtifact, planPrecision, tfjsArtifact, tfliteArtifact } from './export-stage';
import { saveStageModel, stageScores } from './stage-model';
import { StageContext } from './stage-context';

/** The plan as a non-deployable artifact in `plan/`. */
function planArtifact(model: tf.LayersModel, plan: QuantPlan): ArtifactOutcome {
  return {
    format: 'plan',
    runtime: 'none',
    deployable: false,
    precision: `fp32-simulating-${planPrecision(plan)}`,
    file: `${PLAN_FOLDER}/model.json`,
    write: async (dir) => {
      const sub = path.join(dir, PLAN_FOLDER);
      const files = await saveStageModel({ kind: 'layers', model }, sub);
      fs.writeFileSync(path.join(sub, 'README.md'), PLAN_README);
      return files.map((f) => `${PLAN_FOLDER}/${f}`);
    },
    score: stageScores({ kind: 'layers', model }),
    simulated: true,
    note: 'the quantization plan (FakeQuantize simulation) for the exporters: not deployable, stock tfjs cannot load it',
  };
}

/** Runs `make`; a typed refusal of the exporter becomes a skipped artifact with its reason. */
async function attempt<T>(
  format: SkippedArtifact['format'],
  skipped: SkippedArtifact[],
  make: () => T | Promise<T>,
): Promise<T | undefined> {
  try {
    return await make();
  } catch (e) {
    if (!(e instanceof CompressionError)) throw e;
    skipped.push({ format, reason: reasonOf(e) });
    return undefined;
  }
}

/**
 * The artifacts of a quantized layers model `q` (carrying its plan) whose float model is `float`
 * (borrowed). The stage's model is `q` (owned by the caller once returned).
 */
export async function quantizedOutcome(
  m: { readonly kind: 'layers'; readonly model: tf.LayersModel; readonly float: tf.LayersModel },
  report: unknown,
  ctx: Pick<StageContext, 'update'>,
): Promise<StageOutcome> {
  const plan = planOf(m.model) as QuantPlan;
  const artifacts: ArtifactOutcome[] = [];
  const skipped: SkippedArtifact[] = [];
  const disposers: (() => unknown)[] = [];
  const dispose = async () => {
    for (const d of disposers.splice(0)) await d();
  };
  const step = (done: number) => ctx.update?.('export', done, 3);
  try {
    const onnx = await attempt('onnx', skipped, () => onnxArtifact(m.model, plan));
    if (onnx) {
      artifacts.push(onnx);
      disposers.push(onnx.dispose);
    }
    step(1);
    if (plan.mode === 'static') {
      const lite = await attempt('tflite', skipped, () => tfliteArtifact(m.model, plan));
      if (lite) artifacts.push(lite);
    } else
      skipped.push({
        format: 'tflite',
        reason: `TFLite files here are full-integer INT8, made from mode 'static' only (this stage is '${plan.mode}')`,
      });
    step(2);
    // 8 bits or fewer: uint8 where it keeps every channel (else a 2-byte type); more bits: uint16.
    const dtype = plan.weightBits > 8 ? 'uint16' : 'auto';
    const files = await attempt('tfjs-layers', skipped, () => exporters.quantizedArtifacts(m.float, { dtype }));
    if (files) {
      const tfjs = await tfjsArtifact(files.artifacts, 'layers', files.report);
      disposers.push(tfjs.dispose);
      artifacts.push({
        ...tfjs,
        note:
          'the float model with quantized weight files: stock tfjs dequantizes them to float32 at load (smaller files, the same compute' +
          (plan.mode === 'static' ? '; activations stay float' : '') +
          ')',
      });
    }
    step(3);
    artifacts.push(planArtifact(m.model, plan));
  } catch (e) {
    await dispose();
    throw e;
  }
  return stageOutcome({
    model: { kind: 'layers', model: m.model, float: m.float },
    artifacts,
    skipped,
    report,
    dispose,
  });
}
