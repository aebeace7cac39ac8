// The evaluator interface: a search hands it genotypes and gets scored candidates back. The
// in-process evaluator runs them one by one; the worker pool (worker-pool.ts) runs one per core.
// Another executor (a cluster, a remote farm) only has to implement this interface.
import { ConfigError } from '../errors';
import { Genotype } from './space';
import { CandidateResult, checkRecipe, DEFAULT_PROXY, proxyEvaluate, ProxyRecipe } from './proxy';

/** Scores genotypes. `evaluate` keeps the order of its input. */
export interface Evaluator {
  /** How many candidates it scores at once (a search proposes this many per round). */
  readonly concurrency: number;
  evaluate(genotypes: readonly Genotype[]): Promise<CandidateResult[]>;
  /** Releases resources (workers); evaluate afterwards throws ConfigError. */
  close(): Promise<void>;
}

/** Scores candidates in this thread with the proxy recipe. */
export class LocalEvaluator implements Evaluator {
  readonly concurrency = 1;
  private closed = false;

  constructor(readonly recipe: ProxyRecipe = DEFAULT_PROXY) {
    checkRecipe(recipe);
  }

  async evaluate(genotypes: readonly Genotype[]): Promise<CandidateResult[]> {
    if (this.closed) throw new ConfigError('nas.LocalEvaluator: an open evaluator, got one already closed. Create a new evaluator.');
    const out: CandidateResult[] = [];
    for (const g of genotypes) out.push(await proxyEvaluate(g, this.recipe));
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
