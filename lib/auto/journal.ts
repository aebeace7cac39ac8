// The search's journal: every finished evaluation, keyed by what was evaluated, written atomically
// (core/atomic.ts: a temporary file, fsync, rename) after each one, so a search killed at any point
// resumes with every finished evaluation intact and redoes only the one it was in. The journal
// names the search it belongs to (a hash of the model, the data and the options): a journal of
// another search is refused rather than reused.
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../errors';
import { writeJsonAtomic } from '../core/atomic';
import { readRegularFile } from '../core/read-file';

/** The journal's file name inside its folder. */
export const JOURNAL_FILE = 'auto-journal.json';

const MAX_JOURNAL_BYTES = 64 * 1024 * 1024;

interface JournalFile {
  readonly tool: 'tfjs-compress auto';
  readonly version: 1;
  readonly search: string;
  readonly entries: Record<string, unknown>;
}

/** Finished evaluations of one search, kept on disk when a folder is given (in memory otherwise). */
export class Journal {
  private readonly entries = new Map<string, unknown>();
  /** Evaluations found in the journal when the search started. */
  readonly resumedEntries: number;
  /** Evaluations taken from the journal instead of being redone. */
  reused = 0;
  /** Evaluations done (and journaled) by this process. */
  computed = 0;

  constructor(
    private readonly dir: string | undefined,
    private readonly search: string,
  ) {
    const file = dir ? path.join(dir, JOURNAL_FILE) : undefined;
    if (file && fs.existsSync(file)) {
      const text = new TextDecoder().decode(
        readRegularFile(file, {
          fn: 'auto.search',
          what: 'a search journal',
          maxBytes: MAX_JOURNAL_BYTES,
          tooLargeAdvice: 'Remove the folder to start the search afresh.',
          root: dir,
        }),
      );
      let parsed: Partial<JournalFile>;
      try {
        parsed = JSON.parse(text) as Partial<JournalFile>;
      } catch {
        throw new ConfigError(
          `auto.search: a journal that is valid JSON in ${file}, got text that is not. Remove the file to start afresh.`,
        );
      }
      if (
        parsed?.tool !== 'tfjs-compress auto' ||
        parsed.version !== 1 ||
        typeof parsed.entries !== 'object' ||
        !parsed.entries
      )
        throw new ConfigError(
          `auto.search: a journal written by this tool in ${file}, got another file. Remove it or choose another folder.`,
        );
      if (parsed.search !== search)
        throw new ConfigError(
          `auto.search: a journal of this search (the same model, data and options) in ${dir}, got one of another search. ` +
            `Use another output folder, or remove it to start afresh.`,
        );
      for (const [k, v] of Object.entries(parsed.entries)) if (Object.hasOwn(parsed.entries, k)) this.entries.set(k, v);
    }
    this.resumedEntries = this.entries.size;
  }

  /** True when `key` is journaled. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The journaled value of `key`, or `compute()` journaled under it. */
  async remember<T>(key: string, compute: () => Promise<T>): Promise<{ value: T; reused: boolean }> {
    if (this.entries.has(key)) {
      this.reused++;
      return { value: this.entries.get(key) as T, reused: true };
    }
    const value = await compute();
    this.entries.set(key, value);
    this.computed++;
    this.save();
    return { value, reused: false };
  }

  private save(): void {
    if (!this.dir) return;
    const file: JournalFile = {
      tool: 'tfjs-compress auto',
      version: 1,
      search: this.search,
      entries: Object.fromEntries(this.entries),
    };
    writeJsonAtomic(path.join(this.dir, JOURNAL_FILE), file);
  }
}
