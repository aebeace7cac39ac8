// Progress on stderr (stdout stays for results, and for JSON alone with --json): in a terminal a
// bar redrawn in place; otherwise (a pipe, a CI log) plain lines at each step and every quarter
// of a long one, so logs stay short and readable.

/** What commands tell the user while they work. */
export interface Progress {
  /** A step starts (one line). */
  step(text: string): void;
  /** `done` of `total` units of the current step. */
  update(label: string, done: number, total: number): void;
  /** A plain line (a warning, a finished measurement). */
  line(text: string): void;
}

/** Progress on `stream` (default stderr); `quiet` drops everything. */
export function streamProgress(options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { step: () => undefined, update: () => undefined, line: () => undefined };
  const tty = Boolean(stream.isTTY);
  let barShown = false;
  let lastQuarter = -1;
  const clear = () => {
    if (barShown) stream.write('\r\x1b[K');
    barShown = false;
  };
  return {
    step(text) {
      clear();
      lastQuarter = -1;
      stream.write(`${text}\n`);
    },
    update(label, done, total) {
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      if (tty) {
        const width = 30;
        const filled = Math.round(frac * width);
        stream.write(`\r  ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
        barShown = true;
        if (done >= total) clear();
        return;
      }
      const quarter = Math.floor(frac * 4);
      if (quarter !== lastQuarter) {
        lastQuarter = quarter;
        stream.write(`  ${label}: ${done}/${total}\n`);
      }
    },
    line(text) {
      clear();
      stream.write(`${text}\n`);
    },
  };
}
