// `make fuzz`: property-based fuzzing of every parser at scale. FUZZ_RUNS cases per parser
// (default 1000), FUZZ_SEED (default: from the clock, printed and recorded), FUZZ_CASE_MS per-case
// time limit (default 5000). Inputs of findings are saved under build/fuzz-findings/. Writes the
// `fuzz` key of results/bench-security.json (read, modified, written atomically: the server's key is kept),
// with every finding counted, known open ones included.
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { writeJsonAtomic } from '../../lib/core/atomic';
import { machineInfo } from '../../lib/core/machine';
import { resultsDir } from '../../course/results';
import { fuzzTarget, TargetResult } from './run';
import { isKnown, KNOWN_OPEN } from './known';
import { TARGETS } from './targets';

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  return n;
}

async function main(): Promise<void> {
  const runs = envInt('FUZZ_RUNS', 1000);
  const seed = envInt('FUZZ_SEED', Date.now() % 2 ** 31);
  const caseTimeoutMs = envInt('FUZZ_CASE_MS', 5000);
  const root = path.resolve(__dirname, '..', '..');
  const saveDir = path.join(root, 'build', 'fuzz-findings');
  const loadBefore = os.loadavg();
  console.log(`fuzzing ${TARGETS.length} parsers, ${runs} cases each, seed ${seed}, ${caseTimeoutMs} ms per case`);
  const results: TargetResult[] = [];
  for (const t of TARGETS) {
    const r = await fuzzTarget(t.name, { runs, seed, caseTimeoutMs, saveDir });
    results.push(r);
    console.log(
      `${t.name.padEnd(16)} ${r.cases} cases in ${r.seconds.toFixed(1)} s: ${r.accepted} accepted, ${r.typedErrors} typed errors, ` +
        `${r.untypedErrors} untyped, ${r.hangs} hangs, ${r.crashes} crashes, ${r.leaks} leaks, ${r.invalidResults} invalid results`,
    );
    for (const f of r.findings.slice(0, 3))
      console.log(`  ${f.kind} case ${f.case}${isKnown(f) ? ' (known open)' : ''}: ${(f.error ?? '').split('\n')[0]}`);
  }
  const sum = (k: keyof TargetResult): number => results.reduce((a, r) => a + (r[k] as number), 0);
  const fuzz = {
    parsers: results.length,
    cases: sum('cases'),
    crashes: sum('crashes'),
    untypedErrors: sum('untypedErrors'),
    hangs: sum('hangs'),
    leaks: sum('leaks'),
    invalidResults: sum('invalidResults'),
    seed,
    runsPerParser: runs,
    caseTimeoutMs,
    property:
      'returns a valid result or throws its typed error (CompressionError; RequestError 4xx for HTTP bodies), never another error, ' +
      'never runs past the per-case time limit, never leaks a tensor; accepted preprocessing must give finite inputs',
    perParser: Object.fromEntries(
      results.map(({ findings, target, ...rest }) => [target, { ...rest, findings: findings.length }]),
    ),
    findings: results.flatMap((r) =>
      r.findings.slice(0, 5).map((f) => ({
        ...f,
        error: (f.error ?? '').split('\n')[0],
        ...(f.input ? { input: path.relative(root, f.input) } : {}),
        knownOpen: isKnown(f),
      })),
    ),
    knownOpen: KNOWN_OPEN,
    command: `make fuzz FUZZ_RUNS=${runs} FUZZ_SEED=${seed}`,
    loadAverage: { before: loadBefore, after: os.loadavg() },
    machine: machineInfo(),
  };
  // One file, one top-level section per bench (the server bench writes `server`): replace `fuzz`, keep the rest.
  const file = path.join(resultsDir(), 'bench-security.json');
  const previous = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeJsonAtomic(file, { ...previous, fuzz });
  console.log(
    `${fuzz.parsers} parsers, ${fuzz.cases} cases: ${fuzz.untypedErrors} untyped errors, ${fuzz.hangs} hangs, ${fuzz.crashes} crashes, ` +
      `${fuzz.leaks} leaks, ${fuzz.invalidResults} invalid results (seed ${seed}); wrote ${file}`,
  );
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
