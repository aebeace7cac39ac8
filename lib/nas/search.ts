// Search strategies with a budget in evaluations: random search (Li & Talwalkar 2019, a strong
// baseline) and regularized (aging) evolution (Real et al. 2019, arXiv:1802.01548): keep a
// population queue; each child mutates the best of `sampleSize` random members; the oldest member
// dies. Constraints (params, MACs, latency) are checked before training: infeasible proposals are
// re-drawn, so the budget is spent only on candidates that meet them. Candidates are proposed in
// rounds of a fixed size (not the evaluator's worker count), so a seed gives the same search on
// one core, two, or a cluster.
import { ConfigError, describe } from '../errors';
import { Rng } from '../core/rng';
import { Evaluator } from './evaluator';
import { CandidateResult, genotypeCost } from './proxy';
import { mutate, sample } from './sample';
import { Genotype, genotypeKey, NasTask, SearchSpace, validateSpace } from './space';

/** Limits a candidate must meet to be trained. */
export interface Constraints {
  readonly maxParams?: number;
  readonly maxMacs?: number;
  /** Requires `latencyMs` in the search options. */
  readonly maxLatencyMs?: number;
}

/** Options shared by both strategies. */
export interface SearchOptions {
  /** Number of candidates evaluated (proposals that fail the constraints do not count). */
  readonly budget: number;
  readonly seed: number;
  readonly evaluator: Evaluator;
  /** The input shape and classes the candidates are built for (for their cost). */
  readonly task: NasTask;
  /**
   * Candidates proposed (and evaluated in parallel) per round; default 4. Part of the search's
   * definition (evolution only sees results of finished rounds), independent of the workers.
   */
  readonly roundSize?: number;
  readonly constraints?: Constraints;
  /** Latency (ms) of a genotype, measured or predicted (e.g. from a LatencyTable); recorded for each candidate. */
  readonly latencyMs?: (g: Genotype) => Promise<number>;
  /** Proposals tried per candidate before the constraints are declared unsatisfiable. Default 200. */
  readonly maxTries?: number;
  /** Called after each round of evaluations. */
  readonly progress?: (done: number, budget: number, best: SearchStep) => void;
}

/** Options of {@link agingEvolution}. */
export interface EvolutionOptions extends SearchOptions {
  /** Population size P (default 10); the first P candidates are random. */
  readonly population?: number;
  /** Tournament size S (default 3). */
  readonly sampleSize?: number;
}

/** One evaluated candidate, in search order. */
export interface SearchStep extends CandidateResult {
  readonly step: number;
  readonly latencyMs?: number;
}

/** What a search returns (plain data). */
export interface SearchResult {
  readonly strategy: 'random' | 'evolution';
  readonly history: SearchStep[];
  /** The most accurate candidate (first found on ties). */
  readonly best: SearchStep;
  /** Best accuracy after each evaluation. */
  readonly bestSoFar: number[];
}

function checkOptions(fn: string, space: SearchSpace, options: SearchOptions): void {
  validateSpace(space, fn, options.task);
  const round = options.roundSize ?? 4;
  if (!(Number.isInteger(round) && round > 0))
    throw new ConfigError(`${fn}: roundSize a positive integer, got ${describe(round)}. Use e.g. 4.`);
  if (!(Number.isInteger(options.budget) && options.budget > 0)) {
    throw new ConfigError(
      `${fn}: budget a positive integer (evaluations), got ${describe(options.budget)}. Use e.g. 20.`,
    );
  }
  if (!Number.isFinite(options.seed))
    throw new ConfigError(`${fn}: seed a number, got ${describe(options.seed)}. Pass e.g. seed: 1.`);
  const c = options.constraints ?? {};
  for (const [name, v] of Object.entries(c)) {
    if (v !== undefined && !(typeof v === 'number' && v > 0))
      throw new ConfigError(`${fn}: constraints.${name} a number > 0, got ${describe(v)}. Omit it for no limit.`);
  }
  if (c.maxLatencyMs !== undefined && !options.latencyMs) {
    throw new ConfigError(
      `${fn}: a latencyMs function with constraints.maxLatencyMs, got none. Pass e.g. latencyMs: nas.latencyPredictor(table).`,
    );
  }
}

type Feasibility = { ok: true; latencyMs?: number } | { ok: false };

