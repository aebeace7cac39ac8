// The search's report (plain JSON): what was measured, the Pareto front of size / latency /
// accuracy, the chosen point checked on held-out data, and each layer's decision with its reason.
import { MachineInfo, machineInfo } from '../core/machine';
import type { Stage } from '../pipeline/recipe';
import { Candidate, candidateStages } from './candidate';
import { Choice } from './choose';
import { Evaluation } from './evaluate';
import { FallbackReport } from './fallback';
import { Journal } from './journal';
import { LatencyModel } from './latency-model';
import { AutoGoal, AutoTarget, ResolvedAutoOptions } from './options';
import { LayerSensitivity } from './sensitivity';

/** What happened to one layer in the chosen model. */
export interface LayerDecision {
  readonly layer: string;
  /** 'pruned' (its group lost channels), 'kept whole' (too sensitive), or absent when it has no channel group. */
  readonly pruning?: 'pruned' | 'kept whole';
  readonly channelsBefore?: number;
  /** 'int8', 'float' (reverted by the fallback), 'int4-weights', or 'float' in a float model. */
  readonly precision?: string;
  readonly why: string;
}

/** The chosen candidate, checked on the held-out data. */
export interface ChosenPoint {
  readonly label: string;
  readonly candidate: Candidate;
  /** The recipe stages that make it (what `tfjs-compress run` runs). */
  readonly stages: Stage[];
  readonly format: string;
  readonly precision: string;
  readonly sizeBytes: number;
  /** sizeBytes / the original's file on the same target. */
  readonly sizeRatio: number;
  /** On the search data. */
  readonly searchAccuracy: number;
  /** On the held-out data the search never used. */
  readonly accuracy: number;
  readonly baseAccuracy: number;
  /** baseAccuracy - accuracy, on the held-out data. */
  readonly accuracyDrop: number;
  readonly heldOutExamples: number;
  /** Original time / chosen time on the target (median of interleaved rounds). */
  readonly speedupOnTarget?: number;
  readonly latencyMs?: number;
}

/** The report of {@link search}. */
export interface AutoReport {
  readonly target: AutoTarget;
  readonly goal: AutoGoal;
  readonly maxDrop: number;
  readonly batchSize: number;
  /** The original on the target; `selfSpeedup` is it timed against itself (1 but for the noise of paired timings here). */
  readonly original: Evaluation & { readonly heldOutAccuracy: number; readonly selfSpeedup: number };
  readonly sensitivity: LayerSensitivity[];
  /** Every candidate measured on the target (timed), the original first. */
  readonly candidates: Evaluation[];
  /** INT8 fallback runs, by pruning level. */
  readonly fallback: (FallbackReport & { readonly sparsity: number })[];
  /** Labels of the candidates on the Pareto front of (accuracy, latency, size). */
  readonly front: string[];
  readonly chosen: ChosenPoint;
  /** Candidates within the limit on the search data that the held-out check refused. */
  readonly rejected: { label: string; heldOutDrop: number }[];
  /** Candidates that could not be made for the target, with the reason. */
  readonly failed: { label: string; reason: string }[];
  readonly layers: LayerDecision[];
  readonly latencyModel?: LatencyModel;
  /** Evaluations of the search (timed or not, with sensitivity probes and held-out checks). */
  readonly evaluations: number;
  /** Of them, found in the journal of an earlier (killed) run and not redone. */
  readonly reusedEvaluations: number;
  readonly resumed: boolean;
  readonly budgetExhausted: boolean;
  readonly searchSeconds: number;
  readonly machine: MachineInfo;
  readonly warnings: string[];
}

