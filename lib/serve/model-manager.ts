// The model versions a server holds: the active one, those retired but still computing a batch,
// and the history of served versions for rollbacks. A swap loads the new version into every
// executor slot, checks it against the serving contract and warms it up (model-runner.ts) while
// the old version keeps answering; only then does one assignment make it active. A version that
// fails any step is unloaded everywhere and the active one is untouched. A retired version is
// unloaded when its last batch is done.
import { ConfigError } from '../errors';
import { ServingContract } from './contract';
import { Executor } from './executor';
import { ModelLease } from './batcher';
import { RunnerOptions } from './model-runner';
import { VersionFormat, checkRegistryName, versionSource } from './registry';

/** Options of {@link ModelManager.open}. */
export interface ModelManagerOptions {
  readonly registryDir: string;
  readonly name: string;
  readonly runner: Omit<RunnerOptions, 'expected' | 'caller'>;
}

interface Entry {
  readonly key: string;
  readonly version: string;
  readonly format: VersionFormat;
  leases: number;
  retired: boolean;
}

/** A rollback with nothing served before the active version (another rollback took it first): 409. */
export class NothingToRollBackError extends ConfigError {}

/** The result of a swap or rollback. */
export interface SwapResult {
  readonly previous: string;
  readonly active: string;
}

/** Active version, leases, safe swaps and rollbacks over an executor. */
export class ModelManager implements ModelLease {
  private readonly entries = new Map<string, Entry>();
  private readonly served: string[] = [];
  private active!: Entry;
  private generation = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private unloads: Promise<void>[] = [];

  private constructor(
    private readonly executor: Executor,
    private readonly options: ModelManagerOptions,
    readonly contract: ServingContract,
  ) {}

  /** Loads `version` as the first active version; its contract is the server's. */
  static async open(executor: Executor, options: ModelManagerOptions, version: string): Promise<ModelManager> {
    const key = `${checkRegistryName('startServer', 'version', version)}#0`;
    const source = versionSource(options.registryDir, options.name, version);
    const contract = await executor.load(key, source, { ...options.runner, caller: 'startServer' });
    const m = new ModelManager(executor, options, contract);
    m.active = { key, version, format: source.format, leases: 0, retired: false };
    m.entries.set(key, m.active);
    m.served.push(version);
    return m;
  }

  /** The version answering new batches. */
  get version(): string {
    return this.active.version;
  }

  /** The runtime format of the version answering new batches. */
  get format(): VersionFormat {
    return this.active.format;
  }

  /** Versions served so far, oldest first (the rollback stack). */
  history(): string[] {
    return [...this.served];
  }

  acquire(): { key: string; version: string } {
    this.active.leases++;
    return { key: this.active.key, version: this.active.version };
  }

  release(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.leases--;
    this.maybeUnload(e);
  }

  /**
   * Loads, checks and warms up `version`, then makes it active. Throws (the active version
   * unchanged, the candidate unloaded): ConfigError for a bad name, DataError for a missing,
   * corrupt, oversized or non-finite model, ContractError for other shapes or dtypes.
   */
  swap(version: string): Promise<SwapResult> {
    return this.serialize(async () => {
      const r = await this.install(checkRegistryName('swap', 'version', version));
      this.served.push(version);
      return r;
    });
  }

  /** Swaps back to the version served before the current one (same checks as a swap). */
  rollback(): Promise<SwapResult> {
    return this.serialize(async () => {
      const prev = this.served[this.served.length - 2];
      if (prev === undefined)
        throw new NothingToRollBackError(
          `rollback: a version served before ${this.active.version}, got none. Swap to another version first.`,
        );
      const r = await this.install(prev);
      this.served.pop();
      return r;
    });
  }

  /** Waits for swaps in progress, then unloads every version. */
  async close(): Promise<void> {
    await this.chain;
    for (const e of this.entries.values()) e.retired = true;
    await Promise.all([...this.entries.keys()].map((k) => this.executor.unload(k)));
    this.entries.clear();
    await Promise.all(this.unloads);
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async install(version: string): Promise<SwapResult> {
    const source = versionSource(this.options.registryDir, this.options.name, version);
    const key = `${version}#${++this.generation}`;
    await this.executor.load(key, source, { ...this.options.runner, expected: this.contract, caller: 'swap' });
    const old = this.active;
    const next: Entry = { key, version, format: source.format, leases: 0, retired: false };
    this.entries.set(key, next);
    this.active = next; // the atomic step: batches dispatched from now on run on `next`
    old.retired = true;
    this.maybeUnload(old);
    return { previous: old.version, active: version };
  }

  private maybeUnload(e: Entry): void {
    if (!e.retired || e.leases > 0 || !this.entries.has(e.key)) return;
    this.entries.delete(e.key);
    this.unloads.push(this.executor.unload(e.key));
    if (this.unloads.length > 16) this.unloads = this.unloads.slice(-16);
  }
}
