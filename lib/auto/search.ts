// `auto.search(model, data, options) -> {model, report}`: compress to a target. Given the runtime
// the model will run on, a goal (latency there, or file size) and the largest accuracy drop allowed,
// it searches what the library's verbs can do and returns the best model that keeps the drop on
// held-out data:
//   1. the original, measured on the target (size, accuracy on the search data, latency);
//   2. each channel group's sensitivity to pruning, on the search data (sensitivity.ts);
//   3. for each pruning level (0 and `sparsities`, channel counts in the target's tiles, sensitive
//      groups kept whole): the pruned float model, static INT8 with NNCF's per-layer float
//      fallback (fallback.ts), and int4 weight-only when the model has large Dense layers;
//   4. the Pareto front of accuracy, latency and size; the best point within the limit on the
//      search data is checked on the held-out data, and the next one tried if it fails there;
//   5. a latency model fitted on the measurements, with its leave-one-out error.
// Every evaluation is journaled (journal.ts): a killed search resumes without redoing them.
// Candidates are made by the pipeline's own stage functions from recipe stages (candidate.ts),
// so `report.chosen.stages` in a recipe reproduces the chosen model with `tfjs-compress run`.
// Timed evaluations run one after another, never in parallel, and never while probes run: timings
// of two models sharing the cores would measure the sharing. The accuracy-only probes (sensitivity,
// the INT8 layers' ranking) run in parallel on `options.executor` when one is given (probe.ts). Target 'ort-web' times onnxruntime-web in
// one headless Chromium page (onnx/web.ts), opened on the first timing and closed at the end.
// An ONNX model (a path, bytes, or onnx.read's result) is searched by onnx-search.ts: precision
// candidates only (pruning needs a TensorFlow.js model), timed in ONNX Runtime for Node.
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { requireLayersModel } from '../core/graph';
import { layerEntry } from '../core/layers';
import { DataSource, checkSource, sourceCount } from '../data/source';
import { LoadedData } from '../data/data-files';
import { inputShapeOf, outputUnits } from '../train/model-output';
import { planOf } from '../quantize/plan';
import { cloneModel } from '../prune/clone';
import { Candidate, ORIGINAL, candidateKey } from './candidate';
import { EvalContext, Evaluation, artifactAccuracy, buildCandidate, evaluateCandidate } from './evaluate';
import { choosePoint } from './choose';
import { FallbackReport, int8WithFallback } from './fallback';
import { searchFingerprint } from './fingerprint';
import { Journal } from './journal';
import { journaledEvaluator } from './journaled';
import { fitLatencyModel } from './latency-model';
import { AutoOptions, ResolvedAutoOptions, isOnnxTarget, resolveAutoOptions } from './options';
import { OrtWebPage, ortWebPage } from '../onnx/web';
import { AutoReport, autoReport } from './report';
import { channelSensitivity } from './sensitivity';
import { ProbeResult, ProbeSpec, probeOn, probeShared, runProbe } from './probe';
import { OnnxAutoData, OnnxAutoResult, searchOnnx } from './onnx-search';
import type { OnnxFile } from '../onnx/read';

const FN = 'auto.search';

/** The data of a search: labelled search data (scoring, calibration), and held-out data it never sees until the check. */
export interface AutoData {
  readonly search: DataSource;
  readonly heldOut: DataSource;
  /** Labelled training data: pruned candidates are distilled from the original model on it (`fineTuneEpochs`), as a recipe's distill stage does. */
  readonly training?: DataSource;
}

/** Dense kernels at least this large get an int4 weight-only candidate (MatMulNBits pays off on big matrices). */
const INT4_MIN_PARAMS = 65_536;

const asLoaded = (source: DataSource): LoadedData => ({
  source,
  kind: 'npy',
  count: sourceCount(source) ?? 0,
  labelled: true,
  paths: [],
  dispose: () => undefined,
});

/** True for an ONNX model as bytes or as onnx.read gives it. */
const isOnnxInput = (m: unknown): boolean =>
  m instanceof Uint8Array || (m !== null && typeof m === 'object' && 'proto' in m && 'opset' in m && 'irVersion' in m);

