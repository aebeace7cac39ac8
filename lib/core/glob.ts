// Layer (and weight, node) name patterns, the one matcher: `*` matches any text, every other
// character itself (the tfjs converter's --quantize_* patterns, ModelOpt-style wildcards). Every
// verb that selects layers takes the same two lists, `only` (the layers it may touch; all when
// absent) and `skip` (layers it leaves alone), in the API, the CLI (--only, --skip) and recipes.
import { ConfigError, describe } from '../errors';

/**
 * A name pattern as an anchored RegExp: `*` matches any text (including none).
 * @example globToRegExp('block_*_conv').test('block_1_conv') // true
 */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** Which layers a verb touches: `only` patterns (all when absent) minus `skip` patterns. */
export interface LayerPatterns {
  /** Patterns of the layers the verb may touch (default: every layer it can). */
  readonly only?: readonly string[];
  /** Patterns of the layers the verb leaves alone. */
  readonly skip?: readonly string[];
}

/** Checks that `value` is a list of pattern strings; `fn: field` names it in the error. */
export function checkPatterns(fn: string, field: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((p) => typeof p === 'string' && p.length > 0))
    throw new ConfigError(
      `${fn}: ${field} a list of layer-name patterns ('*' matches any text), got ${describe(value)}. Pass e.g. ['fc3'] or ['block_*'].`,
    );
  return value as readonly string[];
}

/**
 * The names among `names` that match any of `patterns`, in `names` order. A pattern that
 * matches none is a ConfigError listing the names (a typo must not silently select nothing);
 * `unmatched` may throw a more precise error first (e.g. the name is a layer of another kind).
 */
export function matchNames(
  fn: string,
  field: string,
  names: readonly string[],
  patterns: readonly string[],
  unmatched?: (pattern: string) => void,
): string[] {
  const hit = new Set<string>();
  for (const p of patterns) {
    const re = globToRegExp(p);
    const found = names.filter((n) => re.test(n));
    if (!found.length) {
      unmatched?.(p);
      throw new ConfigError(
        `${fn}: ${field} patterns that match layer names, got "${p}" matching none. ` +
          `Layers are: ${names.slice(0, 40).join(', ')}${names.length > 40 ? ', ...' : ''}.`,
      );
    }
    found.forEach((n) => hit.add(n));
  }
  return names.filter((n) => hit.has(n));
}

/**
 * The names a verb touches: those matching `only` (every name when absent) and no `skip`
 * pattern, in `names` order. Each list is checked (a list of strings, every pattern matching).
 * @example selectNames('f', ['fc1', 'fc2', 'fc3'], {skip: ['fc*3']}) // ['fc1', 'fc2']
 */
export function selectNames(
  fn: string,
  names: readonly string[],
  patterns: LayerPatterns,
  unmatched?: (pattern: string, field: 'only' | 'skip') => void,
): string[] {
  const only = checkPatterns(fn, 'only', patterns.only);
  const skip = checkPatterns(fn, 'skip', patterns.skip);
  const kept = new Set(only ? matchNames(fn, 'only', names, only, (p) => unmatched?.(p, 'only')) : names);
  if (skip) matchNames(fn, 'skip', names, skip, (p) => unmatched?.(p, 'skip')).forEach((n) => kept.delete(n));
  return names.filter((n) => kept.has(n));
}
