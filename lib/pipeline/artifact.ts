// What a stage leaves in its folder: one or more artifacts, each deployable as written (ONNX for
// ONNX Runtime, TFLite, tfjs files that stock tfjs loads, Core ML) or plainly marked as not (a
// quantization plan: the FakeQuantize simulation that only the exporters read).
//
// The layout of a stage folder (the same for `run` stages and the prune / quantize / export commands):
//   model.json + weight files   tfjs files (float, pruned, or with quantized weight storage: uint8 /
//                               uint16 / float16 manifests, as the converter's --quantize_* writes them)
//   model.onnx                  ONNX: fp32, or INT8 (QDQ, dynamic, MatMulNBits) from a quantization plan
//   model.tflite                TFLite: fp32, or full-integer INT8 from a static plan
//   model.mlmodel               Core ML
//   plan/                       a quantize stage's plan: model.json + weights with FakeQuantize layers and
//                               the plan in its metadata, and README.md saying not to ship it
//   stage-report.json           the library's own report (the commands: quantize-report.json, export-report.json)
import * as tf from '@tensorflow/tfjs';
import { ArtifactFormat, ArtifactRuntime } from '../data/deployment';
import { ScoreFn, StageModel } from './stage-model';

/** The sub-folder of a stage that holds its quantization plan. */
export const PLAN_FOLDER = 'plan';

/** The README written beside a plan, so nobody ships it. */
export const PLAN_README = [
  '# Not a deployable model',
  '',
  'This folder is the quantization plan of its stage: the float model with FakeQuantize layers that',
  'simulate integer arithmetic, and the quantization parameters in model.json. Stock TensorFlow.js',
  'cannot load it (FakeQuantize is not a tfjs layer) and it is not smaller or faster than the float',
  'model. The exporters (tfjs-compress export) read it to write ONNX, TFLite or Core ML.',
  '',
  'Ship the artifacts beside this folder instead (see deploy.json at the root of the run).',
  '',
].join('\n');

/** One artifact a stage writes. */
export interface ArtifactOutcome {
  readonly format: ArtifactFormat;
  readonly runtime: ArtifactRuntime;
  /** False for a plan (a simulation that only the exporters read). */
  readonly deployable: boolean;
  /** Weight precision as stored: 'fp32', 'int8', 'int8-dynamic', 'int4-weights', 'uint8-weights', ... */
  readonly precision: string;
  /** The file to load, relative to the stage folder: 'model.onnx', 'model.json', 'plan/model.json', ... */
  readonly file: string;
  /** Writes the artifact into the stage folder; returns its files relative to that folder (what sizeBytes counts). */
  write(stageDir: string): Promise<string[]>;
  /** Scores it in the runtime it is meant for (absent when nothing here runs it, as for Core ML on Linux). */
  readonly score?: ScoreFn;
  /** A plan is scored in tfjs as a simulation; said so in the report. */
  readonly simulated?: boolean;
  /** ONNX bytes (benchmarked in ONNX Runtime). */
  readonly onnx?: Uint8Array;
  /** A float tfjs model to benchmark (borrowed from the stage's model). */
  readonly benchModel?: tf.LayersModel;
  /** Layers the exporter left in float, and why. */
  readonly floatLayers?: readonly { readonly layer: string; readonly reason: string }[];
  readonly note?: string;
  /** The exporter's own report (plain JSON). */
  readonly report?: unknown;
}

/** An artifact a stage tried to write and could not, with the exporter's reason. */
export interface SkippedArtifact {
  readonly format: ArtifactFormat;
  readonly reason: string;
}

/** The outcome of one stage. */
export interface StageOutcome {
  /** The model later stages start from (optimizing stages). Owned by the caller. */
  readonly model?: StageModel;
  /** What the stage writes, deployable ones first. */
  readonly artifacts: readonly ArtifactOutcome[];
  readonly skipped: readonly SkippedArtifact[];
  /** The library's report (plain JSON). */
  readonly report: unknown;
  /** Frees what scoring holds (not `model`). */
  dispose(): Promise<void> | void;
  /** The primary artifact's format (the first deployable one). */
  readonly format: string;
  /** Where the primary artifact runs. */
  readonly runtime: ArtifactRuntime;
  /** Scores the primary artifact. */
  readonly score?: ScoreFn;
  /** ONNX bytes of the primary artifact, when it is ONNX. */
  readonly onnx?: Uint8Array;
  /** Writes every artifact into `dir`; returns their files relative to it. */
  write(dir: string): Promise<string[]>;
}

/** A StageOutcome from its artifacts (the primary one: the first deployable, else the first). */
export function stageOutcome(parts: {
  readonly model?: StageModel;
  readonly artifacts: readonly ArtifactOutcome[];
  readonly skipped?: readonly SkippedArtifact[];
  readonly report: unknown;
  readonly dispose?: () => Promise<void> | void;
}): StageOutcome {
  const primary = parts.artifacts.find((a) => a.deployable) ?? parts.artifacts[0];
  return {
    ...(parts.model ? { model: parts.model } : {}),
    artifacts: parts.artifacts,
    skipped: parts.skipped ?? [],
    report: parts.report,
    dispose: parts.dispose ?? (() => undefined),
    format: primary?.format ?? 'none',
    runtime: primary?.runtime ?? 'none',
    ...(primary?.score ? { score: primary.score } : {}),
    ...(primary?.onnx ? { onnx: primary.onnx } : {}),
    write: async (dir) => {
      const files: string[] = [];
      for (const a of parts.artifacts) files.push(...(await a.write(dir)));
      return files;
    },
  };
}

/** A one-line reason from an exporter's error (its message without the function prefix). */
export function reasonOf(e: unknown): string {
  const m = (e as Error)?.message ?? String(e);
  return m.length > 600 ? `${m.slice(0, 597)}...` : m;
}