/** Each layer's decision in the chosen model, with the evidence. */
export function layerDecisions(
  chosen: Candidate,
  sensitivity: readonly LayerSensitivity[],
  fallback: readonly (FallbackReport & { readonly sparsity: number })[],
  quantizedLayers: readonly string[],
  maxDrop: number,
): LayerDecision[] {
  const out = new Map<string, { -readonly [K in keyof LayerDecision]: LayerDecision[K] }>();
  const get = (layer: string) => {
    let d = out.get(layer);
    if (!d) out.set(layer, (d = { layer, why: '' }));
    return d;
  };
  const pt = (x: number | null) =>
    x === null ? 'an unmeasured amount (the budget ran out first)' : `${(x * 100).toFixed(2)} pt`;
  for (const s of sensitivity) {
    const d = get(s.layer);
    d.channelsBefore = s.channels;
    if (chosen.sparsity === 0) {
      d.why = `not pruned: the chosen point prunes no channels (alone at the probe sparsity it lost ${pt(s.accuracyDrop)})`;
      continue;
    }
    const whole = chosen.keepWhole.includes(s.layer);
    d.pruning = whole ? 'kept whole' : 'pruned';
    d.why =
      s.accuracyDrop === null
        ? 'kept whole: the budget ran out before its sensitivity was measured'
        : whole
          ? `pruned alone it lost ${pt(s.accuracyDrop)}, over half the allowed ${pt(maxDrop)}`
          : `pruned alone it lost ${pt(s.accuracyDrop)}`;
  }
  const run = fallback.find((f) => f.sparsity === chosen.sparsity);
  if (chosen.precision === 'int8') {
    for (const l of quantizedLayers) get(l).precision = 'int8';
    for (const l of chosen.floatLayers) {
      const d = get(l);
      const rank = run?.ranking.findIndex((r) => r.layer === l) ?? -1;
      const r = rank >= 0 ? run?.ranking[rank] : undefined;
      d.precision = 'float';
      const reverted = r
        ? `reverted to float: rank ${rank + 1} by contribution to the INT8 drop (alone in float it gave back ${pt(r.contribution)})`
        : 'reverted to float';
      d.why = d.why ? `${d.why}; ${reverted}` : reverted;
    }
  } else if (chosen.precision === 'int4-weights') for (const l of quantizedLayers) get(l).precision = 'int4-weights';
  for (const d of out.values()) {
    d.precision ??= chosen.precision === 'float' ? 'float' : undefined;
    if (d.precision === 'int8' && !d.why.includes('reverted')) d.why = `${d.why ? `${d.why}; ` : ''}quantized to INT8`;
  }
  return [...out.values()].filter((d) => d.pruning || d.precision || d.channelsBefore);
}

/** What a search (of a layers or an ONNX model) measured and chose, for {@link autoReport}. */
export interface SearchOutcome {
  readonly o: ResolvedAutoOptions;
  /** The original's evaluation (speedup 1) and its speedup timed against itself. */
  readonly original: Evaluation;
  readonly selfSpeedup: number;
  readonly choice: Choice;
  /** The chosen point's file size as built. */
  readonly chosenSizeBytes: number;
  /** Where candidates were timed, for the warning when none beats the original (e.g. 'on tfjs-wasm'). */
  readonly timedOn: string;
  readonly sensitivity: LayerSensitivity[];
  readonly fallback: (FallbackReport & { readonly sparsity: number })[];
  readonly failed: { label: string; reason: string }[];
  readonly latencyModel?: LatencyModel;
  readonly journal: Journal;
  readonly budgetExhausted: boolean;
  /** Date.now() when the search started. */
  readonly started: number;
  readonly warnings: readonly string[];
}

/** The report of a search: the chosen point checked on held-out data, each layer's decision, and the search's own accounting. */
export function autoReport(s: SearchOutcome): AutoReport {
  const { o, original, choice, journal } = s;
  const { unique, noise, front, feasible, baseHeld, rejected, pick } = choice;
  const c = pick.e;
  const chosen: ChosenPoint = {
    label: c.label,
    candidate: c.candidate,
    stages: candidateStages(c.candidate, o.target, o.calibrationCount),
    format: c.format,
    precision: c.precision,
    sizeBytes: s.chosenSizeBytes,
    sizeRatio: s.chosenSizeBytes / original.sizeBytes,
    searchAccuracy: c.accuracy,
    accuracy: pick.accuracy,
    baseAccuracy: baseHeld.accuracy,
    accuracyDrop: baseHeld.accuracy - pick.accuracy,
    heldOutExamples: pick.count,
    ...(c.speedup !== undefined ? { speedupOnTarget: c.speedup } : {}),
    ...(c.latencyMs !== undefined ? { latencyMs: c.latencyMs } : {}),
  };
  const noGain =
    c.key !== original.key
      ? []
      : [
          feasible.length > 1 || rejected.length
            ? `no compressed candidate within the limit was ${o.goal === 'size' ? 'smaller' : `faster ${s.timedOn} by more than the timing noise (${(noise * 100).toFixed(1)}%)`} than the original: the original is returned`
            : 'no compressed candidate kept the accuracy drop within the limit: the original is returned',
        ];
  return {
    target: o.target,
    goal: o.goal,
    maxDrop: o.maxDrop,
    batchSize: o.batchSize,
    original: { ...original, heldOutAccuracy: baseHeld.accuracy, selfSpeedup: s.selfSpeedup },
    sensitivity: s.sensitivity,
    candidates: unique,
    fallback: s.fallback,
    front: front.map((e) => e.label),
    chosen,
    rejected,
    failed: s.failed,
    layers: layerDecisions(c.candidate, s.sensitivity, s.fallback, Object.keys(c.layerSqnrDb ?? {}), o.maxDrop),
    ...(s.latencyModel ? { latencyModel: s.latencyModel } : {}),
    evaluations: journal.computed + journal.reused,
    reusedEvaluations: journal.reused,
    resumed: journal.resumedEntries > 0,
    budgetExhausted: s.budgetExhausted,
    searchSeconds: (Date.now() - s.started) / 1000,
    machine: machineInfo(),
    warnings: [...s.warnings, ...noGain],
  };
}
