// Evaluating one candidate: its recipe stages run through the pipeline's own stage functions (the
// same code `tfjs-compress run` runs), then the artifact for the target runtime is measured:
// its file size as written, its accuracy on the search data scored in the runtime it is meant for
// (ONNX Runtime for .onnx, TFLite for .tflite, tfjs for tfjs files), and its latency on the target
// by the library's one harness (bench.benchmark), in interleaved rounds against the original model
// on the same runtime, so that a loaded machine slows both sides of each round's ratio alike.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as bench from '../bench';
import * as exporters from '../export';
import { ExportError } from '../errors';
import { profileModel } from '../profile/profile-model';
import { DataSource } from '../data/source';
import { LoadedData } from '../data/data-files';
import type { OrtWebPage } from '../onnx/web';
import { ArtifactOutcome, StageOutcome } from '../pipeline/artifact';
import { StageContext } from '../pipeline/stages';
import { runModelStage } from '../pipeline/run-stage';
import { StageModel, disposeStageModel, scoreAccuracy } from '../pipeline/stage-model';
import { filesBytes } from '../pipeline/sizes';
import { Candidate, candidateKey, candidateLabel, candidateStages, targetFormat } from './candidate';
import { ResolvedAutoOptions } from './options';

/** What the evaluations share. */
export interface EvalContext {
  /** The float model (borrowed). */
  readonly original: StageModel & { kind: 'layers' };
  readonly options: ResolvedAutoOptions;
  readonly inputShape: readonly number[];
  readonly classes?: number;
  /** Labelled data the candidates are scored on (and INT8 calibrated on). */
  readonly search: LoadedData;
  /** Labelled training data pruned candidates are distilled on, when given. */
  readonly training?: LoadedData;
  /** target 'ort-web': the search's one Chromium page running onnxruntime-web (opened on first use). */
  readonly webPage?: () => Promise<OrtWebPage>;
}

/** A candidate's measurements. */
export interface Evaluation {
  readonly key: string;
  readonly label: string;
  readonly candidate: Candidate;
  /** The target's artifact, its files as written. */
  readonly sizeBytes: number;
  readonly format: string;
  readonly precision: string;
  /** Accuracy on the data it was scored on (the search data, or the held-out data for a check). */
  readonly accuracy: number;
  readonly examples: number;
  readonly macs: number;
  /** MACs of the layers that run in INT8 (the rest run in float). */
  readonly int8Macs: number;
  /** Median p50 (ms) on the target at the options' batch size, and the original's in the same rounds. */
  readonly latencyMs?: number;
  readonly originalLatencyMs?: number;
  /** Median over interleaved rounds of original time / candidate time. */
  readonly speedup?: number;
  /** INT8: each quantized layer's output SQNR (dB) against the float model, from quantize's report. */
  readonly layerSqnrDb?: Record<string, number>;
  readonly seconds: number;
}

/** A candidate's model and target artifact, alive until `dispose`. */
export interface Built {
  readonly artifact: ArtifactOutcome;
  /** The last model of the stages (a quantized model carries its plan). */
  readonly model: StageModel & { kind: 'layers' };
  readonly report: unknown;
  dispose(keepModel?: boolean): Promise<void>;
}

