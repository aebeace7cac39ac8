// The evaluator interface: a search hands it genotypes and gets scored candidates back. The
// in-process evaluator trains them one by one on any DataSource; an executor-backed evaluator
// (lib/jobs: threads on this machine's cores, or a BullMQ queue across machines) trains them in
// parallel. Anything else that scores genotypes only has to implement this interface.
import { ConfigError } from '../errors';
import { Genotype } from './space';
import {
  CandidateResult,
  checkProxyData,
  checkRecipe,
  DEFAULT_PROXY,
  proxyEvaluate,
  ProxyData,
  ProxyOptions,
  ProxyRecipe,
} from './proxy';

/** Scores genotypes. `evaluate` keeps the order of its input. */
export interface Evaluator {
  /** How many candidates it trains at once. */
  readonly concurrency: number;
  evaluate(genotypes: readonly Genotype[]): Promise<CandidateResult[]>;
  /** Releases resources (workers); evaluate afterwards throws ConfigError. */
  close(): Promise<void>;
}

/** Scores candidates in this thread with the proxy recipe, on any DataSource (also tf.data). */
export class LocalEvaluator implements Evaluator {
  readonly concurrency = 1;
  private closed = false;

  constructor(
    readonly data: ProxyData,
    readonly recipe: ProxyRecipe = DEFAULT_PROXY,
    readonly options: ProxyOptions = {},
  ) {
    checkProxyData(data, 'nas.LocalEvaluator');
    checkRecipe(recipe, 'nas.LocalEvaluator');
  }

  async evaluate(genotypes: readonly Genotype[]): Promise<CandidateResult[]> {
    if (this.closed)
      throw new ConfigError('nas.LocalEvaluator: an open evaluator, got one already closed. Create a new evaluator.');
    const out: CandidateResult[] = [];
    for (const g of genotypes) out.push(await proxyEvaluate(g, this.data, this.recipe, this.options));
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
