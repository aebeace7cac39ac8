// Results files: each notebook writes the figures it measured to `results/<name>.json` (named
// metrics plus the machine), which later notebooks and the README table read. Units follow the
// glossary: accuracy as a fraction, sizes in bytes, speed-ups and size ratios as plain ratios.
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../errors';
import { writeJsonAtomic } from '../core/atomic';
import { machineInfo, MachineInfo } from '../core/machine';

/** A results file's contents. */
export interface ResultsFile {
  readonly name: string;
  readonly machine: MachineInfo;
  readonly metrics: Record<string, unknown>;
}

/** The results folder: $TFJS_COMPRESS_RESULTS, else `results/` of the repository root (found from cwd). */
export function resultsDir(): string {
  if (process.env.TFJS_COMPRESS_RESULTS) return path.resolve(process.env.TFJS_COMPRESS_RESULTS);
  let dir = process.cwd();
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'notebooks'))) return path.join(dir, 'results');
    const parent = path.dirname(dir);
    if (parent === dir) return path.join(process.cwd(), 'results');
    dir = parent;
  }
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

/** Reads `results/<name>.json`; a DataError says which notebook to run when it is missing. */
export function readResults(name: string): ResultsFile {
  const file = path.join(resultsDir(), `${name}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsFile;
  } catch (e) {
    throw new DataError(`readResults: ${file} written by notebook ${name}, got ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}. ` +
      `Run that notebook first (make verify runs them in order).`, file);
  }
}
