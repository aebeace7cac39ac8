// Read-modify-write of results/bench-real-size.json for the real-size benches: each bench merges
// its own keys into the sections it owns (int8.mobilenetv2 gains the agreement figures from one
// bench and the speed figures from another), leaving every other section as it was (the channel
// pruning bench's `channels` included). Each section also records the machine it was measured on.
import * as fs from 'fs';
import * as path from 'path';
import { ResultsFile, resultsDir, saveResults } from '../../course/results';
import { machineInfo } from '../../lib/core/machine';

export const REAL_SIZE_RESULTS = 'bench-real-size';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `b` merged into `a`, objects key by key (arrays and numbers replaced). */
export function deepMerge(a: unknown, b: unknown): unknown {
  if (!isObject(a) || !isObject(b)) return b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}

/** The metrics written so far (this run's folder), or {}. */
export function readRealSize(): Record<string, unknown> {
  const file = path.join(resultsDir(), `${REAL_SIZE_RESULTS}.json`);
  if (!fs.existsSync(file)) return {};
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsFile).metrics ?? {};
}

/** Merges `metrics` (top-level sections) into the file, each touched section stamped with `machine`. */
export function saveRealSize(metrics: Record<string, Record<string, unknown>>): string {
  const previous = readRealSize();
  const machine = machineInfo();
  const merged = Object.fromEntries(
    Object.entries(metrics).map(([section, value]) => [section, deepMerge(previous[section], { ...value, machine })]),
  );
  return saveResults(REAL_SIZE_RESULTS, merged);
}
