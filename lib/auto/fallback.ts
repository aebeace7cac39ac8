// Static INT8 with per-layer float fallback, by the loop of OpenVINO NNCF's
// `quantize_with_accuracy_control`: quantize everything; if the accuracy drop is over the limit,
// rank the quantized layers by their contribution to the drop on a ranking subset (the accuracy
// gained when that layer alone goes back to float), then revert the most harmful ones to float,
// one at a time, measuring after each, until the drop is within the limit. Ranking every layer costs
// one quantization each, so only the layers with the lowest output SQNR (quantize's per-layer
// report; NNCF likewise ranks a preselected group) are ranked, `rankLayers` of them. When the
// float model of the same pruning is itself over the limit, no revert can help: none is tried.
import { Candidate } from './candidate';
import { Evaluation } from './evaluate';

/** A layer's place in the ranking. */
export interface RankedLayer {
  readonly layer: string;
  /** Output SQNR (dB) of the layer in the all-INT8 model (lower: more quantization noise). */
  readonly outputSqnrDb: number | null;
  /** Accuracy on the search data with this layer alone in float. */
  readonly accuracyWithLayerFloat: number;
  /** accuracyWithLayerFloat - all-INT8 accuracy: how much of the drop this layer causes. */
  readonly contribution: number;
}

/** What the fallback did for one pruning level. */
export interface FallbackReport {
  /** The all-INT8 candidate, then each revert step. */
  readonly steps: Evaluation[];
  /** Empty when the all-INT8 model was within the limit. */
  readonly ranking: RankedLayer[];
  /** Layers reverted to float, in order. */
  readonly reverted: string[];
  /** True when the last step is within the limit on the search data. */
  readonly withinDrop: boolean;
}

/** Evaluates a candidate (timed or not); undefined once the budget is spent. */
export type Evaluate = (c: Candidate, timed: boolean) => Promise<Evaluation | undefined>;

/**
 * INT8 of `base` (its pruning) with the fewest float layers, ranked as NNCF ranks them, that keeps
 * the drop on the search data within `maxDrop`.
 */
export async function int8WithFallback(
  base: Pick<Candidate, 'sparsity' | 'keepWhole' | 'fineTuneEpochs'>,
  o: {
    readonly baseAccuracy: number;
    /** Accuracy of `base` in float: the most reverting layers can give back (default baseAccuracy). */
    readonly floatAccuracy?: number;
    readonly maxDrop: number;
    readonly rankLayers: number;
    readonly evaluate: Evaluate;
  },
): Promise<FallbackReport | undefined> {
  const int8: Candidate = { ...base, precision: 'int8', floatLayers: [] };
  const first = await o.evaluate(int8, true);
  if (!first) return undefined;
  const within = (e: Evaluation) => o.baseAccuracy - e.accuracy <= o.maxDrop;
  if (within(first)) return { steps: [first], ranking: [], reverted: [], withinDrop: true };
  // Reverting layers to float gives back at most the float model's accuracy: when that is already
  // over the limit (pruning lost too much), ranking and reverting cannot help, and are not spent.
  if (o.baseAccuracy - (o.floatAccuracy ?? o.baseAccuracy) > o.maxDrop)
    return { steps: [first], ranking: [], reverted: [], withinDrop: false };
  const sqnr = Object.entries(first.layerSqnrDb ?? {}).map(([layer, db]) => ({
    layer,
    db: typeof db === 'number' ? db : null,
  }));
  const preselected = sqnr
    .filter((s) => !s.layer.includes('*'))
    .sort((a, b) => (a.db ?? Infinity) - (b.db ?? Infinity))
    .slice(0, o.rankLayers);
  // Independent probes: the evaluator runs them in parallel when it has workers.
  const probed = await Promise.all(preselected.map((s) => o.evaluate({ ...int8, floatLayers: [s.layer] }, false)));
  const ranking: RankedLayer[] = [];
  for (const [i, s] of preselected.entries()) {
    const e = probed[i];
    if (!e) continue;
    ranking.push({
      layer: s.layer,
      outputSqnrDb: s.db,
      accuracyWithLayerFloat: e.accuracy,
      contribution: e.accuracy - first.accuracy,
    });
  }
  ranking.sort(
    (a, b) => b.contribution - a.contribution || (a.outputSqnrDb ?? Infinity) - (b.outputSqnrDb ?? Infinity),
  );
  const steps = [first];
  const reverted: string[] = [];
  for (const r of ranking) {
    reverted.push(r.layer);
    const e = await o.evaluate({ ...int8, floatLayers: [...reverted] }, true);
    if (!e) break;
    steps.push(e);
    if (within(e)) return { steps, ranking, reverted, withinDrop: true };
  }
  return { steps, ranking, reverted, withinDrop: false };
}
