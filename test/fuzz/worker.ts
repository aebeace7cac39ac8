// The fuzzer's worker thread: sets up one target, then generates and runs cases `from`..`to`
// (case i is drawn with its own seed, caseSeed(seed, i), so any case can be drawn again alone), reporting the
// start and the outcome of each to the main thread, which kills this thread when a case runs past
// its time limit. Inputs of findings are saved for reproduction.
import * as fs from 'fs';
import * as path from 'path';
import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { targetNamed } from './targets';
import { FuzzCase, isCompressionError } from './target';

/** What the main thread asks. */
export interface WorkerJob {
  readonly target: string;
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  /** 'run' the cases, or only 'save' their inputs (a case that hung, drawn again). */
  readonly mode: 'run' | 'save';
  readonly saveDir?: string;
}

/** How one case ended. */
export type CaseKind = 'accepted' | 'typed' | 'untyped' | 'invalid';

/** Messages to the main thread. */
export type WorkerMessage =
  | { readonly t: 'ready' }
  | { readonly t: 'start'; readonly i: number }
  | {
      readonly t: 'done';
      readonly i: number;
      readonly kind: CaseKind;
      readonly leak: number;
      readonly error?: { readonly name: string; readonly message: string; readonly stack?: string };
      readonly saved?: string;
    }
  | { readonly t: 'end' }
  | { readonly t: 'fatal'; readonly message: string };

const job = workerData as WorkerJob;

/** The seed of case `i` of a run: seed and index mixed (murmur3's finalizer), so runs with nearby seeds differ. */
function caseSeed(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b9)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
const post = (m: WorkerMessage): void => parentPort?.postMessage(m);

function save(c: FuzzCase, input: unknown, i: number): string | undefined {
  if (!job.saveDir || !c.save) return undefined;
  fs.mkdirSync(job.saveDir, { recursive: true });
  const data = c.save(input);
  const file = path.join(
    job.saveDir,
    `${job.target}-seed${job.seed}-case${i}.${typeof data === 'string' ? 'json' : 'bin'}`,
  );
  fs.writeFileSync(file, data);
  return file;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const target = targetNamed(job.target);
  const c = await target.setup();
  const typed = target.typed ?? isCompressionError;
  post({ t: 'ready' });
  for (let i = job.from; i < job.to; i++) {
    const input = fc.sample(c.arbitrary, { seed: caseSeed(job.seed, i), numRuns: 1 })[0];
    if (job.mode === 'save') {
      save(c, input, i);
      continue;
    }
    post({ t: 'start', i });
    const before = tf.memory().numTensors;
    let kind: CaseKind;
    let error: { name: string; message: string; stack?: string } | undefined;
    try {
      const result = await c.run(input);
      const problem = c.check?.(result, input);
      kind = problem ? 'invalid' : 'accepted';
      if (problem) error = { name: 'InvalidResult', message: problem };
    } catch (e) {
      kind = typed(e) ? 'typed' : 'untyped';
      if (kind === 'untyped') {
        const err = e instanceof Error ? e : new Error(String(e));
        error = {
          name: err.name,
          message: err.message.slice(0, 300),
          stack: err.stack?.split('\n').slice(0, 6).join('\n'),
        };
      }
    }
    const leak = tf.memory().numTensors - before;
    const saved = kind === 'untyped' || kind === 'invalid' || leak !== 0 ? save(c, input, i) : undefined;
    post({ t: 'done', i, kind, leak, ...(error ? { error } : {}), ...(saved ? { saved } : {}) });
  }
  c.close?.();
  post({ t: 'end' });
}

main().catch((e: unknown) => post({ t: 'fatal', message: (e as Error)?.stack ?? String(e) }));