async function feasible(g: Genotype, options: SearchOptions): Promise<Feasibility> {
  const c = options.constraints ?? {};
  if (c.maxParams !== undefined || c.maxMacs !== undefined) {
    const cost = await genotypeCost(g, options.task);
    if ((c.maxParams !== undefined && cost.params > c.maxParams) || (c.maxMacs !== undefined && cost.macs > c.maxMacs))
      return { ok: false };
  }
  const latencyMs = options.latencyMs ? await options.latencyMs(g) : undefined;
  if (c.maxLatencyMs !== undefined && (latencyMs as number) > c.maxLatencyMs) return { ok: false };
  return latencyMs === undefined ? { ok: true } : { ok: true, latencyMs };
}

/** Draws proposals until one meets the constraints (memoized per genotype). */
async function propose(
  fn: string,
  draw: () => Genotype,
  options: SearchOptions,
  memo: Map<string, Feasibility>,
): Promise<{ g: Genotype; latencyMs?: number }> {
  const tries = options.maxTries ?? 200;
  for (let i = 0; i < tries; i++) {
    const g = draw();
    const key = genotypeKey(g);
    let f = memo.get(key);
    if (!f) {
      f = await feasible(g, options);
      memo.set(key, f);
    }
    if (f.ok) return f.latencyMs === undefined ? { g } : { g, latencyMs: f.latencyMs };
  }
  throw new ConfigError(
    `${fn}: a space with candidates that meet the constraints, got none in ${tries} proposals (constraints ${JSON.stringify(options.constraints ?? {})}). ` +
      `Relax the constraints or allow smaller architectures.`,
  );
}

/** The loop both strategies share: propose `roundSize` candidates per round, evaluate, record. */
async function run(
  strategy: 'random' | 'evolution',
  fn: string,
  options: SearchOptions,
  proposer: (rng: Rng, index: number) => Genotype,
  onResult: (s: SearchStep) => void,
): Promise<SearchResult> {
  const rng = new Rng(options.seed);
  const memo = new Map<string, Feasibility>();
  const history: SearchStep[] = [];
  const bestSoFar: number[] = [];
  let best: SearchStep | undefined;
  while (history.length < options.budget) {
    const k = Math.min(options.roundSize ?? 4, options.budget - history.length);
    const proposals: { g: Genotype; latencyMs?: number }[] = [];
    for (let i = 0; i < k; i++)
      proposals.push(await propose(fn, () => proposer(rng, history.length + i), options, memo));
    const results = await options.evaluator.evaluate(proposals.map((p) => p.g));
    results.forEach((r, i) => {
      const lat = proposals[i]?.latencyMs;
      const s: SearchStep = { ...r, step: history.length + 1, ...(lat === undefined ? {} : { latencyMs: lat }) };
      history.push(s);
      if (!best || s.accuracy > best.accuracy) best = s;
      bestSoFar.push(best.accuracy);
      onResult(s);
    });
    options.progress?.(history.length, options.budget, best as SearchStep);
  }
  return { strategy, history, best: best as SearchStep, bestSoFar };
}

/**
 * Random search: `budget` independent feasible samples.
 * @example await nas.randomSearch(space, {budget: 20, seed: 1, evaluator, task: nas.taskOf(train)})
 */
export async function randomSearch(space: SearchSpace, options: SearchOptions): Promise<SearchResult> {
  checkOptions('nas.randomSearch', space, options);
  return run(
    'random',
    'nas.randomSearch',
    options,
    (rng) => sample(space, rng),
    () => undefined,
  );
}

/**
 * Regularized (aging) evolution with tournament selection.
 * @example await nas.agingEvolution(space, {budget: 20, seed: 1, evaluator, task, population: 8, sampleSize: 3})
 */
export async function agingEvolution(space: SearchSpace, options: EvolutionOptions): Promise<SearchResult> {
  const fn = 'nas.agingEvolution';
  checkOptions(fn, space, options);
  const P = options.population ?? 10;
  const S = options.sampleSize ?? 3;
  if (!(Number.isInteger(P) && P >= 2 && Number.isInteger(S) && S >= 1 && S <= P)) {
    throw new ConfigError(
      `${fn}: integers population >= 2 and 1 <= sampleSize <= population, got population ${describe(P)}, sampleSize ${describe(S)}. Use e.g. 10 and 3.`,
    );
  }
  const population: SearchStep[] = [];
  // Candidate i < P is random; later ones mutate the winner of a tournament among S random members.
  const proposer = (rng: Rng, index: number): Genotype => {
    if (index < P || population.length === 0) return sample(space, rng);
    const contenders = Array.from({ length: S }, () => population[rng.int(population.length)] as SearchStep);
    const parent = contenders.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    return mutate(parent.genotype, space, rng);
  };
  return run('evolution', fn, options, proposer, (s) => {
    population.push(s);
    if (population.length > P) population.shift(); // aging: the oldest dies, not the worst
  });
}
