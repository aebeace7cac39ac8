// The life of the library's long-running commands (the server, the demo page, the job worker):
// run an async main, report a failure as one line on stderr with exit code 1, and close cleanly
// on SIGINT / SIGTERM (exit 0 once closed, 1 if closing failed).

/** Closes `close` on the first SIGINT or SIGTERM, then exits 0 (1 when closing failed). */
export function closeOnSignals(close: () => Promise<unknown>): void {
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Runs a command's main; a failure prints its message (no stack: errors here are the library's typed errors) and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    process.exit(1);
  });
}
