// Progress on stderr (stdout stays for results, and for JSON alone with --json). In a terminal, a
// bar with an ETA redrawn in place (cli-progress); otherwise (a pipe, a CI log) plain lines at
// each step and at every quarter of a long one, or every half minute, each with its ETA, so logs
// stay short and readable. With --json nothing but errors reaches stderr.
import { SingleBar } from 'cli-progress';
import { formatDuration } from '../train/progress';

/** What commands tell the user while they work. */
export interface Progress {
  /** A step starts (one line). */
  step(text: string): void;
  /** `done` of `total` units of the current step (examples, batches, rounds). */
  update(label: string, done: number, total: number): void;
  /** A plain line (a warning, a finished measurement). */
  line(text: string): void;
}

/** Options of {@link streamProgress}. */
export interface StreamProgressOptions {
  /** Print nothing (--json). */
  readonly quiet?: boolean;
  /** Default process.stderr. */
  readonly stream?: NodeJS.WriteStream;
  /** A redrawn bar (default: whether the stream is a terminal). */
  readonly tty?: boolean;
  /** Clock in ms (tests). */
  readonly now?: () => number;
}

/** Seconds left at the rate seen so far, or undefined before any unit is done. */
export function etaSeconds(startMs: number, nowMs: number, done: number, total: number): number | undefined {
  if (done <= 0 || total <= done) return done >= total && total > 0 ? 0 : undefined;
  if (nowMs <= startMs) return undefined;
  return (((nowMs - startMs) / 1000) * (total - done)) / done;
}

const LOG_EVERY_MS = 30_000;

/** Progress on `stream` (default stderr): a bar with an ETA on a terminal, periodic lines otherwise. */
export function streamProgress(options: StreamProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { step: () => undefined, update: () => undefined, line: () => undefined };
  const tty = options.tty ?? Boolean(stream.isTTY);
  const now = options.now ?? Date.now;
  let bar: SingleBar | undefined;
  let current: { label: string; total: number; start: number; quarter: number; lastLog: number } | undefined;
  // The clock of an ETA starts with the step (the work of the first unit counts too).
  let stepStart: number | undefined;
  const stopBar = () => {
    bar?.stop();
    bar = undefined;
  };
  const end = () => {
    stopBar();
    current = undefined;
  };
  return {
    step(text) {
      end();
      stepStart = now();
      stream.write(`${text}\n`);
    },
    update(label, done, total) {
      const t = now();
      if (!current || current.label !== label || current.total !== total || done < 0) {
        end();
        current = { label, total, start: stepStart ?? t, quarter: -1, lastLog: t };
        stepStart = undefined;
      }
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      if (tty) {
        if (!bar) {
          bar = new SingleBar({
            stream,
            format: '  {label} [{bar}] {value}/{total} | {percentage}% | ETA {eta_formatted} | {duration_formatted}',
            barsize: 30,
            hideCursor: false,
            clearOnComplete: true,
            etaBuffer: 20,
            fps: 5,
          });
          bar.start(total, 0, { label });
        }
        bar.update(Math.min(done, total), { label });
        if (done >= total) end();
        return;
      }
      const quarter = Math.floor(frac * 4);
      if (quarter !== current.quarter || t - current.lastLog >= LOG_EVERY_MS) {
        const eta = etaSeconds(current.start, t, done, total);
        current.quarter = quarter;
        current.lastLog = t;
        stream.write(
          `  ${label}: ${done}/${total} (${Math.round(frac * 100)}%${eta !== undefined && done < total ? `, ETA ${formatDuration(eta)}` : ''})\n`,
        );
      }
      if (done >= total) current = undefined;
    },
    line(text) {
      stopBar();
      stream.write(`${text}\n`);
    },
  };
}