/** Runs the candidate's stages from the original model, as `run` would. */
export async function buildCandidate(c: Candidate, ctx: EvalContext): Promise<Built> {
  const { target, calibrationCount, seed } = ctx.options;
  const stageCtx: StageContext = {
    seed,
    data: { calibration: ctx.search, evaluation: ctx.search, ...(ctx.training ? { training: ctx.training } : {}) },
  };
  const outcomes: StageOutcome[] = [];
  const owned: StageModel[] = [];
  let current: StageModel = ctx.original;
  const release = async (keep?: StageModel) => {
    for (const o of outcomes.splice(0)) await o.dispose();
    for (const m of owned.splice(0)) if (m !== keep) disposeStageModel(m);
  };
  try {
    for (const stage of candidateStages(c, target, calibrationCount)) {
      if (stage.kind === 'bench') continue;
      const out = await runModelStage(stage, current, stageCtx, ctx.original);
      outcomes.push(out);
      if (out.model) {
        owned.push(out.model);
        current = out.model;
      }
    }
    const last = outcomes.at(-1) as StageOutcome;
    const artifact = last.artifacts.find((a) => a.format === targetFormat(target) && a.deployable);
    if (!artifact || current.kind !== 'layers') {
      const why = last.skipped.find((s) => s.format === targetFormat(target))?.reason ?? 'no such artifact';
      throw new ExportError(
        `auto.search: a ${targetFormat(target)} file of ${candidateLabel(c)} for ${target}, got none (${why}). Choose another target.`,
      );
    }
    const model = current;
    return {
      artifact,
      model,
      report: last.report,
      dispose: async (keepModel) => release(keepModel ? model : undefined),
    };
  } catch (e) {
    await release();
    throw e;
  }
}

