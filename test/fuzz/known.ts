// Findings of the fuzzer in parsers owned by other areas, open until their owners fix them. The
// bounded fuzz in `make test` still runs these targets and fails on any other kind of finding;
// `make fuzz` counts every finding, these included, in results/bench-security.json. Remove an
// entry when the parser is fixed (the test then holds that kind to zero too).
import type { Finding } from './run';

export interface KnownFinding {
  readonly target: string;
  readonly kind: Finding['kind'];
  /** The area that owns the parser. */
  readonly owner: string;
  readonly what: string;
}

export const KNOWN_OPEN: readonly KnownFinding[] = [];

/** Whether `f` is a known open finding. */
export function isKnown(f: Pick<Finding, 'target' | 'kind'>): boolean {
  return KNOWN_OPEN.some((k) => k.target === f.target && k.kind === f.kind);
}
