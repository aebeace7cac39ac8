// Training progress reporters. The library never prints on its own: a caller passes a reporter.
// `consoleProgress()` shows one line per epoch through the output sink (what a notebook shows)
// and, in a terminal, a progress bar on stderr that redraws in place.
import { writeOutput } from '../core/output';

/** What a training loop tells its reporter. */
export type ProgressEvent =
  | {
      readonly kind: 'batch';
      readonly epoch: number;
      readonly epochs: number;
      readonly batch: number;
      readonly batches: number;
      readonly loss?: number;
    }
  | { readonly kind: 'epoch'; readonly log: EpochLog; readonly epochs: number };

/** One epoch's record. Accuracy is a fraction in [0, 1]. */
export interface EpochLog {
  readonly epoch: number;
  readonly loss: number;
  readonly valAccuracy?: number;
  readonly valLoss?: number;
  readonly seconds: number;
  readonly examplesPerSecond: number;
}

export type ProgressReporter = (event: ProgressEvent) => void;

/** Formats an epoch line, e.g. `train epoch 1/2  loss 0.5000  val acc 90.00%  1.0 s  100 ex/s`. */
export function formatEpoch(label: string, log: EpochLog, epochs: number): string {
  const val = log.valAccuracy === undefined ? '' : `  val acc ${(log.valAccuracy * 100).toFixed(2)}%`;
  return `${label} epoch ${log.epoch}/${epochs}  loss ${log.loss.toFixed(4)}${val}  ${log.seconds.toFixed(1)} s  ${Math.round(log.examplesPerSecond)} ex/s`;
}

/** A reporter that shows epoch lines (and a bar on a TTY). `label` prefixes each line. */
export function consoleProgress(label = 'train'): ProgressReporter {
  const tty = Boolean(process.stderr.isTTY);
  return (e) => {
    if (e.kind === 'batch') {
      if (!tty || e.batch % 10 !== 0) return;
      const width = 30;
      const done = Math.round((e.batch / e.batches) * width);
      process.stderr.write(
        `\r${label} epoch ${e.epoch}/${e.epochs} [${'='.repeat(done)}${' '.repeat(width - done)}] ${e.batch}/${e.batches}`,
      );
      return;
    }
    if (tty) process.stderr.write('\r\x1b[K');
    writeOutput(formatEpoch(label, e.log, e.epochs));
  };
}

/** Seconds as "42 s", "3 min 05 s" or "1 h 02 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const r = Math.round(seconds);
  if (r < 60) return `${r} s`;
  if (r < 3600) return `${Math.floor(r / 60)} min ${String(r % 60).padStart(2, '0')} s`;
  return `${Math.floor(r / 3600)} h ${String(Math.floor((r % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * Progress of independent jobs (sweep points, trainings, search candidates): call the returned
 * function with the jobs done and the total as each one ends, and it shows
 * `label: 3/15 done in 41 s, about 2 min 45 s left` through the output sink, so a notebook cell
 * that runs for minutes shows how far it is. The clock starts when countProgress is called.
 * @example const progress = countProgress('pruning sweep'); let done = 0;
 *   await Promise.all(points.map((p) => executor.run(job, p).then((r) => (progress(++done, points.length), r))));
 */
export function countProgress(
  label: string,
  options: { readonly now?: () => number } = {},
): (done: number, total: number, detail?: string) => void {
  const now = options.now ?? (() => performance.now());
  const start = now();
  return (done, total, detail) => {
    const seconds = (now() - start) / 1000;
    const left = done > 0 && done < total ? `, about ${formatDuration((seconds / done) * (total - done))} left` : '';
    writeOutput(`${label}: ${done}/${total} done in ${formatDuration(seconds)}${left}${detail ? ` (${detail})` : ''}`);
  };
}
