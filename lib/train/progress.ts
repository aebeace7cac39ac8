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
