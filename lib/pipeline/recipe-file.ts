// Reading a recipe file: a regular file of at most 1 MiB (the safe-open primitive), JSON whose
// syntax errors name the line and column, then the recipe's validation with the file named.
import { ConfigError } from '../errors';
import { readRegularFile } from '../core/read-file';
import { Recipe, validateRecipe } from './recipe';

/** Largest recipe file read. */
export const MAX_RECIPE_BYTES = 1024 * 1024;

/** Line and column (1-based) of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/**
 * Parses JSON text; a syntax error is a ConfigError naming the line and column, e.g.
 * `recipe.json line 3, column 5: Unexpected token`.
 * @example parseJsonText('{"a": 1,}', 'r.json', 'run') // throws ConfigError '... at line 1, column 9 ...'
 */
export function parseJsonText(text: string, file: string, fn: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    // V8 names the offset ("at position 42") and, in newer versions, also "(line 3 column 5)".
    const lc = /line (\d+) column (\d+)/.exec(message);
    const pos = /position (\d+)/.exec(message);
    const at = lc
      ? { line: Number(lc[1]), column: Number(lc[2]) }
      : pos
        ? lineColumn(text, Number(pos[1]))
        : lineColumn(text, text.length);
    const reason = message.replace(/\s*(in JSON )?at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)/, '');
    throw new ConfigError(
      `${fn}: a recipe in JSON in ${file}, got a syntax error at line ${at.line}, column ${at.column} (${reason}). ` +
        `Fix the JSON there (no comments, no trailing commas, double-quoted keys).`,
    );
  }
}

/** Reads, parses and validates a recipe file. */
export function readRecipeFile(file: string, fn = 'run'): { recipe: Recipe; text: string } {
  const bytes = readRegularFile(file, {
    fn,
    what: 'a recipe file',
    maxBytes: MAX_RECIPE_BYTES,
    tooLargeAdvice: 'Is this the recipe? Recipes are small JSON files.',
  });
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const json = parseJsonText(text.replace(/^\uFEFF/, ''), file, fn);
  try {
    return { recipe: validateRecipe(json), text };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.message.replace(/^recipe:/, `recipe ${file}:`));
    throw e;
  }
}
