// What the command line shows for an error. The library's messages start with the function that
// threw (`toTflite: a static quantization plan ..., got mode 'dynamic'. ...`), which helps a
// programmer but means nothing to someone who typed a command: at the CLI boundary that prefix is
// replaced by "expected", so the line reads "expected X, got Y. How to fix." Messages without
// the prefix are shown as they are.

/** A function name as the library writes it at the start of a message: `openModel`, `exporters.toOnnx`. */
const FUNCTION_PREFIX = /^[a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)*: /;

/**
 * The message without its leading function name; "expected " before the library's
 * "<what was expected>, got <actual>" form.
 * @example userMessage("toTflite: a static plan, got mode 'dynamic'. Export to ONNX.") // "expected a static plan, got mode 'dynamic'. Export to ONNX."
 */
export function userMessage(message: string): string {
  if (!FUNCTION_PREFIX.test(message)) return message;
  const rest = message.replace(FUNCTION_PREFIX, '');
  const firstSentence = rest.split(/\.(\s|$)/)[0] ?? rest;
  return firstSentence.includes(', got ') && !/^expected /i.test(rest) ? `expected ${rest}` : rest;
}
