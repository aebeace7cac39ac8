// JSON read from a user's file (a recipe, model.json, deploy.json, a labels list): parsed with
// JSON.parse, and on a syntax error a typed error that says where, by line and column, shows
// the line with a caret under the place, and says how to fix it. A byte-order mark at the start
// (some editors write one) is skipped.
import { ConfigError, DataError } from '../errors';

/** Where a JSON.parse error happened: 1-based line and column, and the offending line's text. */
export interface JsonErrorPosition {
  readonly line: number;
  readonly column: number;
  readonly lineText: string;
}

/** The position a JSON.parse SyntaxError points at (V8 says "at position N", or "end of ... input"). */
export function jsonErrorPosition(text: string, error: unknown): JsonErrorPosition {
  const message = (error as Error)?.message ?? '';
  const m = /at position (\d+)/.exec(message);
  const offset = m ? Math.min(Number(m[1]), text.length) : text.length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = text.indexOf('\n', lineStart);
  const lineText = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd).replace(/\r$/, '');
  return { line, column: offset - lineStart + 1, lineText };
}

/** Options of {@link parseJsonText}. */
export interface ParseJsonOptions {
  /** The function named in the error. */
  readonly fn: string;
  /** What the text should be, e.g. 'a recipe'. */
  readonly what: string;
  /** The file it came from (named in the error). */
  readonly file?: string;
  /** ConfigError for files the user writes (recipes), DataError for data and model files (default). */
  readonly kind?: 'config' | 'data';
}

/**
 * `JSON.parse(text)`, or a typed error naming the line and column of the first mistake.
 * @example parseJsonText('{"a": 1,}', {fn: 'run', what: 'a recipe'}) // throws: ... line 1, column 9 ...
 */
export function parseJsonText(text: string, options: ParseJsonOptions): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    const at = jsonErrorPosition(body, e);
    const reason = ((e as Error).message ?? '').replace(/\s*in JSON at position \d+.*$/s, '').replace(/\.$/, '');
    const shown =
      at.lineText.length > 120 ? at.lineText.slice(Math.max(0, at.column - 60), at.column + 60) : at.lineText;
    const caretAt = at.lineText.length > 120 ? Math.min(at.column - 1, 60) : at.column - 1;
    const message =
      `${options.fn}: ${options.what} in JSON, got ${reason.toLowerCase().startsWith('unexpected end') ? 'an unexpected end of the text' : `"${reason}"`} ` +
      `at line ${at.line}, column ${at.column}${options.file ? ` of ${options.file}` : ''}:\n` +
      `    ${shown}\n    ${' '.repeat(Math.max(0, caretAt))}^\n` +
      `Fix the JSON there (strict JSON: double-quoted names and strings, no comments, no trailing commas).`;
    throw options.kind === 'config' ? new ConfigError(message) : new DataError(message, options.file);
  }
}
