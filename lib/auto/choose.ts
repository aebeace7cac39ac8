// The choice a search makes from its timed candidates, for layers and ONNX models alike: the
// Pareto front of accuracy, time and size; the feasible candidates (search accuracy within
// maxDrop) best first by the objective; then the held-out check, best first, until one passes.
// A speed-up counts only beyond the noise of paired timings (the original timed against itself,
// at least 2%): within it a candidate is as fast as the original, and accuracy decides.
import { paretoFront } from '../nas/pareto';
import { Candidate, ORIGINAL } from './candidate';
import { Evaluation, timingNoise } from './evaluate';
import { ResolvedAutoOptions } from './options';

/** An accuracy on held-out examples. */
export interface HeldOutScore {
  readonly accuracy: number;
  readonly count: number;
}

/** What {@link choosePoint} decided. */
export interface Choice {
  /** Each distinct candidate once. */
  readonly unique: Evaluation[];
  readonly noise: number;
  readonly front: Evaluation[];
  readonly feasible: Evaluation[];
  /** The original's held-out accuracy. */
  readonly baseHeld: HeldOutScore;
  /** Candidates within the limit on the search split that failed the held-out check. */
  readonly rejected: { label: string; heldOutDrop: number }[];
  /** The chosen point (the original when nothing passes) and its held-out accuracy. */
  readonly pick: { e: Evaluation; accuracy: number; count: number };
}

/**
 * Picks the best timed candidate whose held-out drop is within `o.maxDrop`. `heldOut` scores a
 * candidate on the held-out split (journaled by the caller); `original` is the original's evaluation.
 */
export async function choosePoint(
  timed: readonly Evaluation[],
  original: Evaluation,
  baseAccuracy: number,
  selfSpeedup: number,
  o: Pick<ResolvedAutoOptions, 'goal' | 'maxDrop'>,
  heldOut: (c: Candidate) => Promise<HeldOutScore>,
): Promise<Choice> {
  const unique = [...new Map(timed.map((e) => [e.key, e])).values()];
  const noise = timingNoise(selfSpeedup);
  const objective = (e: Evaluation) =>
    o.goal === 'size' ? e.sizeBytes : (e.speedup as number) > 1 + noise ? 1 / (e.speedup as number) : 1;
  const front = paretoFront(unique, [
    { name: 'accuracy', value: (e) => e.accuracy, maximize: true },
    { name: 'time', value: (e) => 1 / (e.speedup as number), maximize: false },
    { name: 'sizeBytes', value: (e) => e.sizeBytes, maximize: false },
  ]);
  const feasible = unique
    .filter((e) => baseAccuracy - e.accuracy <= o.maxDrop)
    .sort((a, b) => objective(a) - objective(b) || b.accuracy - a.accuracy);
  // The held-out check, best first; the original always passes (drop 0).
  const baseHeld = await heldOut(ORIGINAL);
  const rejected: { label: string; heldOutDrop: number }[] = [];
  let pick: Choice['pick'] | undefined;
  for (const e of feasible) {
    const h = e.key === original.key ? baseHeld : await heldOut(e.candidate);
    const drop = baseHeld.accuracy - h.accuracy;
    if (drop <= o.maxDrop) {
      pick = { e, accuracy: h.accuracy, count: h.count };
      break;
    }
    rejected.push({ label: e.label, heldOutDrop: drop });
  }
  pick ??= { e: original, accuracy: baseHeld.accuracy, count: baseHeld.count };
  return { unique, noise, front, feasible, baseHeld, rejected, pick };
}
