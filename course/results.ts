// Results files: each notebook writes the figures it measured to `<results folder>/<name>.json`
// (named metrics plus the machine), which later notebooks and the README table read. Units follow
// the glossary: accuracy as a fraction, sizes in bytes, speed-ups and size ratios as plain ratios.
//
// Which folder: `make verify` and `make bench` refresh the committed `results/` on purpose (they
// set TFJS_COMPRESS_RESULTS to it); any other run (a notebook opened with `make notebook`, a
// script) writes under `build/results/`, outside git, so exploring the course leaves git clean.
// Reading falls back to the committed file when this run has not written one yet.
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../lib/errors';
import { writeJsonAtomic } from '../lib/core/atomic';
import { machineInfo, MachineInfo } from '../lib/core/machine';

/** A results file's contents. */
export interface ResultsFile {
  readonly name: string;
  readonly machine: MachineInfo;
  readonly metrics: Record<string, unknown>;
}

/** The environment variable naming the results folder (`make verify` sets it to the committed `results/`). */
export const RESULTS_ENV = 'TFJS_COMPRESS_RESULTS';

/** The repository root above cwd (a folder with package.json and notebooks/), or undefined. */
function courseRoot(): string | undefined {
  let dir = process.cwd();
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'notebooks'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The folder results are written to: $TFJS_COMPRESS_RESULTS when set, else `build/results/` of the
 * repository root (found from cwd), else `results/` under cwd outside a repository.
 */
export function resultsDir(): string {
  if (process.env[RESULTS_ENV]) return path.resolve(process.env[RESULTS_ENV] as string);
  const root = courseRoot();
  return root ? path.join(root, 'build', 'results') : path.join(process.cwd(), 'results');
}

/** The committed results folder (`results/` of the repository), or undefined outside one. */
export function committedResultsDir(): string | undefined {
  const root = courseRoot();
  return root ? path.join(root, 'results') : undefined;
}

/**
 * Writes `results/<name>.json` atomically, merging with metrics already there (so a notebook can
 * save as it goes). Returns the file path.
 * @example saveResults('01-analyze', {simplenet: {testAccuracy: 0.982}})
 */
export function saveResults(name: string, metrics: Record<string, unknown>): string {
  const file = path.join(resultsDir(), `${name}.json`);
  let previous: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    try {
      previous = (JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsFile).metrics ?? {};
    } catch {
      previous = {};
    }
  }
  const out: ResultsFile = { name, machine: machineInfo(), metrics: { ...previous, ...metrics } };
  writeJsonAtomic(file, out);
  return file;
}

/**
 * Reads `<name>.json` from {@link resultsDir}; when this run has not written it (and
 * $TFJS_COMPRESS_RESULTS is not set), from the committed `results/`. A DataError says which
 * notebook to run when neither has it.
 */
export function readResults(name: string): ResultsFile {
  const file = path.join(resultsDir(), `${name}.json`);
  const committed = committedResultsDir();
  const fallback = !process.env[RESULTS_ENV] && committed ? path.join(committed, `${name}.json`) : undefined;
  const source = !fs.existsSync(file) && fallback && fs.existsSync(fallback) ? fallback : file;
  try {
    return JSON.parse(fs.readFileSync(source, 'utf8')) as ResultsFile;
  } catch (e) {
    throw new DataError(
      `readResults: ${file}${fallback ? ` or ${fallback}` : ''} written by notebook ${name}, got ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}. ` +
        `Run that notebook first (make verify runs them in order).`,
      file,
    );
  }
}
