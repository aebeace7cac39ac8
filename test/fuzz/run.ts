// The fuzzer's driver: runs a target's cases on a worker thread and watches it. A case that has
// not finished within its time limit is a hang: the thread is terminated, the case drawn again
// (in a fresh thread, without running it) to save its input, and the run goes on from the next
// case. A thread that dies (an uncaught error, a crash of native code, out of memory) is a crash,
// counted the same way. Everything else is counted from the thread's reports.
import * as path from 'path';
import { Worker } from 'worker_threads';
import { targetNamed } from './targets';
import type { CaseKind, WorkerJob, WorkerMessage } from './worker';

/** Options of {@link fuzzTarget}. */
export interface FuzzOptions {
  readonly runs: number;
  readonly seed: number;
  /** A case running longer is a hang. */
  readonly caseTimeoutMs: number;
  /** Where inputs of findings are saved (none when undefined). */
  readonly saveDir?: string;
}

/** One thing found. */
export interface Finding {
  readonly target: string;
  readonly parser: string;
  readonly case: number;
  readonly kind: 'untyped' | 'invalid' | 'leak' | 'hang' | 'crash';
  readonly error?: string;
  readonly input?: string;
}

/** What a target's run found. */
export interface TargetResult {
  readonly target: string;
  readonly parser: string;
  readonly seed: number;
  readonly cases: number;
  readonly accepted: number;
  readonly typedErrors: number;
  readonly untypedErrors: number;
  readonly invalidResults: number;
  readonly leaks: number;
  readonly hangs: number;
  readonly crashes: number;
  readonly seconds: number;
  /** The first findings (all are counted above). */
  readonly findings: Finding[];
}

const WORKER = path.join(__dirname, 'worker-entry.cjs');
const SETUP_MS = 180_000;
const MAX_FINDINGS = 40;

type Ended = { readonly next: number } | { readonly fatal: string };

function spawn(job: WorkerJob): Worker {
  return new Worker(WORKER, {
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: 3072 },
    stdout: true,
    stderr: true,
  });
}

/** Draws case `i` again in a fresh thread, only to save its input (for a hang or a crash). */
function saveCase(target: string, seed: number, i: number, saveDir: string | undefined): Promise<void> {
  if (!saveDir) return Promise.resolve();
  return new Promise((resolve) => {
    const w = spawn({ target, seed, from: i, to: i + 1, mode: 'save', saveDir });
    const timer = setTimeout(() => void w.terminate(), SETUP_MS);
    w.on('message', (m: WorkerMessage) => {
      if (m.t === 'end' || m.t === 'fatal') void w.terminate();
    });
    w.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    w.on('error', () => undefined);
  });
}

/**
 * Runs `runs` cases of target `name` (cases 0..runs-1 of `seed`) and counts the outcomes.
 * @example const r = await fuzzTarget('recipe', {runs: 200, seed: 1, caseTimeoutMs: 5000}); r.untypedErrors // 0
 */
export async function fuzzTarget(name: string, o: FuzzOptions): Promise<TargetResult> {
  const target = targetNamed(name);
  const t0 = performance.now();
  const counts: Record<CaseKind, number> = { accepted: 0, typed: 0, untyped: 0, invalid: 0 };
  let leaks = 0;
  let hangs = 0;
  let crashes = 0;
  const findings: Finding[] = [];
  const find = (f: Omit<Finding, 'target' | 'parser'>): void => {
    if (findings.length < MAX_FINDINGS) findings.push({ target: name, parser: target.parser, ...f });
  };
  let from = 0;
  while (from < o.runs) {
    const job: WorkerJob = {
      target: name,
      seed: o.seed,
      from,
      to: o.runs,
      mode: 'run',
      ...(o.saveDir ? { saveDir: o.saveDir } : {}),
    };
    const ended = await new Promise<Ended>((resolve) => {
      const w = spawn(job);
      let current = -1;
      let settled = false;
      let timer = setTimeout(() => finish({ fatal: `setup of ${name} took over ${SETUP_MS} ms` }), SETUP_MS);
      const finish = (e: Ended): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void w.terminate();
        resolve(e);
      };
      const failCase = (kind: 'hang' | 'crash', error: string): void => {
        if (kind === 'hang') hangs++;
        else crashes++;
        const i = current;
        void saveCase(name, o.seed, i, o.saveDir).then(() => undefined);
        find({
          case: i,
          kind,
          error,
          ...(o.saveDir ? { input: path.join(o.saveDir, `${name}-seed${o.seed}-case${i}.*`) } : {}),
        });
        finish({ next: i + 1 });
      };
      w.on('message', (m: WorkerMessage) => {
        if (m.t === 'ready') clearTimeout(timer);
        else if (m.t === 'start') {
          current = m.i;
          timer = setTimeout(() => failCase('hang', `no result after ${o.caseTimeoutMs} ms`), o.caseTimeoutMs);
        } else if (m.t === 'done') {
          clearTimeout(timer);
          counts[m.kind]++;
          if (m.leak !== 0) leaks++;
          if (m.kind === 'untyped' || m.kind === 'invalid')
            find({
              case: m.i,
              kind: m.kind,
              error: `${m.error?.name}: ${m.error?.message}\n${m.error?.stack ?? ''}`.trim(),
              ...(m.saved ? { input: m.saved } : {}),
            });
          else if (m.leak !== 0)
            find({ case: m.i, kind: 'leak', error: `${m.leak} tensors`, ...(m.saved ? { input: m.saved } : {}) });
          current = -1;
        } else if (m.t === 'end') finish({ next: o.runs });
        else if (m.t === 'fatal') finish({ fatal: m.message });
      });
      w.on('error', (e) =>
        current >= 0 ? failCase('crash', `${e.name}: ${e.message}`) : finish({ fatal: e.stack ?? e.message }),
      );
      w.on('exit', (code) => {
        if (!settled)
          current >= 0
            ? failCase('crash', `thread exited with code ${code}`)
            : finish({ fatal: `thread exited with code ${code} during setup` });
      });
    });
    if ('fatal' in ended) throw new Error(`fuzz target ${name}: ${ended.fatal}`);
    from = ended.next;
  }
  return {
    target: name,
    parser: target.parser,
    seed: o.seed,
    cases: counts.accepted + counts.typed + counts.untyped + counts.invalid + hangs + crashes,
    accepted: counts.accepted,
    typedErrors: counts.typed,
    untypedErrors: counts.untyped,
    invalidResults: counts.invalid,
    leaks,
    hangs,
    crashes,
    seconds: (performance.now() - t0) / 1000,
    findings,
  };
}