function checkInputs(model: tf.LayersModel, data: AutoData): void {
  requireLayersModel(model, FN);
  if (planOf(model))
    throw new ConfigError(`${FN}: a float model, got a quantized one. Pass the model before quantization.`);
  if (!data || typeof data !== 'object' || !Object.hasOwn(data, 'search') || !Object.hasOwn(data, 'heldOut'))
    throw new ConfigError(
      `${FN}: data {search, heldOut} (labelled; the held-out part is only used to check the result), got ${typeof data}. ` +
        `Split your data, e.g. with auto.splitData(set, {heldOutFraction: 0.5}).`,
    );
  checkSource(data.search, FN);
  checkSource(data.heldOut, FN);
  if (data.training !== undefined) checkSource(data.training, FN);
}

/**
 * Searches pruning and precision for the smallest latency (or size) on `options.target` whose
 * accuracy drop on `data.heldOut` is at most `options.maxDrop`. The input model is not modified;
 * the caller owns the returned model (a quantized model carries its plan for the exporters).
 * @example const {model, report} = await auto.search(model, {search, heldOut}, {target: 'ort', maxDrop: 0.01});
 */
export async function search(
  model: tf.LayersModel,
  data: AutoData,
  options: AutoOptions,
): Promise<{ model: tf.LayersModel; report: AutoReport }>;
/** An ONNX model (a path, bytes, or onnx.read's result): precision candidates timed in ONNX Runtime (onnx-search.ts). */
export async function search(
  model: OnnxFile | Uint8Array | string,
  data: OnnxAutoData,
  options: AutoOptions,
): Promise<OnnxAutoResult>;
export async function search(
  model: tf.LayersModel | OnnxFile | Uint8Array | string,
  data: AutoData | OnnxAutoData,
  options: AutoOptions,
): Promise<{ model: tf.LayersModel; report: AutoReport } | OnnxAutoResult> {
  if (isOnnxInput(model) || typeof model === 'string')
    return searchOnnx(model as OnnxFile | Uint8Array | string, data as OnnxAutoData, options);
  return searchLayers(model as tf.LayersModel, data as AutoData, options);
}

async function searchLayers(
  model: tf.LayersModel,
  data: AutoData,
  options: AutoOptions,
): Promise<{ model: tf.LayersModel; report: AutoReport }> {
  checkInputs(model, data);
  const o = resolveAutoOptions(options);
  let page: Promise<OrtWebPage> | undefined;
  try {
    return await searchWith(model, data, o, o.target === 'ort-web' ? () => (page ??= ortWebPage()) : undefined);
  } finally {
    if (page) await (await page.catch(() => undefined))?.close();
  }
}

