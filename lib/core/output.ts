// The library's one output channel. Library functions do not write: they return reports (with
// their warnings). The few whose job is to show something to a person (notebook checks, progress
// reporters, figures displayed outside a notebook) send text here, and a host application can
// redirect or silence it with setOutput (a server, a test, a GUI).

/** Where shown text goes. */
export type OutputSink = (text: string) => void;

// The default sink is the console: tslab captures it into the running cell's output.
const consoleSink: OutputSink = (text) => console.log(text);
let sink: OutputSink = consoleSink;

/**
 * Replaces the sink; returns the previous one (restore it when done). `undefined` restores the console.
 * @example const previous = setOutput(() => undefined); // silence; later setOutput(previous)
 */
export function setOutput(next: OutputSink | undefined): OutputSink {
  const previous = sink;
  sink = next ?? consoleSink;
  return previous;
}

/** Sends a line of text to the sink. */
export function writeOutput(text: string): void {
  sink(text);
}
