// What the fuzzer needs to know about one parser: its name, where it lives (for findings), which
// errors count as typed, and a setup that builds the valid inputs the generators mutate and
// returns the generator and the call. The property every target is held to: the parser returns
// a valid result or throws a typed error; never another error, never a hang, never a leaked tensor.
import type fc from 'fast-check';
import { CompressionError } from '../../lib/errors';

/** A parser under fuzzing, once set up. */
export interface FuzzCase {
  readonly arbitrary: fc.Arbitrary<unknown>;
  /** Calls the parser on one input (may be async). */
  run(input: unknown): unknown;
  /** A problem with an accepted input's result, or undefined (e.g. non-finite outputs). */
  check?(result: unknown, input: unknown): string | undefined;
  /** The input as bytes or text, to save a finding for reproduction. */
  save?(input: unknown): Uint8Array | string;
  /** Removes what setup made (temporary folders). */
  close?(): void;
}

/** One parser of the library. */
export interface FuzzTarget {
  /** Short name, e.g. 'recipe'. */
  readonly name: string;
  /** The function fuzzed, e.g. 'lib/pipeline/recipe.ts validateRecipe'. */
  readonly parser: string;
  /** Which errors are the parser's typed errors (default: CompressionError and its subclasses). */
  readonly typed?: (e: unknown) => boolean;
  setup(): Promise<FuzzCase> | FuzzCase;
}

/** The library's typed errors. */
export const isCompressionError = (e: unknown): boolean => e instanceof CompressionError;

/** A JSON-ish value as text for a findings file (never throws on cycles or depth). */
export function showValue(v: unknown): string {
  try {
    return (
      JSON.stringify(v, (_k, x: unknown) =>
        typeof x === 'number' && !Number.isFinite(x)
          ? `<${x}>`
          : x instanceof Uint8Array || x instanceof Float32Array
            ? `<${x.constructor.name} ${x.length}>`
            : x,
      ) ?? String(v)
    );
  } catch (e) {
    return `<not representable: ${(e as Error).message}>`;
  }
}