async function searchWith(
  model: tf.LayersModel,
  data: AutoData,
  o: ResolvedAutoOptions,
  webPage: (() => Promise<OrtWebPage>) | undefined,
): Promise<{ model: tf.LayersModel; report: AutoReport }> {
  const started = Date.now();
  const inputShape = inputShapeOf(model, FN);
  const classes = outputUnits(model, FN);
  const journal = new Journal(o.journalDir, searchFingerprint(model, data, o));
  const ctx: EvalContext = {
    original: { kind: 'layers', model },
    options: o,
    inputShape,
    classes,
    search: asLoaded(data.search),
    ...(data.training ? { training: asLoaded(data.training) } : {}),
    ...(webPage ? { webPage } : {}),
  };
  const fineTuneEpochs = data.training ? o.fineTuneEpochs : 0;
  const warnings: string[] = [];
  const overBudget = () => o.budgetSeconds !== undefined && (Date.now() - started) / 1000 > o.budgetSeconds;
  const say = (text: string) => o.onEvaluation?.(text);

  // Probes (accuracy only) go to the executor when there is one, all at once; everything that runs
  // here runs one at a time, and no timing overlaps a probe (each phase is awaited before the next).
  const shared = o.executor ? await probeShared(ctx) : undefined;
  if (o.executor && !shared) warnings.push('a tf.data.Dataset cannot be sent to workers: every probe ran here');
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = chain.then(f);
    chain = p.catch(() => undefined);
    return p;
  };
  const probe = (spec: ProbeSpec): Promise<ProbeResult> =>
    o.executor && shared ? probeOn(o.executor, shared, spec) : serial(() => runProbe(spec, ctx));

  const evaluator = journaledEvaluator(
    journal,
    (c, timed) =>
      timed
        ? serial(() => evaluateCandidate(c, ctx, true))
        : probe({ kind: 'candidate', candidate: c }).then((r) => r as Evaluation),
    { overBudget, runtime: o.target, say },
  );
  const { evaluate, failed } = evaluator;

  const measuredOriginal = await evaluate(ORIGINAL, true, true); // the baseline, whatever the budget
  if (!measuredOriginal)
    throw new ConfigError(
      `${FN}: the original model measured on ${o.target}, got ${failed[0]?.reason ?? 'no time (budget)'}. Choose another target or a larger budget.`,
    );
  // The original timed against itself measures the noise of paired timings here; its speedup is 1 by definition.
  const selfSpeedup = measuredOriginal.speedup as number;
  const original: Evaluation = { ...measuredOriginal, speedup: 1 };
  const baseAccuracy = original.accuracy;
  const sensitivity = o.sparsities.length
    ? await channelSensitivity(
        ctx,
        baseAccuracy,
        journal,
        overBudget,
        async (layer, sparsity) => (await probe({ kind: 'sensitivity', layer, sparsity })).accuracy,
        shared !== undefined,
      )
    : [];
  if (sensitivity.some((s) => s.accuracy === null)) evaluator.budgetExhausted = true;
  const keepWhole = sensitivity.filter((s) => s.keepWhole).map((s) => s.layer);
  const hasLargeDense = model.layers.some(
    (l) => layerEntry(l.getClassName())?.matMul && (l.getWeights()[0]?.size ?? 0) >= INT4_MIN_PARAMS,
  );
  const timed: Evaluation[] = [original];
  const fallback: (FallbackReport & { sparsity: number })[] = [];
  const quantizeHelps = o.goal === 'size' || o.target !== 'tfjs-wasm';
  for (const sparsity of [0, ...o.sparsities]) {
    if (sparsity > 0 && sensitivity.every((s) => s.keepWhole)) {
      warnings.push(`every channel group is too sensitive to prune at ${o.probeSparsity}: no pruned candidates`);
      break;
    }
    const base = {
      sparsity,
      keepWhole: sparsity > 0 ? keepWhole : [],
      ...(sparsity > 0 && fineTuneEpochs ? { fineTuneEpochs } : {}),
    };
    let floatAccuracy = baseAccuracy;
    if (sparsity > 0) {
      const e = await evaluate({ ...base, precision: 'float', floatLayers: [] }, true);
      floatAccuracy = e?.accuracy ?? baseAccuracy;
      if (e && e.macs >= original.macs) {
        warnings.push(
          `pruning at ${sparsity} removes no channel once counts are rounded to ${o.target}'s tiles: level skipped`,
        );
        continue;
      }
      if (e) timed.push(e);
    }
    if (quantizeHelps) {
      const f = await int8WithFallback(base, {
        baseAccuracy,
        floatAccuracy,
        maxDrop: o.maxDrop,
        rankLayers: o.rankLayers,
        evaluate,
      });
      if (f) {
        fallback.push({ ...f, sparsity });
        timed.push(...f.steps);
      }
    }
    if (hasLargeDense && isOnnxTarget(o.target)) {
      const e = await evaluate({ ...base, precision: 'int4-weights', floatLayers: [] }, true);
      if (e) timed.push(e);
    }
  }
  // The held-out check runs on the built artifact, journaled like every evaluation.
  const heldOut = async (c: Candidate) =>
    (
      await journal.remember(`heldout:${candidateKey(c)}`, async () => {
        const built = await buildCandidate(c, ctx);
        try {
          return await artifactAccuracy(built.artifact, data.heldOut, ctx);
        } finally {
          await built.dispose();
        }
      })
    ).value;
  const choice = await choosePoint(timed, original, baseAccuracy, selfSpeedup, o, heldOut);
  const chosenBuilt = await buildCandidate(choice.pick.e.candidate, ctx);
  await chosenBuilt.dispose(true);
  // The original itself is the caller's: return a copy.
  const chosenModel = chosenBuilt.model.model === model ? await cloneModel(model) : chosenBuilt.model.model;
  const latencyModel = fitLatencyModel(
    choice.unique
      .filter((e) => e.latencyMs !== undefined)
      .map((e) => ({ floatMacs: e.macs - e.int8Macs, int8Macs: e.int8Macs, latencyMs: e.latencyMs as number })),
  );
  const report = autoReport({
    o,
    original,
    selfSpeedup,
    choice,
    chosenSizeBytes: choice.pick.e.sizeBytes,
    timedOn: `on ${o.target}`,
    sensitivity,
    fallback,
    failed,
    ...(latencyModel ? { latencyModel } : {}),
    journal,
    budgetExhausted: evaluator.budgetExhausted,
    started,
    warnings,
  });
  return { model: chosenModel, report };
}