/** The artifact's files as written, in bytes. */
export async function artifactBytes(artifact: ArtifactOutcome): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfc-auto-'));
  try {
    return filesBytes(dir, await artifact.write(dir));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Accuracy of the artifact on labelled data, scored in its own runtime. */
export async function artifactAccuracy(
  artifact: ArtifactOutcome,
  data: DataSource,
  ctx: Pick<EvalContext, 'inputShape' | 'classes'>,
): Promise<{ accuracy: number; count: number }> {
  if (!artifact.score)
    throw new ExportError(`auto.search: an artifact that runs here, got ${artifact.format}. Choose another target.`);
  return scoreAccuracy(artifact.score, data, {
    inputShape: ctx.inputShape,
    batchSize: 64,
    ...(ctx.classes ? { classes: ctx.classes } : {}),
  });
}

/** A runtime of the target over a model (a quantized layers model carries its plan) or ONNX bytes. */
async function targetRuntime(
  ctx: EvalContext,
  label: string,
  m: { model: tf.LayersModel; float?: tf.LayersModel | undefined; onnx?: Uint8Array | undefined },
): Promise<bench.BenchRuntime> {
  const shape = ctx.inputShape.map((d) => Math.max(d, 1));
  if (ctx.options.target === 'ort-web') {
    if (!ctx.webPage)
      throw new ExportError(`auto.search: a browser page for onnxruntime-web, got none. Target 'ort' instead.`);
    const bytes = m.onnx ?? exporters.toOnnx(m.model).bytes;
    const dims = [ctx.options.batchSize, ...shape];
    const data = new Float32Array(dims.reduce((a, d) => a * d, 1)).map((_, i) => ((i * 7919) % 256) / 255);
    const feeds = { [exporters.inspectOnnx(bytes).inputName]: { data, dims } };
    return (await ctx.webPage()).runtime(bytes, feeds, { name: 'ort-web', model: label });
  }
  if (ctx.options.target === 'ort')
    return bench.ortRuntime(m.onnx ?? exporters.toOnnx(m.model).bytes, {
      name: 'ort',
      inputShape: shape,
      model: label,
    });
  if (ctx.options.target === 'tflite') return bench.tfliteRuntime(m.model, { name: 'tflite', model: label });
  // tfjs computes in float32 whatever the files store: the float model is what runs.
  return bench.tfjsRuntime(m.float ?? m.model, 'wasm', { model: label, inputShape: shape });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Latency of `built` on the target and the original's, in interleaved rounds; speedup = median of per-round ratios. */
export async function measureLatency(
  built: Pick<Built, 'artifact' | 'model'>,
  ctx: EvalContext,
): Promise<{ latencyMs: number; originalLatencyMs: number; speedup: number }> {
  const { batchSize, rounds, seed } = ctx.options;
  const runtimes = [
    await targetRuntime(ctx, 'original', { model: ctx.original.model }),
    await targetRuntime(ctx, 'candidate', {
      model: built.model.model,
      float: built.model.float,
      onnx: built.artifact.onnx,
    }),
  ];
  return pairedSpeedup(runtimes[0] as bench.BenchRuntime, runtimes[1] as bench.BenchRuntime, {
    batchSize,
    rounds,
    seed,
  });
}

/**
 * The search's one timing: `candidate` against `original` (runtimes labelled 'original' and
 * 'candidate') in interleaved rounds of bench.benchmark; speedup = median of per-round ratios.
 */
export async function pairedSpeedup(
  original: bench.BenchRuntime,
  candidate: bench.BenchRuntime,
  o: { readonly batchSize: number; readonly rounds: number; readonly seed: number },
): Promise<{ latencyMs: number; originalLatencyMs: number; speedup: number }> {
  const { batchSize, rounds, seed } = o;
  const rows = await bench.benchmark([original, candidate], {
    batchSizes: [batchSize],
    rounds,
    seed,
    warmupRuns: 2,
    minTimeMs: 60,
  });
  const orig = rows.find((r) => r.model === 'original') as bench.BenchRow;
  const cand = rows.find((r) => r.model === 'candidate') as bench.BenchRow;
  const n = Math.min(orig.roundP50Ms.length, cand.roundP50Ms.length);
  const ratios = Array.from({ length: n }, (_, i) => (orig.roundP50Ms[i] as number) / (cand.roundP50Ms[i] as number));
  return { latencyMs: cand.p50Ms, originalLatencyMs: orig.p50Ms, speedup: median(ratios) };
}

/** The noise of paired timings here: the original timed against itself (at least 2%). A speed-up counts only beyond it. */
export const timingNoise = (selfSpeedup: number): number => Math.max(0.02, Math.abs(selfSpeedup - 1));

/** MACs of the model and of its layers that run in INT8 (the quantize report's layers). */
async function macsOf(
  model: tf.LayersModel,
  quantized: ReadonlySet<string>,
): Promise<{ macs: number; int8Macs: number }> {
  const p = await profileModel(model);
  const int8Macs = p.layers.filter((l) => quantized.has(l.name)).reduce((a, l) => a + (l.macs ?? 0), 0);
  return { macs: p.totals.macs, int8Macs };
}

/** The quantize report's per-layer output SQNR (dB), by layer. */
function layerSqnr(report: unknown): Record<string, number> | undefined {
  const layers = (report as { layers?: { layer: string; outputSqnrDb?: number; weightSqnrDb?: number }[] } | undefined)
    ?.layers;
  if (!Array.isArray(layers)) return undefined;
  return Object.fromEntries(layers.map((l) => [l.layer, l.outputSqnrDb ?? l.weightSqnrDb ?? Infinity]));
}

/**
 * Builds and measures `c`: size, accuracy on the search data, MACs, and (with `timed`) its latency
 * against the original's on the target.
 */
export async function evaluateCandidate(c: Candidate, ctx: EvalContext, timed: boolean): Promise<Evaluation> {
  const t0 = Date.now();
  const built = await buildCandidate(c, ctx);
  try {
    const sizeBytes = await artifactBytes(built.artifact);
    const { accuracy, count } = await artifactAccuracy(built.artifact, ctx.search.source, ctx);
    const sqnr = c.precision === 'int8' ? layerSqnr(built.report) : undefined;
    const float = built.model.float ?? built.model.model;
    const { macs, int8Macs } = await macsOf(float, new Set(Object.keys(sqnr ?? {})));
    const latency = timed ? await measureLatency(built, ctx) : undefined;
    return {
      key: candidateKey(c),
      label: candidateLabel(c),
      candidate: c,
      sizeBytes,
      format: built.artifact.format,
      precision: built.artifact.precision,
      accuracy,
      examples: count,
      macs,
      int8Macs,
      ...(latency ?? {}),
      ...(sqnr ? { layerSqnrDb: sqnr } : {}),
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await built.dispose();
  }
}
