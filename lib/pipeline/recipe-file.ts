// Reading a recipe file: a regular file of at most 1 MiB (the safe-open primitive), JSON whose
// syntax errors name the line and column, then the recipe's validation with the file named.
import { ConfigError } from '../errors';
import { parseJsonText } from '../core/json-text';
import { readRegularFile } from '../core/read-file';
import { Recipe, validateRecipe } from './recipe';

/** Largest recipe file read. */
export const MAX_RECIPE_BYTES = 1024 * 1024;

/** Reads, parses and validates a recipe file. */
export function readRecipeFile(file: string, fn = 'run'): { recipe: Recipe; text: string } {
  const bytes = readRegularFile(file, {
    fn,
    what: 'a recipe file',
    maxBytes: MAX_RECIPE_BYTES,
    tooLargeAdvice: 'Is this the recipe? Recipes are small JSON files.',
  });
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const json = parseJsonText(text, { fn, what: 'a recipe', file, kind: 'config' });
  try {
    return { recipe: validateRecipe(json), text };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.message.replace(/^recipe:/, `recipe ${file}:`));
    throw e;
  }
}
